using System.Net;
using System.Net.Sockets;

namespace LoadBalancer.Speaker.Bgp;

/// <summary>Node-level settings of the BGP back end (per-peer settings come in each <c>BgpPeerSpec</c>).</summary>
public sealed class BgpAnnouncerOptions
{
    /// <summary>Next hop for IPv4 prefixes when the session's own local address is not IPv4 (IPv4 over an IPv6 session).</summary>
    public IPAddress? NextHopIPv4 { get; set; }

    /// <summary>Next hop for IPv6 prefixes when the session's own local address is not IPv6 (IPv6 over an IPv4 session).</summary>
    public IPAddress? NextHopIPv6 { get; set; }

    /// <summary>BGP Identifier when a peer has no <c>routerID</c>; else the session's local IPv4 address, else <see cref="NextHopIPv4"/>.</summary>
    public IPAddress? RouterId { get; set; }

    /// <summary>First delay before a session that went down is started again; doubles per failure up to <see cref="ReconnectBackoffMax"/>, with jitter.</summary>
    public TimeSpan ReconnectBackoffMin { get; set; } = TimeSpan.FromMilliseconds(500);

    public TimeSpan ReconnectBackoffMax { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Restart time advertised in the graceful restart capability (RFC 4724): how long peers keep our routes.</summary>
    public TimeSpan GracefulRestartTime { get; set; } = TimeSpan.FromSeconds(120);

    /// <summary>
    /// TCP port on which the speaker takes connections that peers open (passive peers; an active peer dialling us
    /// at the same time is a collision, RFC 4271 §6.8). Listens on every local address, only for the address families
    /// of configured peers; 0 turns the listener off (passive peers are then rejected).
    /// </summary>
    public int ListenPort { get; set; } = 179;

    /// <summary>Creates the TCP socket for a session (tests use it to open sockets inside a network namespace).</summary>
    public Func<AddressFamily, Socket>? SocketFactory { get; set; }

    /// <summary>Seed for the reconnect jitter (tests); null for a random seed.</summary>
    public int? JitterSeed { get; set; }
}
