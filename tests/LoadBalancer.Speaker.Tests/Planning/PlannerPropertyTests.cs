using System.Net;
using LoadBalancer.Speaker.Announcing;
using LoadBalancer.Speaker.Planning;
using static LoadBalancer.Speaker.Tests.Planning.World;

namespace LoadBalancer.Speaker.Tests.Planning;

/// <summary>Seeded random clusters: the planner never throws, and every Layer 2 IP has at most one owner, exactly one when some node is eligible.</summary>
public class PlannerPropertyTests
{
    [Fact]
    public void Random_clusters_total_and_single_owner()
    {
        for (var seed = 0; seed < 150; seed++)
        {
            var rnd = new Random(seed);
            var nodes = Enumerable.Range(0, rnd.Next(1, 7)).Select(i => Node($"n{i}", ("rack", $"{rnd.Next(3)}")) with { NetworkUnavailable = rnd.Next(8) == 0 }).ToList();
            var ips = Enumerable.Range(0, 6).Select(i => IPAddress.Parse(rnd.Next(3) == 0 ? $"2001:db8::{i + 1}" : $"203.0.113.{i + 1}")).ToArray();
            var services = new List<ServiceInput>();
            var slices = new List<EndpointSliceInput>();
            for (var i = 0; i < rnd.Next(0, 8); i++)
            {
                var key = new ServiceKey("ns", $"s{i}");
                services.Add(Service(key, rnd.Next(2) == 0 ? TrafficPolicy.Local : TrafficPolicy.Cluster, [.. ips.Where(_ => rnd.Next(3) == 0)]) with
                {
                    Pool = rnd.Next(4) == 0 ? "nope" : "public",
                });
                var eps = Enumerable.Range(0, rnd.Next(0, 4)).Select(j => new EndpointInput([IPAddress.Parse($"10.0.{i}.{j + 1}")],
                    rnd.Next(5) == 0 ? null : $"n{rnd.Next(8)}", rnd.Next(2) == 0, rnd.Next(2) == 0, rnd.Next(3) == 0)).ToArray();
                slices.Add(rnd.Next(2) == 0 ? Slice(key, eps) : Slice6(key, eps));
            }
            var ads = Enumerable.Range(0, rnd.Next(0, 3)).Select(i => new L2AdvertisementInput($"a{i}",
                NodeSelectors: rnd.Next(2) == 0 ? [] : [Selector.Labels(("rack", $"{rnd.Next(3)}"))])).ToArray();
            var live = nodes.Select(n => n.Name).Where(_ => rnd.Next(6) != 0).ToArray();
            var snapshot = new PlannerSnapshot([.. services], [.. slices], [.. nodes],
                new PlannerConfig([Pool()], [.. ads], [new BgpAdvertisementInput("b")], [new PeerInput(PeerSpec("r"))]), [.. live]);

            var owners = Layer2Owners(snapshot);
            Assert.All(owners, kv => Assert.Single(kv.Value));
            foreach (var n in nodes)
            {
                var plan = AnnouncementPlanner.Plan(n.Name, snapshot);
                foreach (var svc in services)
                {
                    var sp = plan.Services[svc.Key];
                    Assert.Equal(sp.Reason is null, sp.Announced);
                    // An IP some node reports as lost to the leader does have an owner.
                    if (sp.Reason == WithdrawReason.LeaderMoved) Assert.Contains(owners.Keys, ip => svc.Ips.Contains(ip));
                }
            }
        }
    }
}
