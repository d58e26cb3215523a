using System.Buffers.Binary;
using System.Text;

namespace LoadBalancer.Proto.Bgp;

/// <summary>
/// A NOTIFICATION message (RFC 4271 §4.5), also the value every decoder returns for malformed input: it is
/// exactly what must be sent to the peer before closing. Cease / Administrative Shutdown and Reset carry an
/// RFC 8203 / RFC 9003 shutdown communication (one length octet, then UTF-8).
/// </summary>
public sealed record BgpNotification(BgpErrorCode Code, byte Subcode, ReadOnlyMemory<byte> Data)
{
    public static BgpNotification Create(BgpErrorCode code, byte subcode) => new(code, subcode, ReadOnlyMemory<byte>.Empty);

    public static BgpNotification Create(BgpErrorCode code, byte subcode, ReadOnlySpan<byte> data) => new(code, subcode, data.ToArray());

    public static BgpNotification Header(BgpHeaderSubcode subcode, ReadOnlySpan<byte> data = default) => Create(BgpErrorCode.MessageHeader, (byte)subcode, data);

    public static BgpNotification Open(BgpOpenSubcode subcode, ReadOnlySpan<byte> data = default) => Create(BgpErrorCode.OpenMessage, (byte)subcode, data);

    public static BgpNotification Update(BgpUpdateSubcode subcode, ReadOnlySpan<byte> data = default) => Create(BgpErrorCode.UpdateMessage, (byte)subcode, data);

    public static BgpNotification Fsm(BgpFsmSubcode subcode) => Create(BgpErrorCode.FiniteStateMachine, (byte)subcode);

    public static BgpNotification Cease(BgpCeaseSubcode subcode) => Create(BgpErrorCode.Cease, (byte)subcode);

    public static BgpNotification HoldTimerExpired { get; } = Create(BgpErrorCode.HoldTimerExpired, 0);

    /// <summary>Cease with a shutdown communication; the message is cut to 255 UTF-8 octets on a character boundary.</summary>
    public static BgpNotification Shutdown(string message, BgpCeaseSubcode subcode = BgpCeaseSubcode.AdministrativeShutdown)
    {
        var bytes = Encoding.UTF8.GetBytes(message ?? "");
        var length = Math.Min(bytes.Length, BgpConstants.MaxShutdownCommunicationLength);
        while (length > 0 && length < bytes.Length && (bytes[length] & 0xC0) == 0x80) length--; // never split a character
        var data = new byte[length + 1];
        data[0] = (byte)length;
        bytes.AsSpan(0, length).CopyTo(data.AsSpan(1));
        return new BgpNotification(BgpErrorCode.Cease, (byte)subcode, data);
    }

    /// <summary>The RFC 8203 message of a Cease / Administrative Shutdown or Reset, when one is present and well formed.</summary>
    public bool TryGetShutdownCommunication(out string message)
    {
        message = "";
        if (Code != BgpErrorCode.Cease || (Subcode != (byte)BgpCeaseSubcode.AdministrativeShutdown && Subcode != (byte)BgpCeaseSubcode.AdministrativeReset))
            return false;
        var data = Data.Span;
        if (data.Length < 1 || data[0] + 1 > data.Length) return false;
        try
        {
            message = new UTF8Encoding(false, true).GetString(data.Slice(1, data[0]));
            return true;
        }
        catch (DecoderFallbackException)
        {
            return false;
        }
    }

    /// <summary>Decodes a NOTIFICATION body (after the 19-octet header).</summary>
    public static bool TryDecode(ReadOnlySpan<byte> body, out BgpNotification notification)
    {
        if (body.Length < 2)
        {
            notification = Header(BgpHeaderSubcode.BadMessageLength);
            return false;
        }
        notification = Create((BgpErrorCode)body[0], body[1], body[2..]);
        return true;
    }

    public int EncodedLength => BgpConstants.HeaderLength + 2 + Data.Length;

    /// <summary>Writes the whole message, header included.</summary>
    public bool TryWrite(Span<byte> destination, out int written)
    {
        written = 0;
        var length = EncodedLength;
        if (length > BgpConstants.MaxExtendedMessageLength || destination.Length < length) return false;
        BgpFraming.WriteHeader(destination, length, BgpMessageType.Notification);
        destination[19] = (byte)Code;
        destination[20] = Subcode;
        Data.Span.CopyTo(destination[21..]);
        written = length;
        return true;
    }

    public byte[] ToArray()
    {
        // A notification longer than 4096 octets is cut so that it can always be sent (RFC 4271 allows truncated data).
        var data = Data.Length > BgpConstants.MaxMessageLength - 21 ? Data[..(BgpConstants.MaxMessageLength - 21)] : Data;
        var copy = this with { Data = data };
        var bytes = new byte[copy.EncodedLength];
        copy.TryWrite(bytes, out _);
        return bytes;
    }

    public string SubcodeName => Code switch
    {
        BgpErrorCode.MessageHeader => ((BgpHeaderSubcode)Subcode).ToString(),
        BgpErrorCode.OpenMessage => ((BgpOpenSubcode)Subcode).ToString(),
        BgpErrorCode.UpdateMessage => ((BgpUpdateSubcode)Subcode).ToString(),
        BgpErrorCode.FiniteStateMachine => ((BgpFsmSubcode)Subcode).ToString(),
        BgpErrorCode.Cease => ((BgpCeaseSubcode)Subcode).ToString(),
        BgpErrorCode.RouteRefreshMessage => ((BgpRouteRefreshSubcode)Subcode).ToString(),
        _ => Subcode.ToString(System.Globalization.CultureInfo.InvariantCulture),
    };

    public override string ToString()
    {
        var text = $"{Code}/{SubcodeName} ({(byte)Code}/{Subcode})";
        if (TryGetShutdownCommunication(out var message)) return $"{text}: \"{message}\"";
        return Data.Length == 0 ? text : $"{text} data {Convert.ToHexString(Data.Span)}";
    }

    public bool Equals(BgpNotification? other)
        => other is not null && Code == other.Code && Subcode == other.Subcode && Data.Span.SequenceEqual(other.Data.Span);

    public override int GetHashCode() => HashCode.Combine(Code, Subcode, Data.Length);

    internal static ushort ReadUInt16(ReadOnlySpan<byte> s) => BinaryPrimitives.ReadUInt16BigEndian(s);
}
