using System.Collections.Immutable;
using System.Net;

namespace LoadBalancer.Speaker.DataPlane.Render;

/// <summary>How masqueraded (Cluster policy, host and hairpin) traffic gets its new source address.</summary>
public enum MasqueradeAddress
{
    /// <summary><c>masquerade</c>: the address of the interface the packet leaves by (kube-proxy's choice).</summary>
    OutgoingInterface,

    /// <summary><c>snat to</c> the first configured node IP of the packet's family (falls back to masquerade when none).</summary>
    NodeIp,
}

/// <summary>The node-level inputs of the ruleset that do not come from Services (fixed for the life of the process).</summary>
/// <param name="TableName">Our own table, family <c>inet</c>; nothing else is ever touched.</param>
/// <param name="MasqueradeMark">The packet-mark bit that asks our postrouting chain to masquerade (not kube-proxy's 0x4000).</param>
/// <param name="PodCidrs">Sources treated as in-cluster pods (internalTrafficPolicy applies), like kube-proxy's cluster CIDR.</param>
/// <param name="NodeIps">This node's addresses, used when <paramref name="Masquerade"/> is <see cref="MasqueradeAddress.NodeIp"/>.</param>
/// <param name="HashSeed">The jhash seed of consistent hashing; must be equal on every node so ECMP'd flows pick the same endpoint.</param>
public sealed record NftRenderOptions(
    string TableName = "lb",
    uint MasqueradeMark = NftRenderOptions.DefaultMasqueradeMark,
    ImmutableArray<IPNetwork> PodCidrs = default,
    ImmutableArray<IPAddress> NodeIps = default,
    MasqueradeAddress Masquerade = MasqueradeAddress.OutgoingInterface,
    uint HashSeed = NftRenderOptions.DefaultHashSeed)
{
    public const uint DefaultMasqueradeMark = 0x0200_0000;
    public const uint DefaultHashSeed = 0x4c42_5345;

    public ImmutableArray<IPNetwork> PodCidrsOrEmpty => PodCidrs.IsDefault ? [] : PodCidrs;
    public ImmutableArray<IPAddress> NodeIpsOrEmpty => NodeIps.IsDefault ? [] : NodeIps;

    public bool Equals(NftRenderOptions? other) => other is not null && TableName == other.TableName
        && MasqueradeMark == other.MasqueradeMark && PodCidrsOrEmpty.SequenceEqual(other.PodCidrsOrEmpty)
        && NodeIpsOrEmpty.SequenceEqual(other.NodeIpsOrEmpty) && Masquerade == other.Masquerade && HashSeed == other.HashSeed;

    public override int GetHashCode() => HashCode.Combine(TableName, MasqueradeMark, PodCidrsOrEmpty.Length, NodeIpsOrEmpty.Length, Masquerade, HashSeed);
}
