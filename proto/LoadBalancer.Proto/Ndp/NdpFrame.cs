using System.Buffers;
using System.Buffers.Binary;
using LoadBalancer.Proto.Ethernet;
using LoadBalancer.Proto.Ip;
using LoadBalancer.Proto.Primitives;

namespace LoadBalancer.Proto.Ndp;

/// <summary>
/// Whole Ethernet + IPv6 + ICMPv6 NS/NA frames. Decoding checks what RFC 4861 §7.1 asks of a receiver that the
/// wire can show: next header 58 (no extension headers), hop limit 255, ICMPv6 checksum over the pseudo-header,
/// code 0, option lengths; anything else is <see cref="OperationStatus.InvalidData"/>.
/// </summary>
public static class NdpFrame
{
    public const byte HopLimit = 255;

    public static OperationStatus TryRead(ReadOnlySpan<byte> frame, out EthernetHeader ethernet, out IPv6Header ip, out NdpMessage message)
    {
        ip = default;
        message = default;
        var status = EthernetHeader.TryRead(frame, out ethernet, out var offset);
        if (status != OperationStatus.Done) return status;
        if (ethernet.EtherType != EtherType.IPv6) return OperationStatus.InvalidData;
        return TryReadPacket(frame[offset..], out ip, out message);
    }

    /// <summary>Decodes an IPv6 packet carrying NS or NA (the frame without its Ethernet header).</summary>
    public static OperationStatus TryReadPacket(ReadOnlySpan<byte> packet, out IPv6Header ip, out NdpMessage message)
    {
        message = default;
        var status = IPv6Header.TryRead(packet, out ip, out var offset);
        if (status != OperationStatus.Done) return status;
        if (ip.NextHeader != IPv6Header.NextHeaderIcmpV6 || ip.HopLimit != HopLimit) return OperationStatus.InvalidData;
        var icmp = packet.Slice(offset, ip.PayloadLength);
        status = NdpMessage.TryRead(icmp, out message);
        if (status != OperationStatus.Done) return status == OperationStatus.NeedMoreData ? OperationStatus.InvalidData : status;
        if (InternetChecksum.IcmpV6(ip.Source, ip.Destination, icmp) != 0) return OperationStatus.InvalidData;
        return OperationStatus.Done;
    }

    public static int GetEncodedLength(in NdpMessage message, VlanTag? tag = null)
        => (tag is null ? EthernetHeader.UntaggedLength : EthernetHeader.TaggedLength) + IPv6Header.Length + message.GetEncodedLength();

    /// <summary>Builds the frame with hop limit 255 and the ICMPv6 checksum filled in.</summary>
    public static bool TryWrite(Span<byte> destination, MacAddress ethernetDestination, MacAddress ethernetSource,
        UInt128 source, UInt128 ipDestination, in NdpMessage message, out int bytesWritten, VlanTag? tag = null)
    {
        bytesWritten = 0;
        if (destination.Length < GetEncodedLength(message, tag)) return false;
        var ethernet = new EthernetHeader(ethernetDestination, ethernetSource, EtherType.IPv6, tag);
        ethernet.TryWrite(destination, out var offset);
        var icmpLength = message.GetEncodedLength();
        new IPv6Header(0, 0, (ushort)icmpLength, IPv6Header.NextHeaderIcmpV6, HopLimit, source, ipDestination)
            .TryWrite(destination[offset..], out var ipLength);
        offset += ipLength;
        var icmp = destination.Slice(offset, icmpLength);
        message.TryWrite(icmp, out _);
        BinaryPrimitives.WriteUInt16BigEndian(icmp[2..], InternetChecksum.IcmpV6(source, ipDestination, icmp));
        bytesWritten = offset + icmpLength;
        return true;
    }
}
