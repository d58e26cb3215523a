using System.Collections.Immutable;
using System.Net;

// The seams between the speaker's planner/host and its three protocol back ends (Layer 2, BGP, data plane).
// The planner decides; back ends reconcile towards what they are given and report what is really happening.
// Every back end is driven through one of these small interfaces so the host can run with recording fakes in
// tests. Change a contract only together with every implementation of it.
namespace LoadBalancer.Speaker.Announcing;

/// <summary>A Service key, always printed as <c>namespace/name</c>.</summary>
public readonly record struct ServiceKey(string Namespace, string Name)
{
    public override string ToString() => $"{Namespace}/{Name}";
}

/// <summary>This node owns <see cref="Ip"/> in Layer 2 mode and must answer ARP (IPv4) / NDP (IPv6) for it.</summary>
/// <param name="Interfaces">Interfaces to answer on; empty means every suitable interface.</param>
/// <param name="Services">All Services that share the IP (they elect the same owner).</param>
/// <param name="GratuitousInterval">Periodic gratuitous ARP / unsolicited NA, or null for only the burst on takeover.</param>
public sealed record Layer2Announcement(
    IPAddress Ip,
    ImmutableArray<string> Interfaces,
    ImmutableArray<ServiceKey> Services,
    TimeSpan? GratuitousInterval = null);

/// <summary>Something that should be announced but cannot be (interface missing, socket error, address conflict).</summary>
public sealed record AnnounceFailure(IPAddress Ip, string Reason, string Message);

/// <summary>The Layer 2 back end: answers ARP/NDP for exactly the desired IPs.</summary>
public interface ILayer2Announcer
{
    /// <summary>Replaces the whole desired set. Must stop answering for a removed IP before returning.</summary>
    ValueTask SetDesiredAsync(IReadOnlyCollection<Layer2Announcement> desired, CancellationToken cancellationToken);

    /// <summary>IPs it was told to announce but cannot, and IPs on which another host was seen answering.</summary>
    IReadOnlyCollection<AnnounceFailure> Failures { get; }

    /// <summary>Raised (from any thread) when <see cref="Failures"/> changes.</summary>
    event Action? FailuresChanged;
}

/// <summary>A BGP neighbour this node must peer with, fully resolved (password read from its Secret).</summary>
/// <param name="Passive">Do not dial: the peer connects to the speaker's listener (<c>BgpAnnouncerOptions.ListenPort</c>).</param>
public sealed record BgpPeerSpec(
    string Name,
    IPAddress PeerAddress,
    ushort PeerPort,
    uint MyAsn,
    uint PeerAsn,
    IPAddress? SourceAddress,
    IPAddress? RouterId,
    TimeSpan HoldTime,
    TimeSpan? KeepaliveTime,
    TimeSpan ConnectTime,
    string? Password,
    bool EbgpMultiHop,
    bool EnableGracefulRestart,
    string? BfdProfile = null,
    bool Passive = false);

/// <summary>A route this node advertises to one peer.</summary>
/// <param name="Prefix">The service IP as /32 or /128, or its aggregate (aggregationLength).</param>
/// <param name="Communities">RFC 1997 communities as 32-bit values (ASN &lt;&lt; 16 | value).</param>
/// <param name="LargeCommunities">RFC 8092 large communities.</param>
/// <param name="LocalPreference">LOCAL_PREF, sent to iBGP peers only.</param>
public sealed record BgpRoute(
    string Peer,
    IPNetwork Prefix,
    ImmutableArray<uint> Communities,
    ImmutableArray<(uint Global, uint Local1, uint Local2)> LargeCommunities,
    uint? LocalPreference)
{
    public bool Equals(BgpRoute? other) => other is not null && Peer == other.Peer && Prefix.Equals(other.Prefix)
        && Communities.SequenceEqual(other.Communities) && LargeCommunities.SequenceEqual(other.LargeCommunities)
        && LocalPreference == other.LocalPreference;

    public override int GetHashCode() => HashCode.Combine(Peer, Prefix, Communities.Length, LargeCommunities.Length, LocalPreference);
}

