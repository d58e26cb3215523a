using System.Collections.Immutable;
using System.Net;
using System.Net.Sockets;
using LoadBalancer.Speaker.Announcing;

namespace LoadBalancer.Speaker.Planning;

// The planner's own immutable inputs. The host maps Kubernetes objects and the validated configuration into these
// (SnapshotMapper), so the planner depends on neither the wire types nor the CRD DTOs and is tested with plain tables.

/// <summary>A Service of ours that has load-balancer IPs (status.loadBalancer.ingress).</summary>
/// <param name="Pool">The <c>ip-allocated-from-pool</c> annotation, if any; the planner falls back to the pool that contains the IP.</param>
internal sealed record ServiceInput(
    ServiceKey Key,
    ImmutableDictionary<string, string> Labels,
    ImmutableArray<IPAddress> Ips,
    string? Pool,
    TrafficPolicy ExternalTrafficPolicy,
    TrafficPolicy InternalTrafficPolicy = TrafficPolicy.Cluster,
    ImmutableArray<ServicePortSpec> Ports = default,
    TimeSpan? SessionAffinityTimeout = null,
    ImmutableArray<IPNetwork> SourceRanges = default,
    int? HealthCheckNodePort = null,
    bool PreferClose = false,
    LoadBalancingMode LoadBalancing = LoadBalancingMode.Random);

/// <summary>One endpoint of an EndpointSlice. Ready/Serving already defaulted (nil means true), Terminating nil means false.</summary>
internal sealed record EndpointInput(
    ImmutableArray<IPAddress> Addresses,
    string? NodeName,
    bool Ready,
    bool Serving,
    bool Terminating,
    string? Zone = null,
    ImmutableArray<string> ZoneHints = default);

/// <summary>A port of an EndpointSlice (name may be empty for an unnamed single port).</summary>
internal sealed record EndpointPortInput(string Name, string Protocol, int Port);

/// <summary>An EndpointSlice of <see cref="Service"/>; <see cref="Family"/> is null for FQDN slices (ignored).</summary>
internal sealed record EndpointSliceInput(
    ServiceKey Service,
    string Name,
    AddressFamily? Family,
    ImmutableArray<EndpointInput> Endpoints,
    ImmutableArray<EndpointPortInput> Ports = default);

/// <summary>A Node as the planner needs it.</summary>
internal sealed record NodeInput(
    string Name,
    ImmutableDictionary<string, string> Labels,
    bool NetworkUnavailable = false,
    ImmutableArray<IPAddress> Addresses = default)
{
    public const string ExcludeLabel = "node.kubernetes.io/exclude-from-external-load-balancers";
    public const string ZoneLabel = "topology.kubernetes.io/zone";

    /// <summary>Excluded by the opt-out label (any value) or by NetworkUnavailable=True.</summary>
    public bool Excluded => NetworkUnavailable || Labels.ContainsKey(ExcludeLabel);

    public string? Zone => Labels.TryGetValue(ZoneLabel, out var z) ? z : null;
}

/// <summary>A validated IPAddressPool: its name, labels and address ranges (as CIDRs).</summary>
internal sealed record PoolInput(string Name, ImmutableDictionary<string, string> Labels, ImmutableArray<IPNetwork> Cidrs)
{
    public bool Contains(IPAddress ip)
    {
        foreach (var c in Cidrs)
        {
            if (c.Contains(ip)) return true;
        }
        return false;
    }
}

/// <summary>A validated L2Advertisement.</summary>
internal sealed record L2AdvertisementInput(
    string Name,
    ImmutableArray<string> Pools = default,
    ImmutableArray<Selector> PoolSelectors = default,
    ImmutableArray<Selector> NodeSelectors = default,
    ImmutableArray<Selector> ServiceSelectors = default,
    ImmutableArray<string> Interfaces = default,
    TimeSpan? GratuitousInterval = null) : IAdvertisement;

/// <summary>A validated BGPAdvertisement with community aliases already resolved to values.</summary>
internal sealed record BgpAdvertisementInput(
    string Name,
    ImmutableArray<string> Pools = default,
    ImmutableArray<Selector> PoolSelectors = default,
    ImmutableArray<Selector> NodeSelectors = default,
    ImmutableArray<Selector> ServiceSelectors = default,
    ImmutableArray<string> Peers = default,
    int AggregationLength = 32,
    int AggregationLengthV6 = 128,
    uint? LocalPreference = null,
    ImmutableArray<uint> Communities = default,
    ImmutableArray<(uint Global, uint Local1, uint Local2)> LargeCommunities = default) : IAdvertisement;

/// <summary>Pool and Service selection shared by both advertisement kinds.</summary>
internal interface IAdvertisement
{
    string Name { get; }
    ImmutableArray<string> Pools { get; }
    ImmutableArray<Selector> PoolSelectors { get; }
    ImmutableArray<Selector> NodeSelectors { get; }
    ImmutableArray<Selector> ServiceSelectors { get; }
}

/// <summary>A validated BGPPeer: the session spec and the nodes that open it.</summary>
internal sealed record PeerInput(BgpPeerSpec Spec, ImmutableArray<Selector> NodeSelectors = default);

/// <summary>The validated configuration the planner reads.</summary>
internal sealed record PlannerConfig(
    ImmutableArray<PoolInput> Pools,
    ImmutableArray<L2AdvertisementInput> L2Advertisements,
    ImmutableArray<BgpAdvertisementInput> BgpAdvertisements,
    ImmutableArray<PeerInput> Peers)
{
    public static PlannerConfig Empty { get; } = new([], [], [], []);
}

/// <summary>Everything the planner decides from. <see cref="LiveSpeakers"/> = valid Lease and not unreachable.</summary>
internal sealed record PlannerSnapshot(
    ImmutableArray<ServiceInput> Services,
    ImmutableArray<EndpointSliceInput> EndpointSlices,
    ImmutableArray<NodeInput> Nodes,
    PlannerConfig Config,
    ImmutableHashSet<string> LiveSpeakers,
    bool Layer2Enabled = true,
    bool BgpEnabled = true);
