using System.Net;
using System.Text.Json;
using LoadBalancer.Speaker.Announcing;
using LoadBalancer.TestKit.Net;
using static LoadBalancer.Integration.Tests.DataPlane.DataPlaneLab;

namespace LoadBalancer.Integration.Tests.DataPlane;

[CollectionDefinition("dataplane-netns", DisableParallelization = true)]
public sealed class DataPlaneNetnsCollection : ICollectionFixture<DataPlaneLab>;

/// <summary>
/// Real traffic through the real kernel: client namespace → node namespace (LB IP routed to it) → pod namespaces.
/// Each test programs both nodes with its own Services (replacing the previous test's) through NftDataPlane.
/// </summary>
[Collection("dataplane-netns")]
[Trait("Category", "Privileged")]
public sealed class NftDataPlaneTrafficTests(DataPlaneLab lab)
{
    private const string Vip = "203.0.113.10";
    private static readonly TimeSpan DropWait = TimeSpan.FromSeconds(1.5);

    private async Task<List<Outcome>> AskMany(int count, string destination = Vip, string? source = null, int port = 80)
    {
        var results = new List<Outcome>();
        for (var i = 0; i < count; i++) results.Add(await lab.ClientSockets.AskAsync(destination, port, source));
        return results;
    }

    [Fact]
    public async Task Local_PreservesTheClientIp_AndUsesOnlyThisNodesPods()
    {
        await lab.SyncAsync(Service("web", [Vip], [P1, P2, P3], etp: TrafficPolicy.Local));
        var before = (await lab.Plane1.RefreshCountersAsync().WaitAsync(TimeSpan.FromSeconds(10))).GetValueOrDefault(new ServiceKey("lab", "web"));
        var outcomes = await AskMany(30);
        Assert.All(outcomes, o => Assert.Equal(OutcomeKind.Answered, o.Kind));
        Assert.Equal(["pod1", "pod2"], outcomes.Select(o => o.Pod!).Distinct().Order());
        Assert.All(outcomes, o => Assert.Equal("192.0.2.100", o.Peer));

        // The kernel's per-Service counters saw them: 30 new connections, and more packets than that.
        var traffic = await lab.Plane1.RefreshCountersAsync().WaitAsync(TimeSpan.FromSeconds(10));
        var web = traffic[new ServiceKey("lab", "web")];
        Assert.Equal(30, web.Connections - before.Connections);
        var packets = web.Packets - before.Packets;
        Assert.True(packets >= 90 && web.Bytes - before.Bytes > packets * 40, $"{before} -> {web}");
    }

    /// <summary>
    /// kube-proxy's UDP conntrack cleanup: a client that keeps sending from one socket has one conntrack entry, pinned
    /// to its DNAT target and never idle long enough to expire. When that endpoint stops serving the Service, the entry
    /// is deleted with the update, so the client's next datagram is DNATed afresh, to a live endpoint. (pod1 keeps
    /// running and answering here: without the flush every answer would keep coming from it.)
    /// </summary>
    [Fact]
    public async Task Udp_ClientMovesToALiveEndpoint_WhenItsEndpointIsRemoved()
    {
        ProcessRunner.Require("conntrack");
        static DataPlaneService Dns(EndpointSpec endpoint) => Service("dns", [Vip], [endpoint]) with { Ports = [new ServicePortSpec("http", "UDP", 53)] };
        await using var echo1 = await Layer2.UdpEcho.StartAsync(lab.Pod1, System.Net.IPAddress.Any, 8080, "pod1");
        await using var echo2 = await Layer2.UdpEcho.StartAsync(lab.Pod2, System.Net.IPAddress.Any, 8080, "pod2");
        await lab.SyncAsync(Dns(P1));
        await using var prober = await Layer2.UdpProber.StartAsync(lab.Client, System.Net.IPAddress.Parse(Vip), 53, TimeSpan.FromMilliseconds(20));
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (prober.RecentNode(TimeSpan.FromMilliseconds(300)) != "pod1" && DateTime.UtcNow < deadline) await Task.Delay(20);
        Assert.Equal("pod1", prober.RecentNode(TimeSpan.FromMilliseconds(300)));
        var flushed = lab.Plane1.FlushedFlows;

        await lab.SyncAsync(Dns(P2));
        Assert.Equal(flushed + 1, lab.Plane1.FlushedFlows);
        var moved = System.Diagnostics.Stopwatch.GetTimestamp();
        deadline = DateTime.UtcNow.AddSeconds(10);
        while (prober.RecentNode(TimeSpan.FromMilliseconds(100)) != "pod2" && DateTime.UtcNow < deadline) await Task.Delay(20);
        Assert.Equal("pod2", prober.RecentNode(TimeSpan.FromMilliseconds(100)));
        // Once moved, it stays on the live endpoint (answers of datagrams in flight during the update aside).
        var settled = System.Diagnostics.Stopwatch.GetTimestamp();
        await Task.Delay(500);
        Assert.Equal(0, prober.AnswersFrom("pod1", settled));
        Assert.True(prober.AnswersFrom("pod2", moved) >= 10);
    }

