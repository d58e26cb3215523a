using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;

namespace LoadBalancer.Speaker.Interop;

/// <summary>
/// A <c>sockaddr_ll</c> (linux/if_packet.h) for binding AF_PACKET sockets: 20 bytes, .NET writes the family into
/// bytes 0-1; <c>sll_protocol</c> (network order) at 2, <c>sll_ifindex</c> (host order) at 4; the rest is zero.
/// </summary>
internal sealed class LinkLayerEndPoint(ushort protocol, int interfaceIndex) : EndPoint
{
    public ushort Protocol { get; } = protocol;

    public int InterfaceIndex { get; } = interfaceIndex;

    public override AddressFamily AddressFamily => AddressFamily.Packet;

    public override SocketAddress Serialize()
    {
        var address = new SocketAddress(AddressFamily.Packet, 20);
        var buffer = address.Buffer.Span;
        BinaryPrimitives.WriteUInt16BigEndian(buffer[2..], Protocol);
        BinaryPrimitives.WriteInt32LittleEndian(buffer[4..], InterfaceIndex);
        return address;
    }

    public override EndPoint Create(SocketAddress socketAddress)
    {
        var buffer = socketAddress.Buffer.Span;
        return new LinkLayerEndPoint(BinaryPrimitives.ReadUInt16BigEndian(buffer[2..]), BinaryPrimitives.ReadInt32LittleEndian(buffer[4..]));
    }

    public override string ToString() => $"ll(proto 0x{Protocol:x4}, ifindex {InterfaceIndex})";
}
