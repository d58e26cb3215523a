using System.Collections.Immutable;
using LoadBalancer.Speaker.Announcing;
using LoadBalancer.Speaker.Planning;
using static LoadBalancer.Speaker.Tests.Planning.World;

namespace LoadBalancer.Speaker.Tests.Planning;

/// <summary>
/// Every eligibility rule, checked in BGP mode (where every eligible node announces, so the election does not
/// interfere). A null expected reason means "announced".
/// </summary>
public class EligibilityTests
{
    internal sealed record Case(string Name, Func<PlannerSnapshot> Snapshot, string Node, WithdrawReason? Expected)
    {
        public override string ToString() => Name;
    }

    private static readonly Selector Rack1 = Selector.Labels(("rack", "1"));

    private static readonly Case[] All =
    [
        // Speaker liveness and node opt-outs.
        new Case("cluster, live node, ready endpoint elsewhere: announced", () => BaseBgp(), "n1", null),
        new Case("speaker not alive (no valid Lease / unreachable)", () => BaseBgp() with { LiveSpeakers = ["n2", "n3"] }, "n1", WithdrawReason.NodeExcluded),
        new Case("node object unknown", () => BaseBgp(), "n9", WithdrawReason.NodeExcluded),
        new Case("exclude-from-external-load-balancers label (empty value)", () => BaseBgp().WithNode(Node("n1", (NodeInput.ExcludeLabel, ""))), "n1", WithdrawReason.NodeExcluded),
        new Case("exclude label (any value)", () => BaseBgp().WithNode(Node("n1", (NodeInput.ExcludeLabel, "true"))), "n1", WithdrawReason.NodeExcluded),
        new Case("NetworkUnavailable=True", () => BaseBgp().WithNode(Node("n1") with { NetworkUnavailable = true }), "n1", WithdrawReason.NodeExcluded),
        new Case("another node excluded does not matter", () => BaseBgp().WithNode(Node("n3") with { NetworkUnavailable = true }), "n1", null),

        // Advertisement selection: pool, node, Service.
        new Case("ad names the pool", () => BaseBgp().WithConfig(c => c with { BgpAdvertisements = [new("a", Pools: ["public"])] }), "n1", null),
        new Case("ad names another pool", () => BaseBgp().WithConfig(c => c with { BgpAdvertisements = [new("a", Pools: ["private"])] }), "n1", WithdrawReason.NotAdvertised),
        new Case("ad pool selector matches pool labels", () => BaseBgp().WithConfig(c => c with { BgpAdvertisements = [new("a", PoolSelectors: [Selector.Labels(("tier", "public"))])] }), "n1", null),
        new Case("ad pool selector does not match", () => BaseBgp().WithConfig(c => c with { BgpAdvertisements = [new("a", PoolSelectors: [Selector.Labels(("tier", "gold"))])] }), "n1", WithdrawReason.NotAdvertised),
        new Case("ad names another pool but its selector matches", () => BaseBgp().WithConfig(c => c with { BgpAdvertisements = [new("a", Pools: ["x"], PoolSelectors: [Selector.Labels(("tier", "public"))])] }), "n1", null),
        new Case("ad nodeSelectors select this node", () => BaseBgp().WithNode(Node("n1", ("rack", "1"))).WithConfig(c => c with { BgpAdvertisements = [new("a", NodeSelectors: [Rack1])] }), "n1", null),
        new Case("ad nodeSelectors do not select this node", () => BaseBgp().WithConfig(c => c with { BgpAdvertisements = [new("a", NodeSelectors: [Rack1])] }), "n1", WithdrawReason.NotAdvertised),
        new Case("ad nodeSelectors matchExpressions NotIn", () => BaseBgp().WithNode(Node("n1", ("rack", "1"))).WithConfig(c => c with { BgpAdvertisements = [new("a", NodeSelectors: [new Selector(ImmutableDictionary<string, string>.Empty, [new("rack", SelectorOperator.NotIn, ["1"])])])] }), "n1", WithdrawReason.NotAdvertised),
        new Case("ad serviceSelectors select the Service", () => BaseBgp().WithConfig(c => c with { BgpAdvertisements = [new("a", ServiceSelectors: [Selector.Labels(("app", "web"))])] }), "n1", null),
        new Case("ad serviceSelectors do not select the Service", () => BaseBgp().WithConfig(c => c with { BgpAdvertisements = [new("a", ServiceSelectors: [Selector.Labels(("app", "db"))])] }), "n1", WithdrawReason.NotAdvertised),
        new Case("IP in no pool", () => BaseBgp().WithServices(Service(Web, TrafficPolicy.Cluster, System.Net.IPAddress.Parse("198.51.100.7"))), "n1", WithdrawReason.NotAdvertised),
        new Case("pool annotation names a pool that does not hold the IP: containing pool used", () => BaseBgp().WithServices(Service(Web, TrafficPolicy.Cluster, V4) with { Pool = "gone" }), "n1", null),
        new Case("no advertisement at all", () => BaseBgp().WithConfig(c => c with { BgpAdvertisements = [] }), "n1", WithdrawReason.NotAdvertised),
        new Case("BGP switched off on this speaker", () => BaseBgp() with { BgpEnabled = false }, "n1", WithdrawReason.NotAdvertised),
        new Case("no peer selects this node", () => BaseBgp().WithConfig(c => c with { Peers = [new(PeerSpec("router"), [Rack1])] }), "n1", WithdrawReason.NotAdvertised),
        new Case("ad names a peer that does not exist", () => BaseBgp().WithConfig(c => c with { BgpAdvertisements = [new("a", Peers: ["nope"])] }), "n1", WithdrawReason.NotAdvertised),

        // externalTrafficPolicy: Cluster.
        new Case("cluster: no endpoints", () => BaseBgp().WithSlices(), "n1", WithdrawReason.NoEndpoints),
        new Case("cluster: only not-ready endpoints", () => BaseBgp().WithSlices(Slice(Web, NotReady("n1"))), "n1", WithdrawReason.NoEndpoints),
        new Case("cluster: only serving terminating endpoints (fallback)", () => BaseBgp().WithSlices(Slice(Web, Terminating("n2"))), "n1", null),
        new Case("cluster: terminating but not serving does not count", () => BaseBgp().WithSlices(Slice(Web, new EndpointInput([V4], "n2", false, false, true))), "n1", WithdrawReason.NoEndpoints),
        new Case("cluster: endpoint without addresses does not count", () => BaseBgp().WithSlices(Slice(Web, new EndpointInput([], "n2", true, true, false))), "n1", WithdrawReason.NoEndpoints),
        new Case("cluster: slice of another Service does not count", () => BaseBgp().WithSlices(Slice(new ServiceKey("default", "db"), Ready("n2"))), "n1", WithdrawReason.NoEndpoints),

        // externalTrafficPolicy: Local.
        new Case("local: ready endpoint on this node", () => BaseBgp(TrafficPolicy.Local).WithSlices(Slice(Web, Ready("n1"))), "n1", null),
        new Case("local: ready endpoint only elsewhere", () => BaseBgp(TrafficPolicy.Local), "n1", WithdrawReason.NoLocalEndpoints),
        new Case("local: no endpoints anywhere", () => BaseBgp(TrafficPolicy.Local).WithSlices(), "n1", WithdrawReason.NoEndpoints),
        new Case("local: not-ready endpoint here", () => BaseBgp(TrafficPolicy.Local).WithSlices(Slice(Web, NotReady("n1"), Ready("n2"))), "n1", WithdrawReason.NoLocalEndpoints),
        new Case("local: serving terminating here while a ready one exists elsewhere", () => BaseBgp(TrafficPolicy.Local).WithSlices(Slice(Web, Terminating("n1"), Ready("n2"))), "n1", WithdrawReason.NoLocalEndpoints),
        new Case("local: serving terminating here and none ready anywhere", () => BaseBgp(TrafficPolicy.Local).WithSlices(Slice(Web, Terminating("n1"))), "n1", null),
        new Case("local: serving terminating elsewhere only", () => BaseBgp(TrafficPolicy.Local).WithSlices(Slice(Web, Terminating("n2"))), "n1", WithdrawReason.NoLocalEndpoints),
        new Case("local: endpoints split over two slices", () => BaseBgp(TrafficPolicy.Local).WithSlices(Slice(Web, Ready("n2")), Slice(Web, Ready("n1")) with { Name = "web-b" }), "n1", null),

        // Ordering of reasons: the opt-out wins over everything.
        new Case("excluded node with no endpoints reports nodeExcluded", () => BaseBgp().WithSlices().WithNode(Node("n1") with { NetworkUnavailable = true }), "n1", WithdrawReason.NodeExcluded),
    ];