    [Fact]
    public async Task Cluster_ReachesPodsOnOtherNodes_AndPodsSeeTheNodeAddress()
    {
        await lab.SyncAsync(Service("web", [Vip], [P1, P3]));
        var outcomes = await AskMany(40);
        Assert.All(outcomes, o => Assert.Equal(OutcomeKind.Answered, o.Kind));
        Assert.Equal(["pod1", "pod3"], outcomes.Select(o => o.Pod!).Distinct().Order());
        // Masqueraded: pod3 (other node) sees node1's address on the node network, pod1 node1's bridge address.
        Assert.All(outcomes.Where(o => o.Pod == "pod3"), o => Assert.Equal("192.0.2.11", o.Peer));
        Assert.All(outcomes.Where(o => o.Pod == "pod1"), o => Assert.Equal("198.51.100.1", o.Peer));
    }

    [Fact]
    public async Task Local_WithNoLocalEndpoint_Drops_AndHealthChecksSay503Here_200There()
    {
        await lab.SyncAsync(Service("web", [Vip], [P3], etp: TrafficPolicy.Local, hc: 30100));
        var outcome = await lab.ClientSockets.AskAsync(Vip, 80, timeout: DropWait);
        Assert.Equal(OutcomeKind.TimedOut, outcome.Kind);

        using var http = lab.ClientSockets.Http();
        using (var r = await http.GetAsync(new Uri("http://192.0.2.11:30100/healthz")).WaitAsync(TimeSpan.FromSeconds(10)))
        {
            Assert.Equal(HttpStatusCode.ServiceUnavailable, r.StatusCode);
            Assert.Equal("0", Assert.Single(r.Headers.GetValues("X-Load-Balancing-Endpoint-Weight")));
        }
        using (var r = await http.GetAsync(new Uri("http://192.0.2.12:30100/")).WaitAsync(TimeSpan.FromSeconds(10)))
        {
            Assert.Equal(HttpStatusCode.OK, r.StatusCode);
            using var doc = JsonDocument.Parse(await r.Content.ReadAsStringAsync());
            Assert.Equal("lab", doc.RootElement.GetProperty("service").GetProperty("namespace").GetString());
            Assert.Equal("web", doc.RootElement.GetProperty("service").GetProperty("name").GetString());
            Assert.Equal(1, doc.RootElement.GetProperty("localEndpoints").GetInt32());
            Assert.True(doc.RootElement.GetProperty("serviceProxyHealthy").GetBoolean());
        }

        // Two local pods on node1 now: 200 with weight 2.
        await lab.SyncAsync(Service("web", [Vip], [P1, P2, P3], etp: TrafficPolicy.Local, hc: 30100));
        using (var r = await http.GetAsync(new Uri("http://192.0.2.11:30100/")).WaitAsync(TimeSpan.FromSeconds(10)))
        {
            Assert.Equal(HttpStatusCode.OK, r.StatusCode);
            Assert.Equal("2", Assert.Single(r.Headers.GetValues("X-Load-Balancing-Endpoint-Weight")));
        }
    }

    [Fact]
    public async Task NoEndpointsAnywhere_IsRejected_NotDropped()
    {
        await lab.SyncAsync(Service("web", [Vip], [P1 with { Ready = false, Serving = false }]));
        var outcome = await lab.ClientSockets.AskAsync(Vip, 80, timeout: TimeSpan.FromSeconds(3));
        Assert.Equal(OutcomeKind.Refused, outcome.Kind);
    }

