using System.Buffers;
using System.Buffers.Binary;
using LoadBalancer.Proto.Primitives;

namespace LoadBalancer.Proto.Ndp;

/// <summary>
/// An ICMPv6 Neighbor Solicitation or Neighbor Advertisement (RFC 4861 §4.3, §4.4):
/// <code>
/// +---------------+---------------+-------------------------------+
/// |     Type      |   Code (0)    |          Checksum             |
/// +-+-+-+---------+---------------+-------------------------------+
/// |R|S|O|                     Reserved (NS: all 32 bits)          |
/// +-+-+-+---------------------------------------------------------+
/// |                       Target Address (128)                    |
/// +---------------------------------------------------------------+
/// |   Options ...  (type, length in units of 8 octets, value)     |
/// </code>
/// Options kept: Source Link-Layer Address (type 1) and Target Link-Layer Address (type 2) for Ethernet
/// (length 1). Other options are skipped. An option of length 0 is <see cref="OperationStatus.InvalidData"/>
/// (RFC 4861 §4.6), as is a code other than 0. The checksum is not verified here: it needs the IPv6 pseudo-header
/// (see <see cref="NdpFrame"/>). R/S/O are only meaningful for advertisements.
/// </summary>
public readonly record struct NdpMessage(
    NdpMessageType Type,
    UInt128 Target,
    MacAddress? SourceLinkLayer = null,
    MacAddress? TargetLinkLayer = null,
    bool Router = false,
    bool Solicited = false,
    bool Override = false)
{
    public const int FixedLength = 24;
    public const byte OptionSourceLinkLayer = 1;
    public const byte OptionTargetLinkLayer = 2;

    public static OperationStatus TryRead(ReadOnlySpan<byte> source, out NdpMessage message)
    {
        message = default;
        if (source.Length == 0) return OperationStatus.NeedMoreData;
        var type = source[0];
        if (type is not ((byte)NdpMessageType.NeighborSolicitation or (byte)NdpMessageType.NeighborAdvertisement)) return OperationStatus.InvalidData;
        if (source.Length < 2) return OperationStatus.NeedMoreData;
        if (source[1] != 0) return OperationStatus.InvalidData;
        if (source.Length < FixedLength) return OperationStatus.NeedMoreData;
        var flags = source[4];
        var target = BinaryPrimitives.ReadUInt128BigEndian(source[8..]);
        MacAddress? sll = null, tll = null;
        var options = source[FixedLength..];
        while (options.Length > 0)
        {
            if (options.Length < 2) return OperationStatus.NeedMoreData;
            var length = options[1] * 8;
            if (length == 0) return OperationStatus.InvalidData;
            if (options.Length < length) return OperationStatus.NeedMoreData;
            if (options[0] is OptionSourceLinkLayer or OptionTargetLinkLayer && length == 8)
            {
                var mac = MacAddress.Read(options[2..]);
                if (options[0] == OptionSourceLinkLayer) sll = mac; else tll = mac;
            }
            options = options[length..];
        }
        var advertisement = type == (byte)NdpMessageType.NeighborAdvertisement;
        message = new NdpMessage((NdpMessageType)type, target, sll, tll,
            advertisement && (flags & 0x80) != 0, advertisement && (flags & 0x40) != 0, advertisement && (flags & 0x20) != 0);
        return OperationStatus.Done;
    }

    public int GetEncodedLength() => FixedLength + (SourceLinkLayer is null ? 0 : 8) + (TargetLinkLayer is null ? 0 : 8);

    /// <summary>Writes the message with a zero checksum; <see cref="NdpFrame"/> fills it in.</summary>
    public bool TryWrite(Span<byte> destination, out int bytesWritten)
    {
        bytesWritten = 0;
        var length = GetEncodedLength();
        if (destination.Length < length) return false;
        destination[..FixedLength].Clear();
        destination[0] = (byte)Type;
        if (Type == NdpMessageType.NeighborAdvertisement)
            destination[4] = (byte)((Router ? 0x80 : 0) | (Solicited ? 0x40 : 0) | (Override ? 0x20 : 0));
        BinaryPrimitives.WriteUInt128BigEndian(destination[8..], Target);
        var offset = FixedLength;
        if (SourceLinkLayer is { } sll) offset += WriteOption(destination[offset..], OptionSourceLinkLayer, sll);
        if (TargetLinkLayer is { } tll) offset += WriteOption(destination[offset..], OptionTargetLinkLayer, tll);
        bytesWritten = offset;
        return true;
    }

    private static int WriteOption(Span<byte> destination, byte type, MacAddress mac)
    {
        destination[0] = type;
        destination[1] = 1;
        mac.TryWrite(destination[2..]);
        return 8;
    }
}
