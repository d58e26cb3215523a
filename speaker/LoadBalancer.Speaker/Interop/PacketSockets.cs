using System.Net.Sockets;

namespace LoadBalancer.Speaker.Interop;

/// <summary>
/// AF_PACKET sockets bound to one interface with a kernel filter attached. Created with protocol 0 (receives
/// nothing), filter attached, then bound with the real protocol, so no unfiltered frame is ever queued.
/// Needs CAP_NET_RAW.
/// </summary>
internal static class PacketSockets
{
    public static Socket OpenArp(int interfaceIndex) => Open(interfaceIndex, Interop.Linux.ETH_P_ARP, ClassicBpf.ArpProgram());

    public static Socket OpenNdp(int interfaceIndex) => Open(interfaceIndex, Interop.Linux.ETH_P_IPV6, ClassicBpf.NdpProgram());

    private static Socket Open(int interfaceIndex, ushort protocol, ClassicBpf.Instruction[] program)
    {
        var socket = new Socket(AddressFamily.Packet, SocketType.Raw, ProtocolType.Unspecified);
        try
        {
            ClassicBpf.Attach(socket, program);
            socket.Bind(new LinkLayerEndPoint(protocol, interfaceIndex));
            return socket;
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }
}
