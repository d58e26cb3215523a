using System.Net;
using LoadBalancer.Speaker.DataPlane.Render;

namespace LoadBalancer.Speaker.DataPlane;

/// <summary><c>--dataplane</c>: who forwards LB IP traffic on this node.</summary>
public enum DataPlaneMode
{
    /// <summary>Our nftables table forwards LB IPs (our NAT hooks run before kube-proxy's).</summary>
    Nftables,

    /// <summary>We program nothing and remove our table; kube-proxy (or the CNI) forwards LB IPs.</summary>
    Off,
}

/// <summary>How rules reach the kernel.</summary>
public enum NftBackend
{
    /// <summary>libnftables in process when libnftables.so.1 loads, else the nft CLI.</summary>
    Auto,
    LibNftables,
    Cli,
}

/// <summary>Options of <see cref="NftDataPlane"/> (bind from configuration section "DataPlane").</summary>
public sealed class NftDataPlaneOptions
{
    public DataPlaneMode Mode { get; set; } = DataPlaneMode.Nftables;

    /// <summary>Our table, family inet. Nothing outside it is ever touched.</summary>
    public string TableName { get; set; } = "lb";

    /// <summary>This node's addresses (for <see cref="MasqueradeAddress.NodeIp"/>).</summary>
    public IList<IPAddress> NodeIps { get; } = [];

    /// <summary>Pod CIDRs of the cluster: traffic from them is "internal" (internalTrafficPolicy applies, no masquerade).</summary>
    public IList<IPNetwork> PodCidrs { get; } = [];

    public MasqueradeAddress Masquerade { get; set; } = MasqueradeAddress.OutgoingInterface;

    /// <summary>Packet-mark bit used to ask for masquerade; must not collide with kube-proxy (0x4000, 0x8000) or the CNI.</summary>
    public uint MasqueradeMark { get; set; } = NftRenderOptions.DefaultMasqueradeMark;

    /// <summary>Seed of consistent hashing; keep it equal on every node.</summary>
    public uint HashSeed { get; set; } = NftRenderOptions.DefaultHashSeed;

    public NftBackend Backend { get; set; } = NftBackend.Auto;

    /// <summary>
    /// Send incremental transactions as nf_tables netlink batches written here (no nft cache read of the whole table);
    /// transactions the netlink writer does not cover, and full loads, still go through <see cref="Backend"/>.
    /// </summary>
    public bool IncrementalNetlink { get; set; } = true;

    /// <summary>Delete stale UDP/SCTP conntrack entries when an endpoint stops serving an LB IP:port (as kube-proxy does).</summary>
    public bool FlushConntrack { get; set; } = true;

    /// <summary>Path of the conntrack binary (conntrack-tools) used to flush stale UDP/SCTP entries.</summary>
    public string ConntrackPath { get; set; } = "conntrack";

    /// <summary>Path of the nft binary for the CLI backend.</summary>
    public string NftPath { get; set; } = "nft";

    /// <summary>Minimum time between two applies (changes in between are coalesced into one transaction).</summary>
    public TimeSpan MinSyncInterval { get; set; } = TimeSpan.FromMilliseconds(200);

    /// <summary>First retry delay after a failed apply (doubles up to <see cref="MaxRetryInterval"/>).</summary>
    public TimeSpan RetryInterval { get; set; } = TimeSpan.FromSeconds(1);

    public TimeSpan MaxRetryInterval { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>How often per-Service counters are read from the kernel; zero turns reading off.</summary>
    public TimeSpan CounterInterval { get; set; } = TimeSpan.FromSeconds(15);

    /// <summary>serviceProxyHealthy turns false when a desired state has been failing to apply for this long (kube-proxy: 2 × syncPeriod).</summary>
    public TimeSpan HealthTimeout { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>Delete the table when the data plane is disposed (uninstall); by default rules survive a restart.</summary>
    public bool RemoveTableOnDispose { get; set; }

    /// <summary>Program the table inside this network namespace (e.g. /var/run/netns/x) instead of the process's (tests, sandbox).</summary>
    public string? NetworkNamespacePath { get; set; }

    internal NftRenderOptions ToRenderOptions() => new(TableName, MasqueradeMark, [.. PodCidrs], [.. NodeIps], Masquerade, HashSeed);
}
