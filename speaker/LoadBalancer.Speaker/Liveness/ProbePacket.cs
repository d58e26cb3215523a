using System.Buffers;
using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;

namespace LoadBalancer.Speaker.Liveness;

/// <summary>
/// One liveness probe between speakers (UDP), BFD-like (RFC 5880's three-way idea: each probe says whether the
/// sender hears the receiver, so a one-way loss takes both sides down):
/// <code>
/// 0      4       5        6          8            16         17          ..          ..          ..
/// | LBP1 | flags | 0 (1) | tx ms (2) | sequence (8) | len | sender | len | receiver | HMAC-SHA256[0..16) |
/// flags: 0x01 hear (sender received a valid probe from the receiver within its detection time)
///        0x02 admin down (sender is shutting down cleanly: treat it as gone now)
/// </code>
/// The HMAC covers every byte before it; names are UTF-8, 1..63 bytes. The sequence only grows (receivers drop
/// anything not newer, which stops replays).
/// </summary>
internal readonly record struct ProbePacket(bool Hear, bool AdminDown, ushort TransmitIntervalMs, ulong Sequence, string Sender, string Receiver)
{
    public const uint Magic = 0x4C42_5031; // "LBP1"
    public const int MacLength = 16;
    public const int MaxNameLength = 63;
    private const int FixedLength = 16;

    public static bool TryWrite(in ProbePacket packet, ReadOnlySpan<byte> key, Span<byte> destination, out int bytesWritten)
    {
        bytesWritten = 0;
        var senderLength = Encoding.UTF8.GetByteCount(packet.Sender);
        var receiverLength = Encoding.UTF8.GetByteCount(packet.Receiver);
        if (senderLength is 0 or > MaxNameLength || receiverLength is 0 or > MaxNameLength) return false;
        var length = FixedLength + 1 + senderLength + 1 + receiverLength + MacLength;
        if (destination.Length < length) return false;
        BinaryPrimitives.WriteUInt32BigEndian(destination, Magic);
        destination[4] = (byte)((packet.Hear ? 1 : 0) | (packet.AdminDown ? 2 : 0));
        destination[5] = 0;
        BinaryPrimitives.WriteUInt16BigEndian(destination[6..], packet.TransmitIntervalMs);
        BinaryPrimitives.WriteUInt64BigEndian(destination[8..], packet.Sequence);
        var offset = FixedLength;
        destination[offset++] = (byte)senderLength;
        offset += Encoding.UTF8.GetBytes(packet.Sender, destination[offset..]);
        destination[offset++] = (byte)receiverLength;
        offset += Encoding.UTF8.GetBytes(packet.Receiver, destination[offset..]);
        Span<byte> mac = stackalloc byte[32];
        HMACSHA256.HashData(key, destination[..offset], mac);
        mac[..MacLength].CopyTo(destination[offset..]);
        bytesWritten = offset + MacLength;
        return true;
    }

    /// <summary>Decodes and authenticates; <see cref="OperationStatus.InvalidData"/> covers a bad MAC as well as bad framing.</summary>
    public static OperationStatus TryRead(ReadOnlySpan<byte> source, ReadOnlySpan<byte> key, out ProbePacket packet)
    {
        packet = default;
        if (source.Length < FixedLength + 2 + 2 + MacLength) return OperationStatus.NeedMoreData;
        if (BinaryPrimitives.ReadUInt32BigEndian(source) != Magic || (source[4] & ~3) != 0) return OperationStatus.InvalidData;
        var offset = FixedLength;
        var senderLength = source[offset++];
        if (senderLength is 0 or > MaxNameLength || source.Length < offset + senderLength + 1 + MacLength) return OperationStatus.InvalidData;
        var sender = source.Slice(offset, senderLength);
        offset += senderLength;
        var receiverLength = source[offset++];
        if (receiverLength is 0 or > MaxNameLength || source.Length != offset + receiverLength + MacLength) return OperationStatus.InvalidData;
        var receiver = source.Slice(offset, receiverLength);
        offset += receiverLength;
        Span<byte> mac = stackalloc byte[32];
        HMACSHA256.HashData(key, source[..offset], mac);
        if (!CryptographicOperations.FixedTimeEquals(mac[..MacLength], source.Slice(offset, MacLength))) return OperationStatus.InvalidData;
        string senderName, receiverName;
        try
        {
            var strict = new UTF8Encoding(false, true);
            senderName = strict.GetString(sender);
            receiverName = strict.GetString(receiver);
        }
        catch (DecoderFallbackException)
        {
            return OperationStatus.InvalidData;
        }
        packet = new ProbePacket((source[4] & 1) != 0, (source[4] & 2) != 0, BinaryPrimitives.ReadUInt16BigEndian(source[6..]),
            BinaryPrimitives.ReadUInt64BigEndian(source[8..]), senderName, receiverName);
        return OperationStatus.Done;
    }
}
