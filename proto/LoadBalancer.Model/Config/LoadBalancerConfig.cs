using System.Net;
using System.Text;
using LoadBalancer.Kube;
using LoadBalancer.Model.Crds;
using LoadBalancer.Model.Net;

namespace LoadBalancer.Model.Config;

/// <summary>
/// The whole validated configuration, built by <see cref="ConfigBuilder"/> from every CR. Immutable; lists are sorted by
/// name so two builds of the same input compare equal by <see cref="Fingerprint"/>.
/// </summary>
public sealed class LoadBalancerConfig
{
    public static LoadBalancerConfig Empty { get; } = new([], [], [], [], [], new Dictionary<string, BgpCommunity>());

    public LoadBalancerConfig(
        IReadOnlyList<PoolConfig> pools,
        IReadOnlyList<L2AdvertisementConfig> l2Advertisements,
        IReadOnlyList<BgpAdvertisementConfig> bgpAdvertisements,
        IReadOnlyList<BgpPeerConfig> peers,
        IReadOnlyList<BfdProfileConfig> bfdProfiles,
        IReadOnlyDictionary<string, BgpCommunity> communityAliases)
    {
        Pools = pools;
        L2Advertisements = l2Advertisements;
        BgpAdvertisements = bgpAdvertisements;
        Peers = peers;
        BfdProfiles = bfdProfiles;
        CommunityAliases = communityAliases;
        PoolsByName = pools.ToDictionary(p => p.Name, StringComparer.Ordinal);
        PeersByName = peers.ToDictionary(p => p.Name, StringComparer.Ordinal);
        BfdProfilesByName = bfdProfiles.ToDictionary(p => p.Name, StringComparer.Ordinal);
        var sb = new StringBuilder();
        foreach (var p in pools) sb.Append(p.Fingerprint).Append('\n');
        foreach (var a in l2Advertisements) sb.Append(a.Fingerprint).Append('\n');
        foreach (var a in bgpAdvertisements) sb.Append(a.Fingerprint).Append('\n');
        foreach (var p in peers) sb.Append(p.Fingerprint).Append('\n');
        foreach (var b in bfdProfiles) sb.Append(b.Fingerprint).Append('\n');
        foreach (var (k, v) in communityAliases.OrderBy(kv => kv.Key, StringComparer.Ordinal)) sb.Append("community ").Append(k).Append('=').Append(v).Append('\n');
        Fingerprint = sb.ToString();
    }

    public IReadOnlyList<PoolConfig> Pools { get; }
    public IReadOnlyDictionary<string, PoolConfig> PoolsByName { get; }
    public IReadOnlyList<L2AdvertisementConfig> L2Advertisements { get; }
    public IReadOnlyList<BgpAdvertisementConfig> BgpAdvertisements { get; }
    public IReadOnlyList<BgpPeerConfig> Peers { get; }
    public IReadOnlyDictionary<string, BgpPeerConfig> PeersByName { get; }
    public IReadOnlyList<BfdProfileConfig> BfdProfiles { get; }
    public IReadOnlyDictionary<string, BfdProfileConfig> BfdProfilesByName { get; }
    public IReadOnlyDictionary<string, BgpCommunity> CommunityAliases { get; }

    /// <summary>A canonical text of the resolved configuration: equal fingerprints mean equal configurations.</summary>
    public string Fingerprint { get; }

    /// <summary>The pool that holds this address (pools never overlap), or null.</summary>
    public PoolConfig? FindPool(IPKey ip)
    {
        foreach (var p in Pools) if (p.Contains(ip)) return p;
        return null;
    }

    public PoolConfig? FindPool(IPAddress ip) => FindPool(IPKey.FromAddress(ip));

    public bool SameAs(LoadBalancerConfig? other) => other is not null && other.Fingerprint == Fingerprint;
}

