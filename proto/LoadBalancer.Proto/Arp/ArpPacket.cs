using System.Buffers;
using System.Buffers.Binary;
using LoadBalancer.Proto.Primitives;

namespace LoadBalancer.Proto.Arp;

/// <summary>
/// An ARP packet for IPv4 over Ethernet (RFC 826), the only kind we speak:
/// <code>
///  0                   1                   2                   3
/// +---------------+---------------+---------------+---------------+
/// |  hrd = 1 (Ethernet)           |  pro = 0x0800 (IPv4)          |
/// +---------------+---------------+---------------+---------------+
/// |  hln = 6      |  pln = 4      |  op (1 request, 2 reply)      |
/// +---------------+---------------+-------------------------------+
/// |  sha (6) | spa (4) | tha (6) | tpa (4)                        |
/// +---------------------------------------------------------------+
/// </code>
/// Addresses are numeric (<see cref="IpAddressBits"/>). Other hardware/protocol types or lengths are
/// <see cref="OperationStatus.InvalidData"/>, as are opcodes other than request and reply. Trailing bytes
/// (Ethernet padding to 60 octets) are not consumed.
/// </summary>
public readonly record struct ArpPacket(ArpOperation Operation, MacAddress SenderHardware, uint SenderIp, MacAddress TargetHardware, uint TargetIp)
{
    public const int Length = 28;
    public const ushort HardwareEthernet = 1;

    /// <summary>RFC 5227 §2.1.1 probe: sender IP 0.0.0.0, target MAC zero.</summary>
    public bool IsProbe => Operation == ArpOperation.Request && SenderIp == 0;

    /// <summary>Gratuitous (RFC 5227 §3 announcement, or a gratuitous reply): sender IP = target IP.</summary>
    public bool IsGratuitous => SenderIp == TargetIp && SenderIp != 0;

    public static ArpPacket Probe(MacAddress sender, uint ip) => new(ArpOperation.Request, sender, 0, MacAddress.Zero, ip);

    public static OperationStatus TryRead(ReadOnlySpan<byte> source, out ArpPacket packet, out int bytesConsumed)
    {
        packet = default;
        bytesConsumed = 0;
        if (source.Length < 8)
            return source.Length >= 2 && BinaryPrimitives.ReadUInt16BigEndian(source) != HardwareEthernet ? OperationStatus.InvalidData : OperationStatus.NeedMoreData;
        if (BinaryPrimitives.ReadUInt16BigEndian(source) != HardwareEthernet
            || BinaryPrimitives.ReadUInt16BigEndian(source[2..]) != Ethernet.EtherType.IPv4
            || source[4] != MacAddress.Length || source[5] != 4)
            return OperationStatus.InvalidData;
        var op = BinaryPrimitives.ReadUInt16BigEndian(source[6..]);
        if (op is not ((ushort)ArpOperation.Request or (ushort)ArpOperation.Reply)) return OperationStatus.InvalidData;
        if (source.Length < Length) return OperationStatus.NeedMoreData;
        packet = new ArpPacket(
            (ArpOperation)op,
            MacAddress.Read(source[8..]),
            BinaryPrimitives.ReadUInt32BigEndian(source[14..]),
            MacAddress.Read(source[18..]),
            BinaryPrimitives.ReadUInt32BigEndian(source[24..]));
        bytesConsumed = Length;
        return OperationStatus.Done;
    }

    public int GetEncodedLength() => Length;

    public bool TryWrite(Span<byte> destination, out int bytesWritten)
    {
        bytesWritten = 0;
        if (destination.Length < Length) return false;
        BinaryPrimitives.WriteUInt16BigEndian(destination, HardwareEthernet);
        BinaryPrimitives.WriteUInt16BigEndian(destination[2..], Ethernet.EtherType.IPv4);
        destination[4] = MacAddress.Length;
        destination[5] = 4;
        BinaryPrimitives.WriteUInt16BigEndian(destination[6..], (ushort)Operation);
        SenderHardware.TryWrite(destination[8..]);
        BinaryPrimitives.WriteUInt32BigEndian(destination[14..], SenderIp);
        TargetHardware.TryWrite(destination[18..]);
        BinaryPrimitives.WriteUInt32BigEndian(destination[24..], TargetIp);
        bytesWritten = Length;
        return true;
    }

    public byte[] ToArray()
    {
        var bytes = new byte[Length];
        TryWrite(bytes, out _);
        return bytes;
    }
}
