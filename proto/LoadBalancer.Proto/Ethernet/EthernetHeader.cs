using System.Buffers;
using System.Buffers.Binary;
using LoadBalancer.Proto.Primitives;

namespace LoadBalancer.Proto.Ethernet;

/// <summary>
/// An Ethernet II header (IEEE 802.3 clause 3 with EtherType), optionally with one IEEE 802.1Q tag:
/// <code>
/// +-------------------+-------------------+---------------------------+-----------+
/// | destination (6)   | source (6)        | [0x8100 (2) | TCI (2)]    | type (2)  |  payload...
/// +-------------------+-------------------+---------------------------+-----------+
/// </code>
/// The FCS is not part of what sockets see and is not handled. Length/type values below 0x0600 (802.3 length
/// fields) are refused as <see cref="OperationStatus.InvalidData"/>; stacked tags (QinQ, 0x88A8) are not supported.
/// </summary>
public readonly record struct EthernetHeader(MacAddress Destination, MacAddress Source, ushort EtherType, VlanTag? Tag = null)
{
    public const int UntaggedLength = 14;
    public const int TaggedLength = 18;

    public int GetEncodedLength() => Tag is null ? UntaggedLength : TaggedLength;

    /// <summary>Decodes the header; <paramref name="bytesConsumed"/> is where the payload starts.</summary>
    public static OperationStatus TryRead(ReadOnlySpan<byte> source, out EthernetHeader header, out int bytesConsumed)
    {
        header = default;
        bytesConsumed = 0;
        if (source.Length < UntaggedLength) return OperationStatus.NeedMoreData;
        var destination = MacAddress.Read(source);
        var src = MacAddress.Read(source[6..]);
        var type = BinaryPrimitives.ReadUInt16BigEndian(source[12..]);
        VlanTag? tag = null;
        var length = UntaggedLength;
        if (type == Ethernet.EtherType.Vlan)
        {
            if (source.Length < TaggedLength) return OperationStatus.NeedMoreData;
            tag = VlanTag.FromTci(BinaryPrimitives.ReadUInt16BigEndian(source[14..]));
            type = BinaryPrimitives.ReadUInt16BigEndian(source[16..]);
            length = TaggedLength;
        }
        if (type < 0x0600 || type == Ethernet.EtherType.Vlan || type == 0x88A8) return OperationStatus.InvalidData;
        header = new EthernetHeader(destination, src, type, tag);
        bytesConsumed = length;
        return OperationStatus.Done;
    }

    public bool TryWrite(Span<byte> destination, out int bytesWritten)
    {
        bytesWritten = 0;
        var length = GetEncodedLength();
        if (destination.Length < length) return false;
        Destination.TryWrite(destination);
        Source.TryWrite(destination[6..]);
        if (Tag is { } tag)
        {
            BinaryPrimitives.WriteUInt16BigEndian(destination[12..], Ethernet.EtherType.Vlan);
            BinaryPrimitives.WriteUInt16BigEndian(destination[14..], tag.ToTci());
        }
        BinaryPrimitives.WriteUInt16BigEndian(destination[(length - 2)..], EtherType);
        bytesWritten = length;
        return true;
    }

    public byte[] ToArray()
    {
        var bytes = new byte[GetEncodedLength()];
        TryWrite(bytes, out _);
        return bytes;
    }
}
