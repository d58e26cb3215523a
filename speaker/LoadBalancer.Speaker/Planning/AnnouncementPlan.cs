using System.Collections.Immutable;
using System.Net;
using LoadBalancer.Speaker.Announcing;

namespace LoadBalancer.Speaker.Planning;

/// <summary>How an IP is announced. Printed in status and events as <c>layer2</c> / <c>bgp</c>.</summary>
public enum AnnounceProtocol { Layer2, Bgp }

/// <summary>
/// Why this node does not announce a Service (or one of its IPs). The names are the user-facing reasons in the
/// <c>Withdrawn</c> event. The planner produces the first five; the event differ adds <see cref="IpChanged"/> and
/// <see cref="ServiceDeleted"/> by comparing two plans.
/// </summary>
public enum WithdrawReason
{
    /// <summary>This node's speaker is not alive, or the node opted out (exclude label, NetworkUnavailable=True).</summary>
    NodeExcluded,
    /// <summary>No advertisement selects the IP's pool, this node and the Service (or the IP is in no pool).</summary>
    NotAdvertised,
    /// <summary>The Service has no usable endpoint anywhere.</summary>
    NoEndpoints,
    /// <summary>externalTrafficPolicy: Local and this node holds no usable endpoint.</summary>
    NoLocalEndpoints,
    /// <summary>Layer 2: this node is eligible but another node owns the IP.</summary>
    LeaderMoved,
    /// <summary>The Service's IPs changed (or it lost them).</summary>
    IpChanged,
    /// <summary>The Service is gone (deleted, or no longer a load balancer of ours).</summary>
    ServiceDeleted,
}

internal static class PlanNames
{
    public static string Name(this WithdrawReason r) => r switch
    {
        WithdrawReason.NodeExcluded => "nodeExcluded",
        WithdrawReason.NotAdvertised => "notAdvertised",
        WithdrawReason.NoEndpoints => "noEndpoints",
        WithdrawReason.NoLocalEndpoints => "noLocalEndpoints",
        WithdrawReason.LeaderMoved => "leaderMoved",
        WithdrawReason.IpChanged => "ipChanged",
        WithdrawReason.ServiceDeleted => "serviceDeleted",
        _ => r.ToString(),
    };

    public static string Name(this AnnounceProtocol p) => p == AnnounceProtocol.Layer2 ? "layer2" : "bgp";
}

/// <summary>One IP this node announces for a Service with one protocol.</summary>
/// <param name="Interfaces">Layer 2: the interfaces (empty = all suitable ones).</param>
/// <param name="Peers">BGP: the peers the IP's route goes to.</param>
internal sealed record IpAnnouncement(IPAddress Ip, AnnounceProtocol Protocol, ImmutableArray<string> Interfaces, ImmutableArray<string> Peers)
{
    public bool Equals(IpAnnouncement? other) => other is not null && Ip.Equals(other.Ip) && Protocol == other.Protocol
        && Interfaces.SequenceEqual(other.Interfaces) && Peers.SequenceEqual(other.Peers);

    public override int GetHashCode() => HashCode.Combine(Ip, Protocol, Interfaces.Length, Peers.Length);
}

/// <summary>
/// This node's decision for one Service: what it announces, and, when it announces nothing, why not.
/// <see cref="Reason"/> is null exactly when <see cref="Announcements"/> is not empty.
/// </summary>
internal sealed record ServicePlan(ServiceKey Key, ImmutableArray<IPAddress> Ips, ImmutableArray<IpAnnouncement> Announcements, WithdrawReason? Reason)
{
    public bool Announced => !Announcements.IsEmpty;

    public bool Equals(ServicePlan? other) => other is not null && Key == other.Key && Ips.SequenceEqual(other.Ips)
        && Announcements.SequenceEqual(other.Announcements) && Reason == other.Reason;

    public override int GetHashCode() => HashCode.Combine(Key, Ips.Length, Announcements.Length, Reason);
}

/// <summary>The whole desired state of one node: what each back end is told, and the per-Service outcome.</summary>
internal sealed record AnnouncementPlan(
    string NodeName,
    ImmutableArray<Layer2Announcement> Layer2,
    ImmutableArray<BgpRoute> BgpRoutes,
    ImmutableArray<BgpPeerSpec> BgpPeers,
    ImmutableDictionary<ServiceKey, ServicePlan> Services,
    DataPlaneSnapshot DataPlane)
{
    public static AnnouncementPlan Empty(string nodeName) => new(nodeName, [], [], [],
        ImmutableDictionary<ServiceKey, ServicePlan>.Empty, new DataPlaneSnapshot(nodeName, null, []));
}
