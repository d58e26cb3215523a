using System.ComponentModel;
using System.Net.Sockets;
using System.Runtime.InteropServices;

namespace LoadBalancer.Speaker.Interop;

/// <summary>
/// An AF_NETLINK / NETLINK_ROUTE socket. The managed <see cref="Socket"/> cannot create this family, so the
/// descriptor comes from socket(2) and is wrapped in a <see cref="SafeSocketHandle"/>; send and receive are managed.
/// The socket lives in the network namespace of the thread that opened it.
/// </summary>
internal sealed class NetlinkRouteSocket : IDisposable
{
    private readonly Socket _socket;
    private uint _sequence;

    private NetlinkRouteSocket(Socket socket) => _socket = socket;

    public Socket Socket => _socket;

    public static NetlinkRouteSocket Open()
    {
        var fd = Interop.Libc.Socket(Interop.Linux.AF_NETLINK, Interop.Linux.SOCK_RAW | Interop.Linux.SOCK_CLOEXEC, Interop.Linux.NETLINK_ROUTE);
        if (fd < 0) throw new Win32Exception(Marshal.GetLastPInvokeError(), "socket(AF_NETLINK, NETLINK_ROUTE)");
        return new NetlinkRouteSocket(new Socket(new SafeSocketHandle(fd, ownsHandle: true)));
    }

    /// <summary>
    /// Joins rtnetlink multicast groups (RTNLGRP_* numbers) for change notifications, by binding a sockaddr_nl
    /// <c>{ u16 family; u16 pad; u32 pid; u32 groups; }</c> whose groups bitmask has bit (group - 1) set.
    /// (NETLINK_ADD_MEMBERSHIP through setsockopt did not deliver events on an unbound socket here.)
    /// </summary>
    public void Subscribe(params int[] groups)
    {
        Span<byte> address = stackalloc byte[12];
        address.Clear();
        System.Buffers.Binary.BinaryPrimitives.WriteUInt16LittleEndian(address, Interop.Linux.AF_NETLINK);
        uint mask = 0;
        foreach (var group in groups) mask |= 1u << (group - 1);
        System.Buffers.Binary.BinaryPrimitives.WriteUInt32LittleEndian(address[8..], mask);
        if (Interop.Libc.Bind(_socket.SafeHandle, address, address.Length) != 0)
            throw new Win32Exception(Marshal.GetLastPInvokeError(), "bind(AF_NETLINK)");
    }

    /// <summary>Dumps every link and every IPv6 link-local address (two synchronous requests, microseconds).</summary>
    public NetworkLink[] DumpLinks()
    {
        var links = new Dictionary<int, RtNetlink.LinkDraft>();
        var linkLocal = new Dictionary<int, List<UInt128>>();
        Dump(RtNetlink.DumpRequest(Interop.Linux.RTM_GETLINK, 0, ++_sequence), links, linkLocal);
        Dump(RtNetlink.DumpRequest(Interop.Linux.RTM_GETADDR, 10, ++_sequence), links, linkLocal);
        return RtNetlink.Build(links, linkLocal);
    }

    private void Dump(byte[] request, Dictionary<int, RtNetlink.LinkDraft> links, Dictionary<int, List<UInt128>> linkLocal)
    {
        _socket.Send(request);
        var buffer = new byte[64 * 1024];
        while (true)
        {
            var n = _socket.Receive(buffer);
            if (n <= 0 || !RtNetlink.Parse(buffer.AsSpan(0, n), links, linkLocal)) return;
        }
    }

    public void Dispose() => _socket.Dispose();
}
