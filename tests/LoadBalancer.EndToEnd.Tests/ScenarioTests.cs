using System.Diagnostics;
using LoadBalancer.Sandbox;
using Xunit.Abstractions;

namespace LoadBalancer.EndToEnd.Tests;

/// <summary>The end-to-end scenarios on the real binaries in the sandbox (see docs/sandbox.md). Gaps are printed, not asserted against a target.</summary>
[Collection("sandbox")]
public sealed class ScenarioTests(SandboxFixture fixture, ITestOutputHelper output) : IClassFixture<SandboxFixture>
{
    private SandboxLab Lab => fixture.Lab;
    private static readonly TimeSpan Converge = TimeSpan.FromSeconds(45);

    private async Task<string> IpOf(SandboxService svc)
    {
        string? ip = null;
        await SandboxLab.WaitUntil($"{svc.Name} to get an IP", Converge, async () => (ip = await Lab.ServiceIpAsync(svc.Name)) is not null);
        return ip!;
    }

    private async Task<string> Reach(string ip)
    {
        string? answer = null;
        await SandboxLab.WaitUntil($"a reply from {ip}", Converge, async () => (answer = await Lab.RequestFromClientAsync(ip)) is not null);
        return answer!;
    }

    private static string Peer(string answer) => answer.Split(' ').Single(f => f.StartsWith("peer=", StringComparison.Ordinal))[5..];

    private static string NodeOf(string answer) => answer.Split(' ').Single(f => f.StartsWith("node=", StringComparison.Ordinal))[5..];

    [Fact]
    public async Task L2_and_bgp_services_get_an_ip_are_reachable_and_deleting_withdraws_everything()
    {
        var l2 = new SandboxService("e2e-l2", Announce.Layer2, false);
        var bgp = new SandboxService("e2e-bgp", Announce.Bgp, false);
        await Lab.ApplyServiceAsync(l2);
        await Lab.ApplyServiceAsync(bgp);
        var l2Ip = await IpOf(l2);
        var bgpIp = await IpOf(bgp);
        Assert.StartsWith("192.0.2.2", l2Ip, StringComparison.Ordinal);
        Assert.StartsWith("203.0.113.", bgpIp, StringComparison.Ordinal);
        await Reach(l2Ip);
        await Reach(bgpIp);
        await SandboxLab.WaitUntil("all three nodes in the ECMP set", Converge, async () => (await Lab.RouterNextHopsAsync(bgpIp)).Count == 3);

        await Lab.DeleteServiceAsync(l2);
        await Lab.DeleteServiceAsync(bgp);
        await SandboxLab.WaitUntil("the BGP route to be withdrawn", Converge, async () => (await Lab.RouterNextHopsAsync(bgpIp)).Count == 0);
        await SandboxLab.WaitUntil("the announcements to be deleted", Converge, async () =>
            !(await Lab.Kubectl("get", "serviceannouncements", "-n", KubeObjects.InstallNamespace, "-o", "jsonpath={.items[*].status.service}")).Contains("e2e-", StringComparison.Ordinal));
        await SandboxLab.WaitUntil("the L2 IP to stop answering", Converge, async () => await Lab.RequestFromClientAsync(l2Ip, TimeSpan.FromSeconds(1)) is null);
    }

    [Fact]
    public async Task Local_keeps_the_client_address_and_only_nodes_with_pods_announce_cluster_masquerades()
    {
        var local = new SandboxService("e2e-bgp-local", Announce.Bgp, true);
        var cluster = new SandboxService("e2e-bgp-cluster", Announce.Bgp, false);
        var l2Local = new SandboxService("e2e-l2-local", Announce.Layer2, true);
        foreach (var s in new[] { local, cluster, l2Local }) await Lab.ApplyServiceAsync(s);
        var podNodes = Lab.Topology.Pods.Select(p => p.NodeName).ToHashSet(StringComparer.Ordinal);

        var localIp = await IpOf(local);
        Assert.Equal(Topology.ClientAddress, Peer(await Reach(localIp)));
        await SandboxLab.WaitUntil("the ECMP set to equal the nodes with pods", Converge, async () => (await Lab.RouterNextHopsAsync(localIp)).SetEquals(podNodes));

        var clusterIp = await IpOf(cluster);
        var seen = Peer(await Reach(clusterIp));
        Assert.NotEqual(Topology.ClientAddress, seen);
        Assert.Contains(seen, Lab.Topology.Nodes.SelectMany(n => new[] { n.Address, n.PodGateway }));

        var l2Ip = await IpOf(l2Local);
        Assert.Equal(Topology.ClientAddress, Peer(await Reach(l2Ip)));
        var owner = await Lab.RouterArpOwnerAsync(l2Ip);
        Assert.True(owner is not null && podNodes.Contains(owner), $"L2 owner {owner} holds a pod");

        foreach (var s in new[] { local, cluster, l2Local }) await Lab.DeleteServiceAsync(s);
    }

