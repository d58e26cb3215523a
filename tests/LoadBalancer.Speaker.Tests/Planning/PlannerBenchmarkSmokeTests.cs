using System.Net;
using LoadBalancer.Benchmarks.Speaker;
using LoadBalancer.Speaker.Announcing;
using LoadBalancer.Speaker.Planning;

namespace LoadBalancer.Speaker.Tests.Planning;

/// <summary>The planner benchmark's input builder at tiny size (20 Services, 5 nodes), planned on every node.</summary>
public sealed class PlannerBenchmarkSmokeTests
{
    [Fact]
    public void TinyScenario_EveryLayer2IpHasExactlyOneOwner_AndBgpFollowsTrafficPolicy()
    {
        var snapshot = PlannerScenarios.Build(services: 20, nodes: 5);
        Assert.Equal(20, snapshot.Services.Length);
        Assert.Equal(5, snapshot.Nodes.Length);
        Assert.All(snapshot.EndpointSlices, s => Assert.Equal(3, s.Endpoints.Select(e => e.NodeName).Distinct().Count()));

        var plans = snapshot.Nodes.Select(n => AnnouncementPlanner.Plan(n.Name, snapshot)).ToList();

        // Layer 2: each Service IP is owned by exactly one node across the 5 plans.
        var owners = new Dictionary<IPAddress, List<string>>();
        foreach (var plan in plans)
        {
            foreach (var a in plan.Layer2)
            {
                if (!owners.TryGetValue(a.Ip, out var list)) owners[a.Ip] = list = [];
                list.Add(plan.NodeName);
            }
        }
        Assert.True(snapshot.Services.Select(s => s.Ips[0]).ToHashSet().SetEquals(owners.Keys));
        Assert.Equal(20, owners.Count);
        Assert.All(owners, kv => Assert.Single(kv.Value));

        foreach (var svc in snapshot.Services)
        {
            var ip = svc.Ips[0];
            var endpointNodes = snapshot.EndpointSlices.Single(s => s.Service == svc.Key).Endpoints.Select(e => e.NodeName!).ToHashSet();
            // Local: the Layer 2 owner holds an endpoint.
            if (svc.ExternalTrafficPolicy == TrafficPolicy.Local) Assert.Contains(owners[ip][0], endpointNodes);

            // BGP: Cluster on every node, Local only on the nodes with an endpoint, always to both peers.
            var bgpNodes = plans
                .Where(p => p.Services[svc.Key].Announcements.Any(a => a.Protocol == AnnounceProtocol.Bgp && a.Ip.Equals(ip)))
                .Select(p => p.NodeName).ToHashSet();
            var expected = svc.ExternalTrafficPolicy == TrafficPolicy.Cluster ? snapshot.Nodes.Select(n => n.Name).ToHashSet() : endpointNodes;
            Assert.True(expected.SetEquals(bgpNodes), $"{svc.Key}: BGP on [{string.Join(",", bgpNodes)}], expected [{string.Join(",", expected)}]");
            foreach (var p in plans.Where(p => bgpNodes.Contains(p.NodeName)))
            {
                var ann = p.Services[svc.Key].Announcements.Single(a => a.Protocol == AnnounceProtocol.Bgp);
                Assert.Equal(new[] { "tor-a", "tor-b" }, ann.Peers.ToArray());
            }
        }
    }

    [Fact]
    public void Build_IsDeterministic_AndIpsAreDistinct()
    {
        var a = PlannerScenarios.Build(services: 300, nodes: 5);
        var b = PlannerScenarios.Build(services: 300, nodes: 5);
        Assert.Equal(a.EndpointSlices.SelectMany(s => s.Endpoints.Select(e => e.NodeName)), b.EndpointSlices.SelectMany(s => s.Endpoints.Select(e => e.NodeName)));
        Assert.Equal(300, a.Services.Select(s => s.Ips[0]).Distinct().Count());
        Assert.All(a.Services, s => Assert.True(a.Config.Pools[0].Contains(s.Ips[0])));
    }
}
