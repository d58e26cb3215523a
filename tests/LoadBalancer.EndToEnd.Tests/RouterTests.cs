using System.Globalization;
using LoadBalancer.Sandbox;
using Xunit.Abstractions;

namespace LoadBalancer.EndToEnd.Tests;

/// <summary>
/// The sandbox's other routers (BIRD is the default and runs every other scenario): a small sandbox per router
/// (2 nodes, pods on node1 only), a BGP Service under Cluster and under Local reachable from the client with the
/// router's kernel ECMP set equal to the announcing nodes, and withdrawn on delete.
/// </summary>
[Collection("sandbox")]
public sealed class RouterTests(ITestOutputHelper output)
{
    private static readonly TimeSpan Converge = TimeSpan.FromSeconds(45);

    [Theory]
    [InlineData(RouterKind.Frr, "f")]
    [InlineData(RouterKind.GoBgp, "g")]
    public async Task Bgp_services_are_reachable_through_the_router_with_ecmp_over_the_announcing_nodes(RouterKind router, string tag)
    {
        var lab = new SandboxLab(new SandboxOptions
        {
            Prefix = "lbe" + (Environment.ProcessId % 100000).ToString(CultureInfo.InvariantCulture) + tag,
            StateDir = Path.Combine(Path.GetTempPath(), $"lbe-{Environment.ProcessId}-{tag}"),
            ApiPort = SandboxPorts.Api(13 + tag[0]),
            Nodes = 2, Router = router, DemoServices = false,
        }, line => output.WriteLine(line));
        try
        {
            var started = DateTime.UtcNow;
            await lab.UpAsync().WaitAsync(TimeSpan.FromSeconds(180));
            output.WriteLine($"{router} sandbox up in {(DateTime.UtcNow - started).TotalSeconds:0.0} s");
            Assert.Equal(new[] { "node1", "node2" }, (await lab.EstablishedSessionsAsync()).Order(StringComparer.Ordinal));

            var cluster = new SandboxService("e2e-router-cluster", Announce.Bgp, false);
            var local = new SandboxService("e2e-router-local", Announce.Bgp, true);
            await lab.ApplyServiceAsync(cluster);
            await lab.ApplyServiceAsync(local);
            var clusterIp = await lab.WaitForIpAsync(cluster.Name, Converge);
            var localIp = await lab.WaitForIpAsync(local.Name, Converge);
            await SandboxLab.WaitUntil("both nodes in the Cluster Service's ECMP set", Converge, async () => (await lab.RouterNextHopsAsync(clusterIp)).SetEquals(["node1", "node2"]));
            await SandboxLab.WaitUntil("only node1 (the node with pods) in the Local Service's ECMP set", Converge, async () => (await lab.RouterNextHopsAsync(localIp)).SetEquals(["node1"]));
            Assert.Contains("node=node1", await lab.WaitForAnswerAsync(clusterIp, Converge), StringComparison.Ordinal);
            Assert.EndsWith("peer=" + Topology.ClientAddress, await lab.WaitForAnswerAsync(localIp, Converge), StringComparison.Ordinal);

            await lab.DeleteServiceAsync(cluster);
            await SandboxLab.WaitUntil("the Cluster Service's route to be withdrawn", Converge, async () => (await lab.RouterNextHopsAsync(clusterIp)).Count == 0);
            Assert.Equal(new[] { "node1" }, await lab.RouterNextHopsAsync(localIp));
        }
        finally
        {
            await lab.DownAsync().WaitAsync(TimeSpan.FromSeconds(60));
        }
    }
}
