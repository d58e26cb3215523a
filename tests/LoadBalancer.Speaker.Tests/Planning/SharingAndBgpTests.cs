using System.Net;
using System.Net.Sockets;
using LoadBalancer.Speaker.Announcing;
using LoadBalancer.Speaker.Planning;
using static LoadBalancer.Speaker.Tests.Planning.World;

namespace LoadBalancer.Speaker.Tests.Planning;

public class SharingAndBgpTests
{
    private static readonly ServiceKey Dns = new("default", "dns");

    [Fact]
    public void Services_sharing_an_ip_elect_one_owner_from_the_union_of_candidates()
    {
        // Two Local Services share V4; web's endpoint is on n1 only, dns's on n2 only: the IP has one owner among {n1, n2}.
        var s = Base(TrafficPolicy.Local).WithServices(Service(Web, TrafficPolicy.Local, V4), Service(Dns, TrafficPolicy.Local, V4))
            .WithSlices(Slice(Web, Ready("n1")), Slice(Dns, Ready("n2")));
        var owners = Layer2Owners(s);
        var owner = Assert.Single(owners[V4]);
        Assert.Equal(Layer2Election.Owner(["n1", "n2"], V4), owner);
        var plan = AnnouncementPlanner.Plan(owner, s);
        var l2 = Assert.Single(plan.Layer2);
        // The owner announces the IP for the Service it can serve; the other reports why not.
        var other = owner == "n1" ? Dns : Web;
        Assert.Equal([owner == "n1" ? Web : Dns], l2.Services.ToArray());
        Assert.Equal(WithdrawReason.NoLocalEndpoints, plan.Services[other].Reason);
    }

    [Fact]
    public void Shared_ip_with_identical_eligibility_lists_both_services()
    {
        var s = Base().WithServices(Service(Web, TrafficPolicy.Cluster, V4), Service(Dns, TrafficPolicy.Cluster, V4))
            .WithSlices(Slice(Web, Ready("n1")), Slice(Dns, Ready("n2")));
        var owner = Assert.Single(Layer2Owners(s)[V4]);
        var l2 = Assert.Single(AnnouncementPlanner.Plan(owner, s).Layer2);
        Assert.Equal([Dns, Web], l2.Services.ToArray());
        foreach (var n in new[] { "n1", "n2", "n3" }.Where(n => n != owner))
        {
            var p = AnnouncementPlanner.Plan(n, s);
            Assert.Equal(WithdrawReason.LeaderMoved, p.Services[Web].Reason);
            Assert.Equal(WithdrawReason.LeaderMoved, p.Services[Dns].Reason);
        }
    }

    [Fact]
    public void Shared_ip_one_service_without_endpoints_still_announced_for_the_other()
    {
        var s = Base().WithServices(Service(Web, TrafficPolicy.Cluster, V4), Service(Dns, TrafficPolicy.Cluster, V4))
            .WithSlices(Slice(Web, Ready("n1")));
        var owner = Assert.Single(Layer2Owners(s)[V4]);
        var p = AnnouncementPlanner.Plan(owner, s);
        Assert.Equal([Web], Assert.Single(p.Layer2).Services.ToArray());
        Assert.Equal(WithdrawReason.NoEndpoints, p.Services[Dns].Reason);
    }

    [Fact]
    public void Dual_stack_each_family_elected_and_checked_on_its_own_endpoints()
    {
        var s = Base().WithServices(Service(Web, TrafficPolicy.Cluster, V4, V6)).WithSlices(Slice(Web, Ready("n1")), Slice6(Web, Ready("n1", "fd00::1")));
        var owners = Layer2Owners(s);
        Assert.Equal(["n3"], owners[V4]);
        Assert.Equal(["n1"], owners[V6]);
        // IPv6 slice with nothing ready: only the IPv4 address is announced, and the plan says so.
        var s2 = s.WithSlices(Slice(Web, Ready("n1")), Slice6(Web, NotReady("n1", "fd00::1")));
        var owners2 = Layer2Owners(s2);
        Assert.False(owners2.ContainsKey(V6));
        var p = AnnouncementPlanner.Plan("n3", s2);
        Assert.Equal([V4], p.Services[Web].Announcements.Select(a => a.Ip));
        // A Service with only an IPv4 slice (no IPv6 slice at all) counts that slice for both families.
        var s3 = s.WithSlices(Slice(Web, Ready("n1")));
        Assert.Equal(["n1"], Layer2Owners(s3)[V6]);
    }