/// <summary>The state of one BGP session as users see it in the BGPSession status.</summary>
public sealed record BgpSessionStatus(
    string Peer,
    string State,
    DateTimeOffset? EstablishedSince,
    int PrefixesAdvertised,
    string? LastError);

/// <summary>The BGP back end: one session per peer, an Adj-RIB-Out per session.</summary>
public interface IBgpAnnouncer
{
    /// <summary>Replaces the set of peers (sessions start, stop, or restart when their spec changed).</summary>
    ValueTask SetPeersAsync(IReadOnlyCollection<BgpPeerSpec> peers, CancellationToken cancellationToken);

    /// <summary>Replaces the whole desired route set; only the difference goes on the wire.</summary>
    ValueTask SetDesiredAsync(IReadOnlyCollection<BgpRoute> routes, CancellationToken cancellationToken);

    IReadOnlyCollection<BgpSessionStatus> Sessions { get; }

    /// <summary>Raised (from any thread) when a session changes state.</summary>
    event Action<BgpSessionStatus>? SessionChanged;

    /// <summary>Clean shutdown: CEASE / Administrative Shutdown (RFC 8203 message) to every peer.</summary>
    ValueTask ShutdownAsync(string message, CancellationToken cancellationToken);
}

public enum TrafficPolicy { Cluster, Local }

public enum LoadBalancingMode { Random, ConsistentHash }

/// <summary>One port of a Service as the data plane needs it (protocol is "TCP", "UDP" or "SCTP").</summary>
public sealed record ServicePortSpec(string Name, string Protocol, int Port);

/// <summary>One endpoint address with the resolved target port per Service port name.</summary>
public sealed record EndpointSpec(
    IPAddress Address,
    string? NodeName,
    string? Zone,
    bool Ready,
    bool Serving,
    bool Terminating,
    ImmutableDictionary<string, int> PortsByName,
    ImmutableArray<string> ZoneHints = default);

/// <summary>A Service with assigned LB IPs, as the data plane forwards it.</summary>
public sealed record DataPlaneService(
    ServiceKey Key,
    ImmutableArray<IPAddress> LoadBalancerIps,
    ImmutableArray<ServicePortSpec> Ports,
    TrafficPolicy ExternalTrafficPolicy,
    TrafficPolicy InternalTrafficPolicy,
    TimeSpan? SessionAffinityTimeout,
    ImmutableArray<IPNetwork> SourceRanges,
    int? HealthCheckNodePort,
    bool PreferClose,
    LoadBalancingMode LoadBalancing,
    ImmutableArray<EndpointSpec> Endpoints);

/// <summary>Everything the data plane forwards, for one node.</summary>
public sealed record DataPlaneSnapshot(string NodeName, string? NodeZone, ImmutableArray<DataPlaneService> Services);

/// <summary>The kernel data plane: programs forwarding for the snapshot; also serves healthCheckNodePorts.</summary>
public interface IDataPlane
{
    ValueTask SyncAsync(DataPlaneSnapshot snapshot, CancellationToken cancellationToken);
}

/// <summary>A speaker on another node, reachable at <see cref="Address"/> on the node network.</summary>
public sealed record SpeakerPeer(string Node, IPAddress Address);

/// <summary>
/// Fast failure detection between speakers (BFD-style UDP probes on the node network), faster than Lease expiry.
/// The planner treats a node as alive while its Lease is valid and the prober does not report it unreachable;
/// the Lease stays the tie-breaker (see the Layer 2 failure model in docs/layer2.md).
/// </summary>
public interface IPeerProber
{
    /// <summary>Replaces the set of speakers to probe (from Node objects and live Leases).</summary>
    void SetPeers(IReadOnlyCollection<SpeakerPeer> peers);

    /// <summary>Nodes whose speaker stopped answering probes.</summary>
    IReadOnlySet<string> Unreachable { get; }

    /// <summary>Raised (from any thread) when <see cref="Unreachable"/> changes.</summary>
    event Action? Changed;
}
