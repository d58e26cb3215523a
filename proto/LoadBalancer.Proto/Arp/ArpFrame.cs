using System.Buffers;
using LoadBalancer.Proto.Ethernet;
using LoadBalancer.Proto.Primitives;

namespace LoadBalancer.Proto.Arp;

/// <summary>Whole Ethernet frames carrying ARP: decode both layers, or build one (42 octets untagged, unpadded).</summary>
public static class ArpFrame
{
    public const int UntaggedLength = EthernetHeader.UntaggedLength + ArpPacket.Length;

    /// <summary>Decodes Ethernet + ARP; a frame whose EtherType is not ARP is <see cref="OperationStatus.InvalidData"/>.</summary>
    public static OperationStatus TryRead(ReadOnlySpan<byte> frame, out EthernetHeader ethernet, out ArpPacket arp)
    {
        arp = default;
        var status = EthernetHeader.TryRead(frame, out ethernet, out var offset);
        if (status != OperationStatus.Done) return status;
        if (ethernet.EtherType != EtherType.Arp) return OperationStatus.InvalidData;
        return ArpPacket.TryRead(frame[offset..], out arp, out _);
    }

    public static bool TryWrite(Span<byte> destination, MacAddress ethernetDestination, MacAddress ethernetSource, in ArpPacket arp, out int bytesWritten)
    {
        bytesWritten = 0;
        var ethernet = new EthernetHeader(ethernetDestination, ethernetSource, EtherType.Arp);
        if (!ethernet.TryWrite(destination, out var n) || !arp.TryWrite(destination[n..], out var m)) return false;
        bytesWritten = n + m;
        return true;
    }
}
