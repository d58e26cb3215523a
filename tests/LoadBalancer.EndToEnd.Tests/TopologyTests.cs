using LoadBalancer.Sandbox;

namespace LoadBalancer.EndToEnd.Tests;

/// <summary>Pure tables: the sandbox's names, addresses and generated configs.</summary>
public sealed class TopologyTests
{
    [Theory]
    [InlineData(1, new[] { 1 })]
    [InlineData(2, new[] { 2, 0 })]
    [InlineData(3, new[] { 2, 1, 0 })]
    [InlineData(5, new[] { 2, 1, 1, 1, 0 })]
    public void Default_pods_leave_the_last_node_empty_so_local_and_cluster_differ(int nodes, int[] pods)
        => Assert.Equal(pods, Topology.DefaultPods(nodes));

    [Fact]
    public void Addresses_are_documentation_ranges_and_unique()
    {
        var t = new Topology("lbsb", Topology.MaxNodes, [.. Enumerable.Repeat(Topology.MaxPodsPerNode, Topology.MaxNodes)]);
        var all = new List<string> { Topology.RouterSegmentAddress, Topology.RouterClientAddress, Topology.ClientAddress };
        all.AddRange(t.Nodes.Select(n => n.Address));
        all.AddRange(t.Nodes.Select(n => n.PodGateway));
        all.AddRange(t.Pods.Select(p => p.Address));
        Assert.Equal(all.Count, all.Distinct().Count());
        Assert.All(all, a => Assert.True(a.StartsWith("192.0.2.", StringComparison.Ordinal) || a.StartsWith("198.51.100.", StringComparison.Ordinal) || a.StartsWith("203.0.113.", StringComparison.Ordinal), a));
        // Pods stay inside their node's /29, and the L2 pool (.200-.219) never meets a node address.
        foreach (var n in t.Nodes)
        {
            var baseOctet = int.Parse(n.PodSubnet.Split('.')[3].Split('/')[0], System.Globalization.CultureInfo.InvariantCulture);
            Assert.All(n.Pods, p => Assert.InRange(int.Parse(p.Address.Split('.')[3], System.Globalization.CultureInfo.InvariantCulture), baseOctet + 2, baseOctet + 7));
            Assert.InRange(int.Parse(n.Address.Split('.')[3], System.Globalization.CultureInfo.InvariantCulture), 11, 199);
        }
    }

    [Fact]
    public void Names_fit_kernel_limits_and_carry_the_prefix()
    {
        var t = new Topology("lbe123456789", 16, [.. Enumerable.Repeat(5, 16)]);
        Assert.All(t.Namespaces, ns => Assert.StartsWith("lbe123456789-", ns, StringComparison.Ordinal));
        Assert.All(t.Nodes, n => Assert.True(("p-" + n.Name).Length <= 15));
        Assert.Equal(t.Namespaces.Count(), t.Namespaces.Distinct().Count());
    }

    [Theory]
    [InlineData("")]
    [InlineData("UPPER")]
    [InlineData("with-dash")]
    [InlineData("waytoolongprefix")]
    public void Bad_prefixes_are_refused(string prefix) => Assert.Throws<ArgumentException>(() => new Topology(prefix, 3));

    [Fact]
    public void Bird_config_peers_with_every_node_passively_and_merges_paths()
    {
        var conf = RouterConfigs.Bird(new Topology("lbsb", 3));
        Assert.Contains("merge paths on;", conf, StringComparison.Ordinal);
        Assert.Contains("passive on;", conf, StringComparison.Ordinal);
        for (var i = 1; i <= 3; i++) Assert.Contains($"protocol bgp node{i} from node {{ neighbor 192.0.2.1{i} as 64513; }}", conf, StringComparison.Ordinal);
    }

    [Fact]
    public void Frr_and_gobgp_configs_cover_every_node()
    {
        var t = new Topology("lbsb", 4);
        var frr = RouterConfigs.FrrBgpd(t);
        Assert.Contains("no bgp ebgp-requires-policy", frr, StringComparison.Ordinal);
        Assert.Contains("maximum-paths 4", frr, StringComparison.Ordinal);
        Assert.Contains("bgp listen range 192.0.2.0/24 peer-group NODES", frr, StringComparison.Ordinal);
        var gobgp = RouterConfigs.GoBgp(t);
        Assert.Equal(4, gobgp.Split("[[neighbors]]").Length - 1);
        Assert.Contains("passive-mode = true", gobgp, StringComparison.Ordinal);
    }

    [Fact]
    public void Endpoint_slices_name_the_pods_nodes_and_local_services_say_local()
    {
        var t = new Topology("lbsb", 3);
        var svc = new SandboxService("x", Announce.Bgp, true);
        var slice = KubeObjects.EndpointSlice(t, svc);
        Assert.Contains("kubernetes.io/service-name: x", slice, StringComparison.Ordinal);
        Assert.Contains("nodeName: node1", slice, StringComparison.Ordinal);
        Assert.Contains("nodeName: node2", slice, StringComparison.Ordinal);
        Assert.DoesNotContain("nodeName: node3", slice, StringComparison.Ordinal);
        Assert.Contains("externalTrafficPolicy: Local", KubeObjects.Service(svc), StringComparison.Ordinal);
        Assert.Contains("lb.baremetal.dev/address-pool: sandbox-bgp", KubeObjects.Service(svc), StringComparison.Ordinal);
        Assert.Contains("endpoints: []", KubeObjects.EndpointSlice(t, svc, []), StringComparison.Ordinal);
    }
}
