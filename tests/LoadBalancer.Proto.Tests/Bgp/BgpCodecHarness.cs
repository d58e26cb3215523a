using System.Buffers;
using LoadBalancer.Proto.Bgp;

namespace LoadBalancer.Proto.Tests.Bgp;

/// <summary>Runs one buffer through every decoder the session uses, the way the session does.</summary>
internal static class BgpCodecHarness
{
    /// <summary>Decodes; whatever decodes is re-encoded and must decode again. Returns a short outcome for statistics.</summary>
    public static string DecodeEverything(ReadOnlySpan<byte> buffer)
    {
        var status = BgpFraming.TryReadMessage(buffer, BgpConstants.MaxExtendedMessageLength, out var type, out var length, out var error);
        if (status == OperationStatus.InvalidData)
        {
            _ = error!.ToString();
            _ = error.ToArray();
            return "frame-error";
        }
        // Bodies are also decoded when the frame is short or mislabelled: decoders must cope with any span.
        var body = buffer.Length > 19 ? buffer[19..Math.Min(buffer.Length, status == OperationStatus.Done ? length : buffer.Length)] : [];
        var outcome = status == OperationStatus.Done ? type.ToString() : "partial";
        if (BgpOpen.TryDecode(body, out var open, out var openError))
        {
            var bytes = new byte[4096];
            if (open!.TryWrite(bytes, out var n))
            {
                if (!BgpOpen.TryDecode(bytes.AsSpan(19, n - 19), out var again, out _) || !again!.Equals(open))
                    throw new InvalidOperationException("OPEN did not survive re-encoding");
            }
            _ = open.Asn;
        }
        else _ = openError!.ToString();
        foreach (var ctx in (BgpDecodeContext[])[new(true), new(false)])
        {
            var u = BgpUpdate.TryDecode(body, ctx, out var update, out var updateError);
            _ = updateError?.ToString();
            if (u == BgpUpdateStatus.Ok)
            {
                _ = update.IsEndOfRib(out _, out _);
                _ = update.Attributes.ForPropagation();
                var wide = ctx with { ExtendedMessages = true };
                var bytes = new byte[update.GetEncodedLength(wide)];
                if (update.TryWrite(bytes, wide, out var n))
                {
                    var check = BgpFraming.TryReadMessage(bytes, wide.MaxMessageLength, out _, out var framed, out _);
                    if (n != bytes.Length || check != OperationStatus.Done || framed != n) throw new InvalidOperationException($"UPDATE length {n} != computed {bytes.Length}");
                    var again = BgpUpdate.TryDecode(bytes.AsSpan(19, n - 19), wide, out var u2, out var e2);
                    if (again != BgpUpdateStatus.Ok || !u2.Attributes.Equals(update.Attributes) || !u2.Nlri.SequenceEqual(update.Nlri) || !u2.Withdrawn.SequenceEqual(update.Withdrawn))
                        throw new InvalidOperationException($"UPDATE did not survive re-encoding: {again} {e2}");
                }
            }
        }
        if (BgpNotification.TryDecode(body, out var notification))
        {
            _ = notification.TryGetShutdownCommunication(out _);
            _ = notification.ToString();
        }
        _ = BgpRouteRefresh.TryDecode(body, out _);
        return outcome;
    }
}