    [Fact]
    public void Layer2_interfaces_union_all_wins_and_gratuitous_interval_is_the_smallest()
    {
        var s = Base().WithConfig(c => c with
        {
            L2Advertisements = [new("a", Interfaces: ["eth1"], GratuitousInterval: TimeSpan.FromSeconds(30)), new("b", Interfaces: ["eth0"], GratuitousInterval: TimeSpan.FromSeconds(10))],
        });
        var a = Assert.Single(AnnouncementPlanner.Plan("n3", s).Layer2);
        Assert.Equal(["eth0", "eth1"], a.Interfaces.ToArray());
        Assert.Equal(TimeSpan.FromSeconds(10), a.GratuitousInterval);
        var s2 = s.WithConfig(c => c with { L2Advertisements = [.. c.L2Advertisements, new("all")] });
        Assert.Empty(Assert.Single(AnnouncementPlanner.Plan("n3", s2).Layer2).Interfaces);
    }

    [Fact]
    public void Layer2_interfaces_do_not_affect_the_election()
    {
        // Ad "a" gives n3 (the natural owner) an interface list; n3 still wins.
        var s = Base().WithNode(Node("n3", ("rack", "1"))).WithConfig(c => c with
        {
            L2Advertisements = [new("a", NodeSelectors: [Selector.Labels(("rack", "1"))], Interfaces: ["eth9"]), new("b", NodeSelectors: [Selector.Labels(("rack", "2"))])],
        }).WithNode(Node("n1", ("rack", "2"))).WithNode(Node("n2", ("rack", "2")));
        Assert.Equal(["n3"], Layer2Owners(s)[V4]);
        Assert.Equal(["eth9"], Assert.Single(AnnouncementPlanner.Plan("n3", s).Layer2).Interfaces.ToArray());
    }

    [Fact]
    public void Bgp_routes_carry_aggregation_communities_and_local_pref_for_ibgp_only()
    {
        var s = BaseBgp().WithServices(Service(Web, TrafficPolicy.Cluster, V4, V6)).WithSlices(Slice(Web, Ready("n1")), Slice6(Web, Ready("n1", "fd00::1")))
            .WithConfig(c => c with
            {
                BgpAdvertisements = [new("agg", AggregationLength: 24, AggregationLengthV6: 64, LocalPreference: 200, Communities: [(64500u << 16) | 100], LargeCommunities: [(64500u, 1u, 2u)])],
                Peers = [new(PeerSpec("ebgp", 64500, 64501)), new(PeerSpec("ibgp", 64500, 64500))],
            });
        var plan = AnnouncementPlanner.Plan("n1", s);
        Assert.Equal(4, plan.BgpRoutes.Length);
        var e4 = plan.BgpRoutes.Single(r => r.Peer == "ebgp" && r.Prefix.BaseAddress.AddressFamily == AddressFamily.InterNetwork);
        Assert.Equal(IPNetwork.Parse("203.0.113.0/24"), e4.Prefix);
        Assert.Equal([(64500u << 16) | 100], e4.Communities.ToArray());
        Assert.Equal([(64500u, 1u, 2u)], e4.LargeCommunities.ToArray());
        Assert.Null(e4.LocalPreference);
        var i6 = plan.BgpRoutes.Single(r => r.Peer == "ibgp" && r.Prefix.BaseAddress.AddressFamily == AddressFamily.InterNetworkV6);
        Assert.Equal(IPNetwork.Parse("2001:db8::/64"), i6.Prefix);
        Assert.Equal(200u, i6.LocalPreference);
        Assert.Equal(["ebgp", "ibgp"], plan.BgpPeers.Select(p => p.Name));
        Assert.All(plan.Services[Web].Announcements, a => Assert.Equal(["ebgp", "ibgp"], a.Peers.ToArray()));
    }

