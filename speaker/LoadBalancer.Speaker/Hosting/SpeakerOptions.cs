using System.Globalization;
using System.Net;
using LoadBalancer.Speaker.DataPlane;

namespace LoadBalancer.Speaker.Hosting;

/// <summary>The speaker's settings, from its command line and environment (see <see cref="SpeakerCommandLine"/>).</summary>
internal sealed record SpeakerOptions
{
    public required string NodeName { get; init; }
    public string Namespace { get; init; } = "loadbalancer-system";
    /// <summary>Null: in-cluster.</summary>
    public string? Kubeconfig { get; init; }
    /// <summary>Null: no HTTP endpoint (tests).</summary>
    public IPEndPoint? MetricsAddress { get; init; } = new(IPAddress.Any, 7472);
    /// <summary>How long a speaker Lease is valid without renewal: a crashed node's IPs move after this (or sooner via the prober).</summary>
    public TimeSpan LeaseDuration { get; init; } = TimeSpan.FromSeconds(15);
    /// <summary>How often the Lease is renewed (three tries per duration).</summary>
    public TimeSpan RenewPeriod { get; init; } = TimeSpan.FromSeconds(5);
    public DataPlaneMode DataPlane { get; init; } = DataPlaneMode.Nftables;
    public bool Layer2 { get; init; } = true;
    public bool Bgp { get; init; } = true;
    /// <summary>TCP port on which BGP peers may connect to this speaker (passive peers, collisions); 0: never listen.</summary>
    public int BgpListenPort { get; init; } = 179;
    /// <summary>UDP port of the peer prober (BFD-style probes between speakers).</summary>
    public int ProbePort { get; init; } = 7947;
    /// <summary>File holding the probes' shared HMAC key (mounted from a Secret); missing: probing off, Leases only.</summary>
    public string ProbeKeyFile { get; init; } = "/etc/loadbalancer/probe/key";
    /// <summary>Only these interfaces may answer ARP/NDP (empty: what the L2Advertisements say).</summary>
    public IReadOnlyList<string> Interfaces { get; init; } = [];
    /// <summary>The cluster's pod CIDRs: traffic from them is in-cluster (internalTrafficPolicy, hairpin masquerade).</summary>
    public IReadOnlyList<System.Net.IPNetwork> PodCidrs { get; init; } = [];
    /// <summary>This node's own addresses, for traffic from the host itself.</summary>
    public IReadOnlyList<System.Net.IPAddress> NodeIps { get; init; } = [];
    public string LoadBalancerClass { get; init; } = MapperOptions.DefaultClass;
    /// <summary>Full re-plan at least this often even without changes.</summary>
    public TimeSpan ResyncPeriod { get; init; } = TimeSpan.FromSeconds(30);

    public string Describe() => string.Create(CultureInfo.InvariantCulture,
        $"node={NodeName} namespace={Namespace} kubeconfig={Kubeconfig ?? "(in-cluster)"} metrics={MetricsAddress?.ToString() ?? "off"} lease={LeaseDuration.TotalSeconds}s/{RenewPeriod.TotalSeconds}s dataplane={DataPlane} layer2={Layer2} bgp={Bgp} bgp-listen-port={BgpListenPort} probe-port={ProbePort} probe-key-file={ProbeKeyFile} interfaces=[{string.Join(",", Interfaces)}] class={LoadBalancerClass}");
}
