using System.Buffers;
using System.Buffers.Binary;

namespace LoadBalancer.Proto.Ip;

/// <summary>
/// The fixed IPv6 header (RFC 8200 §3):
/// <code>
/// +-------+---------------+---------------------------------------+
/// |Version| Traffic Class |              Flow Label               |
/// +-------+-------+-------+-------+---------------+---------------+
/// |         Payload Length        |  Next Header  |   Hop Limit   |
/// +-------------------------------+---------------+---------------+
/// |                    Source Address (128)                       |
/// |                 Destination Address (128)                     |
/// +---------------------------------------------------------------+
/// </code>
/// Version other than 6 is <see cref="OperationStatus.InvalidData"/>; so is a payload length beyond the input
/// (<see cref="OperationStatus.NeedMoreData"/> then). Extension headers are not walked: callers check
/// <see cref="NextHeader"/>.
/// </summary>
public readonly record struct IPv6Header(byte TrafficClass, uint FlowLabel, ushort PayloadLength, byte NextHeader, byte HopLimit, UInt128 Source, UInt128 Destination)
{
    public const int Length = 40;
    public const byte NextHeaderIcmpV6 = 58;

    public static OperationStatus TryRead(ReadOnlySpan<byte> source, out IPv6Header header, out int bytesConsumed)
    {
        header = default;
        bytesConsumed = 0;
        if (source.Length == 0) return OperationStatus.NeedMoreData;
        if (source[0] >> 4 != 6) return OperationStatus.InvalidData;
        if (source.Length < Length) return OperationStatus.NeedMoreData;
        var first = BinaryPrimitives.ReadUInt32BigEndian(source);
        var payloadLength = BinaryPrimitives.ReadUInt16BigEndian(source[4..]);
        if (source.Length < Length + payloadLength) return OperationStatus.NeedMoreData;
        header = new IPv6Header(
            (byte)(first >> 20),
            first & 0xF_FFFF,
            payloadLength,
            source[6],
            source[7],
            BinaryPrimitives.ReadUInt128BigEndian(source[8..]),
            BinaryPrimitives.ReadUInt128BigEndian(source[24..]));
        bytesConsumed = Length;
        return OperationStatus.Done;
    }

    public int GetEncodedLength() => Length;

    public bool TryWrite(Span<byte> destination, out int bytesWritten)
    {
        bytesWritten = 0;
        if (destination.Length < Length) return false;
        BinaryPrimitives.WriteUInt32BigEndian(destination, (6u << 28) | ((uint)TrafficClass << 20) | (FlowLabel & 0xF_FFFF));
        BinaryPrimitives.WriteUInt16BigEndian(destination[4..], PayloadLength);
        destination[6] = NextHeader;
        destination[7] = HopLimit;
        BinaryPrimitives.WriteUInt128BigEndian(destination[8..], Source);
        BinaryPrimitives.WriteUInt128BigEndian(destination[24..], Destination);
        bytesWritten = Length;
        return true;
    }
}