    [Fact]
    public async Task Moving_pods_off_a_node_withdraws_it_and_moving_back_re_announces()
    {
        var svc = new SandboxService("e2e-move", Announce.Bgp, true);
        await Lab.ApplyServiceAsync(svc);
        var ip = await IpOf(svc);
        var all = Lab.Topology.Pods.Select(p => p.NodeName).ToHashSet(StringComparer.Ordinal);
        await SandboxLab.WaitUntil("every pod node announcing", Converge, async () => (await Lab.RouterNextHopsAsync(ip)).SetEquals(all));

        var onlyNode2 = Lab.Topology.Pods.Where(p => p.NodeName == "node2").ToList();
        await Lab.SetEndpointsAsync(svc, onlyNode2);
        await SandboxLab.WaitUntil("only node2 in the ECMP set", Converge, async () => (await Lab.RouterNextHopsAsync(ip)).SetEquals(["node2"]));
        Assert.Equal("node2", NodeOf(await Reach(ip)));

        await Lab.SetEndpointsAsync(svc, Lab.Topology.Pods);
        await SandboxLab.WaitUntil("node1 back in the ECMP set", Converge, async () => (await Lab.RouterNextHopsAsync(ip)).SetEquals(all));
        await Lab.DeleteServiceAsync(svc);
    }

    [Fact]
    public async Task Failover_when_a_bgp_node_loses_its_link()
    {
        // BGP: cut one announcing node's link; the router's hold timer drops it, the others keep serving.
        var bgp = new SandboxService("e2e-fail-bgp", Announce.Bgp, false);
        await Lab.ApplyServiceAsync(bgp);
        var bgpIp = await IpOf(bgp);
        await SandboxLab.WaitUntil("all nodes in the ECMP set", Converge, async () => (await Lab.RouterNextHopsAsync(bgpIp)).Count == 3);
        await Lab.SetNodeLinkAsync("node3", up: false);
        try
        {
            var bgpGap = await MeasureGapAsync(bgpIp, TimeSpan.FromSeconds(60), requireFailure: false);
            await SandboxLab.WaitUntil("node3 out of the ECMP set", TimeSpan.FromSeconds(30), async () => !(await Lab.RouterNextHopsAsync(bgpIp)).Contains("node3"));
            output.WriteLine($"failover gap, node3 link cut (BGP, hold 9s): longest client-visible outage {bgpGap.TotalSeconds:0.0} s");
        }
        finally
        {
            await Lab.SetNodeLinkAsync("node3", up: true);
        }
        await Lab.DeleteServiceAsync(bgp);
    }

    /// <summary>
    /// Sends a request every 200 ms until <paramref name="window"/> ends or (after a failure) service is back for
    /// 5 requests in a row; returns the time from the first failed request to the first success after it.
    /// </summary>
    private async Task<TimeSpan> MeasureGapAsync(string ip, TimeSpan window, bool requireFailure = true)
    {
        var sw = Stopwatch.StartNew();
        TimeSpan? failedAt = null;
        var longest = TimeSpan.Zero;
        var okInRow = 0;
        while (sw.Elapsed < window)
        {
            var t = sw.Elapsed;
            var ok = await Lab.RequestFromClientAsync(ip, TimeSpan.FromMilliseconds(500)) is not null;
            if (!ok) { failedAt ??= t; okInRow = 0; }
            else
            {
                if (failedAt is { } f) { longest = TimeSpan.FromTicks(Math.Max(longest.Ticks, (t - f).Ticks)); failedAt = null; }
                okInRow++;
                if ((longest > TimeSpan.Zero || !requireFailure) && okInRow >= 5 && sw.Elapsed > TimeSpan.FromSeconds(requireFailure ? 0 : 15)) return longest;
            }
            await Task.Delay(200);
        }
        Assert.Fail($"{ip} did not recover within {window.TotalSeconds:0} s");
        return longest;
    }
}