    public static TheoryData<string> Cases => new(All.Select(c => c.Name));

    private static Case Get(string name) => All.Single(c => c.Name == name);

    [Theory]
    [MemberData(nameof(Cases))]
    public void Bgp_eligibility(string name)
    {
        var c = Get(name);
        var plan = AnnouncementPlanner.Plan(c.Node, c.Snapshot());
        var svc = plan.Services[Web];
        Assert.Equal(c.Expected, svc.Reason);
        Assert.Equal(c.Expected is null, svc.Announced);
        Assert.Equal(c.Expected is null, plan.BgpRoutes.Any(r => r.Prefix.Contains(V4)));
        if (c.Expected is null) Assert.All(svc.Announcements, a => Assert.Equal(AnnounceProtocol.Bgp, a.Protocol));
    }

    /// <summary>The same rules in Layer 2 mode: a node that fails a rule is never the owner, and the reason is the same.</summary>
    [Theory]
    [MemberData(nameof(Cases))]
    public void Layer2_eligibility(string name)
    {
        var c = Get(name);
        var s = c.Snapshot();
        // Turn the BGP config into the equivalent L2 one.
        var l2 = s.WithConfig(cfg => cfg with
        {
            L2Advertisements = [.. cfg.BgpAdvertisements.Select(a => new L2AdvertisementInput(a.Name, a.Pools, a.PoolSelectors, a.NodeSelectors, a.ServiceSelectors))],
            BgpAdvertisements = [],
            Peers = [],
        }) with { Layer2Enabled = s.BgpEnabled };
        if (c.Name.Contains("peer", StringComparison.Ordinal)) return; // peers are BGP-only
        var plan = AnnouncementPlanner.Plan(c.Node, l2);
        var reason = plan.Services[Web].Reason;
        if (c.Expected is null)
        {
            // Eligible: either it owns the IP, or it lost the election to another eligible node.
            Assert.True(reason is null or WithdrawReason.LeaderMoved, $"{reason}");
            Assert.Equal(reason is null, plan.Layer2.Any(a => a.Ip.Equals(V4)));
            var owners = Layer2Owners(l2);
            Assert.Single(owners[V4]);
        }
        else
        {
            Assert.Equal(c.Expected, reason);
            Assert.DoesNotContain(plan.Layer2, a => a.Ip.Equals(V4));
        }
    }
}
