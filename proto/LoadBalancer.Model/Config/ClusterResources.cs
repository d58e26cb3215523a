using LoadBalancer.Kube.Api;
using LoadBalancer.Model.Crds;

namespace LoadBalancer.Model.Config;

/// <summary>Everything <see cref="ConfigBuilder"/> reads: all our CRs, plus Namespaces (for namespaceSelectors) and Nodes.</summary>
public sealed record ClusterResources
{
    public IReadOnlyList<IPAddressPool> Pools { get; init; } = [];
    public IReadOnlyList<L2Advertisement> L2Advertisements { get; init; } = [];
    public IReadOnlyList<BGPAdvertisement> BgpAdvertisements { get; init; } = [];
    public IReadOnlyList<BGPPeer> Peers { get; init; } = [];
    public IReadOnlyList<BFDProfile> BfdProfiles { get; init; } = [];
    public IReadOnlyList<Community> Communities { get; init; } = [];
    /// <summary>Namespaces and their labels, to resolve <c>serviceAllocation.namespaceSelectors</c>.</summary>
    public IReadOnlyList<V1Namespace> Namespaces { get; init; } = [];
    /// <summary>Optional: nodes, to decide whether two BGPAdvertisements' nodeSelectors overlap.</summary>
    public IReadOnlyList<V1Node> Nodes { get; init; } = [];
}

public sealed record ConfigBuilderOptions
{
    /// <summary>When set, CRs in any other namespace are rejected.</summary>
    public string? Namespace { get; init; }
}