/// <summary>One <see cref="IPAddressPool"/>, validated.</summary>
public sealed record PoolConfig
{
    public required string Name { get; init; }
    /// <summary>In the order the user listed them (allocation walks them in this order).</summary>
    public required IReadOnlyList<IPRange> Ranges { get; init; }
    public bool AutoAssign { get; init; } = true;
    public bool AvoidBuggyIPs { get; init; }
    /// <summary>Null when the pool has no <c>serviceAllocation</c> (it serves everyone, after the pinned pools).</summary>
    public PoolAllocationConfig? Allocation { get; init; }
    /// <summary>The pool object's labels, for <c>ipAddressPoolSelectors</c>.</summary>
    public IReadOnlyDictionary<string, string> Labels { get; init; } = new Dictionary<string, string>();
    public required string Fingerprint { get; init; }

    public bool Contains(IPKey ip)
    {
        foreach (var r in Ranges) if (r.Contains(ip)) return true;
        return false;
    }

    public bool HasFamily(IPFamily family) => Ranges.Any(r => r.Family == family);

    /// <summary>The number of addresses of a family (saturated at UInt128.MaxValue), minus .0/.255 with avoidBuggyIPs.</summary>
    public UInt128 Size(IPFamily family)
    {
        UInt128 total = 0;
        foreach (var r in Ranges)
        {
            if (r.Family != family) continue;
            var n = r.Count;
            if (AvoidBuggyIPs && family == IPFamily.IPv4) n -= BuggyCount(r);
            total = UInt128.MaxValue - total < n ? UInt128.MaxValue : total + n;
        }
        return total;
    }

    /// <summary>How many .0/.255 addresses an IPv4 range holds (computed, not enumerated).</summary>
    public static UInt128 BuggyCount(IPRange r)
    {
        if (r.Family != IPFamily.IPv4) return 0;
        static UInt128 CountUpTo(UInt128 x) => x / 256 + 1 + (x >= 255 ? (x - 255) / 256 + 1 : 0); // .0 and .255 in [0, x]
        var upToEnd = CountUpTo(r.End);
        var beforeStart = r.Start == 0 ? 0 : CountUpTo(r.Start - 1);
        return upToEnd - beforeStart;
    }

    /// <summary>Whether <c>serviceAllocation</c> selects this Service (true when the pool has none).</summary>
    public bool Selects(string serviceNamespace, IReadOnlyDictionary<string, string>? serviceLabels)
        => Allocation is null || Allocation.Selects(serviceNamespace, serviceLabels);
}

/// <summary>A pool's <c>serviceAllocation</c>, with namespaceSelectors resolved to names against Namespace labels.</summary>
public sealed record PoolAllocationConfig
{
    /// <summary>Lower is preferred; 0 is the lowest preference.</summary>
    public int Priority { get; init; }
    /// <summary>Null when neither namespaces nor namespaceSelectors restrict the pool.</summary>
    public IReadOnlySet<string>? Namespaces { get; init; }
    /// <summary>OR; empty = every Service.</summary>
    public IReadOnlyList<LabelSelectorMatcher> ServiceSelectors { get; init; } = [];

    public bool Selects(string serviceNamespace, IReadOnlyDictionary<string, string>? serviceLabels)
        => (Namespaces is null || Namespaces.Contains(serviceNamespace)) && SelectorValidation.MatchesAny(ServiceSelectors, serviceLabels);
}

/// <summary>One <see cref="L2Advertisement"/>, with its pools resolved to names.</summary>
public sealed record L2AdvertisementConfig
{
    public required string Name { get; init; }
    public required IReadOnlyList<string> Pools { get; init; }
    /// <summary>OR; empty = every node.</summary>
    public IReadOnlyList<LabelSelectorMatcher> NodeSelectors { get; init; } = [];
    /// <summary>Empty = every interface.</summary>
    public IReadOnlyList<string> Interfaces { get; init; } = [];
    /// <summary>OR; empty = every Service.</summary>
    public IReadOnlyList<LabelSelectorMatcher> ServiceSelectors { get; init; } = [];
    /// <summary>Periodic gratuitous ARP / unsolicited NA; null = off.</summary>
    public TimeSpan? GratuitousInterval { get; init; }
    public required string Fingerprint { get; init; }

    public bool SelectsNode(IReadOnlyDictionary<string, string>? nodeLabels) => SelectorValidation.MatchesAny(NodeSelectors, nodeLabels);
    public bool SelectsService(IReadOnlyDictionary<string, string>? serviceLabels) => SelectorValidation.MatchesAny(ServiceSelectors, serviceLabels);
}