    [Fact]
    public async Task SourceRanges_AdmitOnlyListedClients_BeforeNat()
    {
        await lab.SyncAsync(Service("web", [Vip], [P1, P2], ranges: ["192.0.2.100/32", "2001:db8::/64"]));
        Assert.Equal(OutcomeKind.Answered, (await lab.ClientSockets.AskAsync(Vip, 80, source: "192.0.2.100")).Kind);
        Assert.Equal(OutcomeKind.TimedOut, (await lab.ClientSockets.AskAsync(Vip, 80, source: "192.0.2.101", timeout: DropWait)).Kind);
    }

    [Fact]
    public async Task SessionAffinity_KeepsAClientOnOnePod()
    {
        await lab.SyncAsync(Service("web", [Vip], [P1, P2, P3], affinity: TimeSpan.FromMinutes(10)));
        var outcomes = await AskMany(20);
        Assert.All(outcomes, o => Assert.Equal(OutcomeKind.Answered, o.Kind));
        Assert.Single(outcomes.Select(o => o.Pod).Distinct());
    }

    [Fact]
    public async Task Hairpin_PodReachingItsOwnServiceIsMasqueraded()
    {
        await lab.SyncAsync(Service("web", [Vip], [P1], etp: TrafficPolicy.Local));
        for (var i = 0; i < 5; i++)
        {
            var outcome = await lab.Pod1Sockets.AskAsync(Vip, 80);
            Assert.Equal(OutcomeKind.Answered, outcome.Kind);
            Assert.Equal("pod1", outcome.Pod);
            Assert.Equal("198.51.100.1", outcome.Peer);
        }
    }

    [Fact]
    public async Task InternalTrafficPolicy_PodsFollowIt_EvenWhenExternalIsLocal()
    {
        // External Local with no local pod would drop, but pod traffic follows internalTrafficPolicy=Cluster: pod3 on node2, no SNAT.
        await lab.SyncAsync(Service("web", [Vip], [P3], etp: TrafficPolicy.Local, itp: TrafficPolicy.Cluster));
        var outcome = await lab.Pod1Sockets.AskAsync(Vip, 80);
        Assert.Equal(OutcomeKind.Answered, outcome.Kind);
        Assert.Equal("pod3", outcome.Pod);
        Assert.Equal("198.51.100.2", outcome.Peer);
        Assert.Equal(OutcomeKind.TimedOut, (await lab.ClientSockets.AskAsync(Vip, 80, timeout: DropWait)).Kind);
    }

    [Fact]
    public async Task IPv6_LocalAndCluster()
    {
        await lab.SyncAsync(
            Service("web6", ["2001:db8:ff::10"], [P1v6, P2v6, P3v6], etp: TrafficPolicy.Local),
            Service("all6", ["2001:db8:ff::11"], [P3v6]));
        var local = await AskMany(10, "2001:db8:ff::10");
        Assert.All(local, o => Assert.Equal(OutcomeKind.Answered, o.Kind));
        Assert.All(local, o => Assert.Contains(o.Pod, new[] { "pod1", "pod2" }));
        Assert.All(local, o => Assert.Equal("2001:db8::100", o.Peer));
        var cluster = await lab.ClientSockets.AskAsync("2001:db8:ff::11", 80);
        Assert.Equal(OutcomeKind.Answered, cluster.Kind);
        Assert.Equal("pod3", cluster.Pod);
        Assert.Equal("2001:db8::11", cluster.Peer);
    }

    [Fact]
    public async Task ConsistentHashing_SpreadsFlowsAndKeepsThemOnTheirBackend()
    {
        await lab.SyncAsync(Service("web", [Vip], [P1, P2, P3], mode: LoadBalancingMode.ConsistentHash));
        var outcomes = await AskMany(30);
        Assert.All(outcomes, o => Assert.Equal(OutcomeKind.Answered, o.Kind));
        Assert.True(outcomes.Select(o => o.Pod).Distinct().Count() >= 2, "flows from different source ports spread");
    }
}