    [Fact]
    public void Bgp_same_prefix_from_two_services_and_two_ads_is_one_route_with_merged_communities()
    {
        var other = IPAddress.Parse("203.0.113.11");
        var s = BaseBgp().WithServices(Service(Web, TrafficPolicy.Cluster, V4), Service(Dns, TrafficPolicy.Cluster, other))
            .WithSlices(Slice(Web, Ready("n1")), Slice(Dns, Ready("n1")))
            .WithConfig(c => c with
            {
                BgpAdvertisements = [new("a", AggregationLength: 24, Communities: [2u, 1u]), new("b", AggregationLength: 24, Communities: [3u, 1u])],
            });
        var r = Assert.Single(AnnouncementPlanner.Plan("n1", s).BgpRoutes);
        Assert.Equal([1u, 2u, 3u], r.Communities.ToArray());
    }

    [Fact]
    public void Bgp_ad_peers_limit_the_routes_and_peer_node_selectors_limit_the_sessions()
    {
        var s = BaseBgp().WithNode(Node("n1", ("rack", "1"))).WithConfig(c => c with
        {
            BgpAdvertisements = [new("a", Peers: ["p1"])],
            Peers = [new(PeerSpec("p1")), new(PeerSpec("p2")), new(PeerSpec("p3"), [Selector.Labels(("rack", "2"))])],
        });
        var plan = AnnouncementPlanner.Plan("n1", s);
        Assert.Equal(["p1", "p2"], plan.BgpPeers.Select(p => p.Name));
        Assert.Equal(["p1"], plan.BgpRoutes.Select(r => r.Peer));
    }

    [Fact]
    public void Excluded_node_keeps_its_bgp_sessions_but_advertises_nothing()
    {
        var plan = AnnouncementPlanner.Plan("n1", BaseBgp().WithNode(Node("n1") with { NetworkUnavailable = true }));
        Assert.Single(plan.BgpPeers);
        Assert.Empty(plan.BgpRoutes);
    }

    [Fact]
    public void Both_protocols_can_announce_the_same_ip()
    {
        var s = BaseBgp().WithConfig(c => c with { L2Advertisements = [new("l2")] });
        var plan = AnnouncementPlanner.Plan("n3", s);
        Assert.Equal([AnnounceProtocol.Layer2, AnnounceProtocol.Bgp], plan.Services[Web].Announcements.Select(a => a.Protocol));
    }

    [Fact]
    public void Data_plane_snapshot_has_every_service_with_all_endpoints_and_ports_by_name()
    {
        var s = Base(TrafficPolicy.Local).WithNode(Node("n1", (NodeInput.ZoneLabel, "z1")))
            .WithSlices(Slice(Web, Ready("n1"), Terminating("n2"), NotReady("n3")), Slice6(Web, Ready("n1", "fd00::1")));
        var dp = AnnouncementPlanner.Plan("n1", s).DataPlane;
        Assert.Equal("n1", dp.NodeName);
        Assert.Equal("z1", dp.NodeZone);
        var svc = Assert.Single(dp.Services);
        Assert.Equal(TrafficPolicy.Local, svc.ExternalTrafficPolicy);
        Assert.Equal(4, svc.Endpoints.Length);
        Assert.All(svc.Endpoints, e => Assert.Equal(8080, e.PortsByName["http"]));
        Assert.Equal([true, false, false, true], svc.Endpoints.Select(e => e.Ready));
        // The data plane gets the Service even when this node announces nothing (an L2 failover may still send traffic here).
        Assert.Single(AnnouncementPlanner.Plan("n2", s).DataPlane.Services);
    }

    [Fact]
    public void Prefix_masks_and_clamps()
    {
        Assert.Equal(IPNetwork.Parse("203.0.113.0/24"), AnnouncementPlanner.Prefix(V4, 24));
        Assert.Equal(IPNetwork.Parse("203.0.113.10/32"), AnnouncementPlanner.Prefix(V4, 99));
        Assert.Equal(IPNetwork.Parse("0.0.0.0/0"), AnnouncementPlanner.Prefix(V4, -1));
        Assert.Equal(IPNetwork.Parse("2001:db8::/33"), AnnouncementPlanner.Prefix(IPAddress.Parse("2001:db8:7fff::1"), 33));
    }
}