/// <summary>One <see cref="BGPAdvertisement"/>, with pools resolved and communities resolved through aliases.</summary>
public sealed record BgpAdvertisementConfig
{
    public required string Name { get; init; }
    public required IReadOnlyList<string> Pools { get; init; }
    public IReadOnlyList<LabelSelectorMatcher> NodeSelectors { get; init; } = [];
    /// <summary>BGPPeer names; empty = every peer.</summary>
    public IReadOnlyList<string> Peers { get; init; } = [];
    public int AggregationLength { get; init; } = 32;
    public int AggregationLengthV6 { get; init; } = 128;
    /// <summary>Sent to iBGP peers only.</summary>
    public uint? LocalPref { get; init; }
    /// <summary>Sorted and de-duplicated.</summary>
    public IReadOnlyList<BgpCommunity> Communities { get; init; } = [];
    public IReadOnlyList<LabelSelectorMatcher> ServiceSelectors { get; init; } = [];
    public required string Fingerprint { get; init; }

    public bool SelectsNode(IReadOnlyDictionary<string, string>? nodeLabels) => SelectorValidation.MatchesAny(NodeSelectors, nodeLabels);
    public bool SelectsService(IReadOnlyDictionary<string, string>? serviceLabels) => SelectorValidation.MatchesAny(ServiceSelectors, serviceLabels);
    public bool SelectsPeer(string peerName) => Peers.Count == 0 || Peers.Contains(peerName);
    public int AggregationLengthFor(IPFamily family) => family == IPFamily.IPv6 ? AggregationLengthV6 : AggregationLength;
}

/// <summary>One <see cref="BGPPeer"/>, with timers resolved (hold 90s and keepalive hold/3 by default).</summary>
public sealed record BgpPeerConfig
{
    public required string Name { get; init; }
    public required uint MyAsn { get; init; }
    public required uint PeerAsn { get; init; }
    public required IPAddress PeerAddress { get; init; }
    public int PeerPort { get; init; } = 179;
    public IPAddress? SourceAddress { get; init; }
    public TimeSpan HoldTime { get; init; } = TimeSpan.FromSeconds(90);
    public TimeSpan KeepaliveTime { get; init; } = TimeSpan.FromSeconds(30);
    public TimeSpan? ConnectTime { get; init; }
    /// <summary>An IPv4 address; null = the speaker picks one.</summary>
    public IPAddress? RouterId { get; init; }
    public IReadOnlyList<LabelSelectorMatcher> NodeSelectors { get; init; } = [];
    public string? Password { get; init; }
    /// <summary>A Secret (type kubernetes.io/basic-auth, key <c>password</c>) the speaker reads.</summary>
    public SecretRef? PasswordSecret { get; init; }
    public bool EbgpMultiHop { get; init; }
    public string? BfdProfile { get; init; }
    public bool EnableGracefulRestart { get; init; }
    /// <summary>Wait for the peer to connect instead of dialling.</summary>
    public bool Passive { get; init; }
    public bool DualStackAddressFamily { get; init; }
    public required string Fingerprint { get; init; }

    public bool IsIbgp => MyAsn == PeerAsn;
    public bool SelectsNode(IReadOnlyDictionary<string, string>? nodeLabels) => SelectorValidation.MatchesAny(NodeSelectors, nodeLabels);
}

public sealed record SecretRef(string Namespace, string Name);

/// <summary>One <see cref="BFDProfile"/> with defaults applied.</summary>
public sealed record BfdProfileConfig
{
    public required string Name { get; init; }
    public TimeSpan ReceiveInterval { get; init; } = TimeSpan.FromMilliseconds(300);
    public TimeSpan TransmitInterval { get; init; } = TimeSpan.FromMilliseconds(300);
    public int DetectMultiplier { get; init; } = 3;
    public TimeSpan EchoInterval { get; init; } = TimeSpan.FromMilliseconds(50);
    public bool EchoMode { get; init; }
    public bool PassiveMode { get; init; }
    public int? MinimumTtl { get; init; }
    public required string Fingerprint { get; init; }
}
