using System.Net;
using System.Net.Sockets;
using LoadBalancer.Proto.Primitives;
using LoadBalancer.Speaker.Interop;

namespace LoadBalancer.Speaker.Layer2;

/// <summary>
/// One interface's AF_PACKET sockets (ARP and IPv6, each with its kernel filter) and an IPv6 UDP socket used only
/// to join solicited-node multicast groups, so real NICs and MLD-snooping switches deliver solicitations to us.
/// </summary>
internal sealed class PacketPort : IL2Port, IDisposable
{
    private readonly object _gate = new();
    private readonly HashSet<UInt128> _joined = [];
    private readonly Socket? _multicast;

    public PacketPort(NetworkLink link, Socket arp, Socket ndp, Socket? multicast)
    {
        Link = link;
        Arp = arp;
        Ndp = ndp;
        _multicast = multicast;
    }

    public NetworkLink Link { get; }

    public Socket Arp { get; }

    public Socket Ndp { get; }

    public CancellationTokenSource Stopping { get; } = new();

    public int Index => Link.Index;

    public string Name => Link.Name;

    public MacAddress Mac => Link.Address!.Value;

    public UInt128? LinkLocal => Link.LinkLocalAddresses.IsDefaultOrEmpty ? null : Link.LinkLocalAddresses[0];

    public string? LastError { get; private set; }

    public bool TrySend(ReadOnlySpan<byte> frame)
    {
        try
        {
            var socket = frame.Length > 13 && frame[12] == 0x86 && frame[13] == 0xDD ? Ndp : Arp;
            return socket.Send(frame) == frame.Length;
        }
        catch (Exception ex) when (ex is SocketException or ObjectDisposedException)
        {
            LastError = ex.Message;
            return false;
        }
    }

    public void SetMulticastGroups(IReadOnlySet<UInt128> groups)
    {
        if (_multicast is null) return;
        lock (_gate)
        {
            foreach (var group in _joined.Where(g => !groups.Contains(g)).ToList())
            {
                Change(SocketOptionName.DropMembership, group);
                _joined.Remove(group);
            }
            foreach (var group in groups.Where(g => !_joined.Contains(g)).ToList())
                if (Change(SocketOptionName.AddMembership, group)) _joined.Add(group);
        }
    }

    private bool Change(SocketOptionName option, UInt128 group)
    {
        try
        {
            _multicast!.SetSocketOption(SocketOptionLevel.IPv6, option, new IPv6MulticastOption(IpAddressBits.ToIPAddress(group), Index));
            return true;
        }
        catch (Exception ex) when (ex is SocketException or ObjectDisposedException)
        {
            LastError = $"multicast {option} {IpAddressBits.ToIPAddress(group)}: {ex.Message}";
            return false;
        }
    }

    /// <summary>Opens the sockets; call inside the right network namespace.</summary>
    public static PacketPort Open(NetworkLink link)
    {
        var arp = PacketSockets.OpenArp(link.Index);
        Socket? ndp = null;
        try
        {
            ndp = PacketSockets.OpenNdp(link.Index);
            Socket? multicast = null;
            try
            {
                multicast = new Socket(AddressFamily.InterNetworkV6, SocketType.Dgram, ProtocolType.Udp);
            }
            catch (SocketException)
            {
                multicast = null; // IPv6 disabled: ARP still works.
            }
            return new PacketPort(link, arp, ndp, multicast);
        }
        catch
        {
            arp.Dispose();
            ndp?.Dispose();
            throw;
        }
    }

    public void Dispose()
    {
        Stopping.Cancel();
        Arp.Dispose();
        Ndp.Dispose();
        _multicast?.Dispose(); // closing the socket leaves its groups
        Stopping.Dispose();
    }
}
