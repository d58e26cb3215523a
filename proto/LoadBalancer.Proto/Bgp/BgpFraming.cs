using System.Buffers;
using System.Buffers.Binary;

namespace LoadBalancer.Proto.Bgp;

/// <summary>
/// The 19-octet message header (RFC 4271 §4.1): 16 octets of ones, a length, a type. Framing is checked apart from
/// message decoding, with the errors of RFC 4271 §6.1 (and RFC 7313 for ROUTE-REFRESH, RFC 8654 for sizes).
/// </summary>
public static class BgpFraming
{
    public static void WriteHeader(Span<byte> destination, int length, BgpMessageType type)
    {
        destination[..BgpConstants.MarkerLength].Fill(0xFF);
        BinaryPrimitives.WriteUInt16BigEndian(destination[16..], (ushort)length);
        destination[18] = (byte)type;
    }

    /// <summary>A KEEPALIVE: the header alone.</summary>
    public static byte[] Keepalive()
    {
        var bytes = new byte[BgpConstants.KeepaliveLength];
        WriteHeader(bytes, bytes.Length, BgpMessageType.Keepalive);
        return bytes;
    }

    /// <summary>
    /// Looks at the start of <paramref name="buffer"/>. <see cref="OperationStatus.Done"/>: a whole, well-framed message
    /// of <paramref name="length"/> octets is there. <see cref="OperationStatus.NeedMoreData"/>: wait for more.
    /// <see cref="OperationStatus.InvalidData"/>: <paramref name="error"/> is the NOTIFICATION to send.
    /// </summary>
    /// <param name="maxMessageLength">4096, or 65535 once RFC 8654 extended messages are negotiated.</param>
    public static OperationStatus TryReadMessage(ReadOnlySpan<byte> buffer, int maxMessageLength,
        out BgpMessageType type, out int length, out BgpNotification? error)
    {
        type = 0;
        length = 0;
        error = null;
        if (buffer.Length < BgpConstants.HeaderLength) return OperationStatus.NeedMoreData;
        if (buffer[..BgpConstants.MarkerLength].IndexOfAnyExcept((byte)0xFF) >= 0)
        {
            error = BgpNotification.Header(BgpHeaderSubcode.ConnectionNotSynchronized);
            return OperationStatus.InvalidData;
        }
        length = BinaryPrimitives.ReadUInt16BigEndian(buffer[16..]);
        type = (BgpMessageType)buffer[18];
        var lengthField = buffer.Slice(16, 2);
        var (min, max) = type switch
        {
            BgpMessageType.Open => (BgpConstants.MinOpenLength, BgpConstants.MaxMessageLength),
            BgpMessageType.Update => (BgpConstants.MinUpdateLength, maxMessageLength),
            BgpMessageType.Notification => (BgpConstants.MinNotificationLength, maxMessageLength),
            BgpMessageType.Keepalive => (BgpConstants.KeepaliveLength, BgpConstants.KeepaliveLength),
            BgpMessageType.RouteRefresh => (BgpConstants.HeaderLength, maxMessageLength),
            _ => (-1, -1),
        };
        if (min < 0)
        {
            error = BgpNotification.Header(BgpHeaderSubcode.BadMessageType, buffer.Slice(18, 1));
            return OperationStatus.InvalidData;
        }
        if (length < min || length > max)
        {
            error = BgpNotification.Header(BgpHeaderSubcode.BadMessageLength, lengthField);
            return OperationStatus.InvalidData;
        }
        if (buffer.Length < length) return OperationStatus.NeedMoreData;
        if (type == BgpMessageType.RouteRefresh && length != BgpConstants.RouteRefreshLength)
        {
            // RFC 7313 §5: ROUTE-REFRESH Message Error / Invalid Message Length, the data is the whole message.
            error = BgpNotification.Create(BgpErrorCode.RouteRefreshMessage, (byte)BgpRouteRefreshSubcode.InvalidMessageLength,
                buffer[..Math.Min(length, BgpConstants.MaxMessageLength - 21)]);
            return OperationStatus.InvalidData;
        }
        return OperationStatus.Done;
    }
}
