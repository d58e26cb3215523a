using System.Buffers;
using System.Buffers.Binary;
using System.Net;

namespace LoadBalancer.Proto.Bgp;

/// <summary>
/// Packs many prefixes into as few UPDATEs as the negotiated message size allows: all prefixes that share one set
/// of attributes go into the NLRI (IPv4) or one MP_REACH_NLRI (other families) of each message; withdrawals likewise.
/// Writes straight into an <see cref="IBufferWriter{T}"/>; the attributes are encoded once per call.
/// </summary>
public static class BgpUpdatePacker
{
    /// <summary>Writes UPDATEs announcing <paramref name="prefixes"/> (all of one family); returns the number of messages.</summary>
    /// <param name="attributes">ORIGIN, AS_PATH and the rest; NEXT_HOP and MP attributes are set here from <paramref name="nextHop"/>.</param>
    public static int WriteAnnouncements(IBufferWriter<byte> output, BgpPathAttributes attributes, IPAddress nextHop, IPAddress? linkLocalNextHop,
        ReadOnlySpan<IPNetwork> prefixes, BgpDecodeContext context)
    {
        if (prefixes.IsEmpty) return 0;
        var afi = BgpPrefix.AfiOf(prefixes[0]);
        var max = context.MaxMessageLength;
        var common = afi == BgpAfi.IPv4 && nextHop.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork
            ? attributes with { NextHop = nextHop, MpReach = null, MpUnreach = null }
            : attributes with { NextHop = null, MpReach = null, MpUnreach = null };
        var useMp = common.NextHop is null;
        var commonLength = BgpAttributeCodec.GetLength(common, context);
        var rented = ArrayPool<byte>.Shared.Rent(Math.Max(commonLength, 1));
        try
        {
            var commonBytes = rented.AsSpan(0, BgpAttributeCodec.Write(rented, common, context));
            var mpHead = useMp ? 4 + 5 + (nextHop.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6 ? 16 : 4) + (linkLocalNextHop is null ? 0 : 16) : 0;
            var fixedLength = BgpConstants.HeaderLength + 4 + commonBytes.Length + mpHead;
            if (fixedLength + 17 > max) throw new ArgumentException("attributes leave no room for NLRI", nameof(attributes));
            var messages = 0;
            var next = 0;
            while (next < prefixes.Length)
            {
                var span = output.GetSpan(max);
                var i = 23; // header, withdrawn length (0), total attribute length
                BinaryPrimitives.WriteUInt16BigEndian(span[19..], 0);
                if (useMp)
                {
                    // RFC 7606 §5.1: MP_REACH_NLRI first; extended length so it can grow to the message size.
                    var mpStart = i;
                    i += 4;
                    i += BgpAttributeCodec.WriteMpReachHead(span[i..], afi, BgpSafi.Unicast, nextHop, linkLocalNextHop);
                    var limit = max - commonBytes.Length;
                    while (next < prefixes.Length && i + BgpPrefix.GetEncodedLength(prefixes[next]) <= limit)
                        i += BgpPrefix.Write(span[i..], prefixes[next++]);
                    BgpAttributeCodec.WriteHeader(span[mpStart..], BgpAttributeFlags.Optional, (byte)BgpAttributeType.MpReachNlri, i - mpStart - 4, forceExtended: true);
                    commonBytes.CopyTo(span[i..]);
                    i += commonBytes.Length;
                    BinaryPrimitives.WriteUInt16BigEndian(span[21..], (ushort)(i - 23));
                }
                else
                {
                    commonBytes.CopyTo(span[i..]);
                    i += commonBytes.Length;
                    BinaryPrimitives.WriteUInt16BigEndian(span[21..], (ushort)commonBytes.Length);
                    while (next < prefixes.Length && i + BgpPrefix.GetEncodedLength(prefixes[next]) <= max)
                        i += BgpPrefix.Write(span[i..], prefixes[next++]);
                }
                BgpFraming.WriteHeader(span, i, BgpMessageType.Update);
                output.Advance(i);
                messages++;
            }
            return messages;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(rented);
        }
    }

    /// <summary>Writes UPDATEs withdrawing <paramref name="prefixes"/> (all of one family); returns the number of messages.</summary>
    public static int WriteWithdrawals(IBufferWriter<byte> output, ReadOnlySpan<IPNetwork> prefixes, BgpDecodeContext context)
    {
        if (prefixes.IsEmpty) return 0;
        var afi = BgpPrefix.AfiOf(prefixes[0]);
        var max = context.MaxMessageLength;
        var messages = 0;
        var next = 0;
        while (next < prefixes.Length)
        {
            var span = output.GetSpan(max);
            int i;
            if (afi == BgpAfi.IPv4)
            {
                i = 21;
                while (next < prefixes.Length && i + BgpPrefix.GetEncodedLength(prefixes[next]) + 2 <= max)
                    i += BgpPrefix.Write(span[i..], prefixes[next++]);
                BinaryPrimitives.WriteUInt16BigEndian(span[19..], (ushort)(i - 21));
                BinaryPrimitives.WriteUInt16BigEndian(span[i..], 0);
                i += 2;
            }
            else
            {
                BinaryPrimitives.WriteUInt16BigEndian(span[19..], 0);
                i = 23;
                var mpStart = i;
                i += 4;
                BinaryPrimitives.WriteUInt16BigEndian(span[i..], (ushort)afi);
                span[i + 2] = (byte)BgpSafi.Unicast;
                i += 3;
                while (next < prefixes.Length && i + BgpPrefix.GetEncodedLength(prefixes[next]) <= max)
                    i += BgpPrefix.Write(span[i..], prefixes[next++]);
                BgpAttributeCodec.WriteHeader(span[mpStart..], BgpAttributeFlags.Optional, (byte)BgpAttributeType.MpUnreachNlri, i - mpStart - 4, forceExtended: true);
                BinaryPrimitives.WriteUInt16BigEndian(span[21..], (ushort)(i - 23));
            }
            BgpFraming.WriteHeader(span, i, BgpMessageType.Update);
            output.Advance(i);
            messages++;
        }
        return messages;
    }
}
