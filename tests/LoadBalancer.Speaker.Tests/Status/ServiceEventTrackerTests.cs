using System.Collections.Immutable;
using System.Net;
using LoadBalancer.Speaker.Announcing;
using LoadBalancer.Speaker.Planning;
using LoadBalancer.Speaker.Status;

namespace LoadBalancer.Speaker.Tests.Status;

public class ServiceEventTrackerTests
{
    private static readonly ServiceKey Web = new("default", "web");
    private static readonly IPAddress Ip = IPAddress.Parse("203.0.113.10");
    private static readonly IPAddress Ip2 = IPAddress.Parse("203.0.113.11");
    private static readonly DateTimeOffset T0 = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);

    private static AnnouncementPlan Plan(params ServicePlan[] services) => AnnouncementPlan.Empty("n1") with
    {
        Services = services.ToImmutableDictionary(s => s.Key),
    };

    private static ServicePlan Announced(IPAddress ip, string iface = "eth0") => new(Web, [ip], [new IpAnnouncement(ip, AnnounceProtocol.Layer2, [iface], [])], null);

    private static ServicePlan Bgp(IPAddress ip, params string[] peers) => new(Web, [ip], [new IpAnnouncement(ip, AnnounceProtocol.Bgp, [], [.. peers])], null);

    private static ServicePlan NotAnnounced(WithdrawReason r, IPAddress? ip = null) => new(Web, [ip ?? Ip], [], r);

    private static string[] Show(IEnumerable<ServiceEvent> events) => [.. events.Select(e => $"{e.Type} {e.Reason}: {e.Message}")];

    [Fact]
    public void Announce_then_same_plan_again_gives_one_event()
    {
        var t = new ServiceEventTracker("n1");
        Assert.Equal(["Normal Announced: announcing from node \"n1\": 203.0.113.10 with protocol \"layer2\" on eth0"], Show(t.Update(T0, Plan(Announced(Ip)), [])));
        Assert.Empty(t.Update(T0.AddSeconds(1), Plan(Announced(Ip)), []));
    }

    [Theory]
    [InlineData(WithdrawReason.NoLocalEndpoints, "noLocalEndpoints")]
    [InlineData(WithdrawReason.NoEndpoints, "noEndpoints")]
    [InlineData(WithdrawReason.LeaderMoved, "leaderMoved")]
    [InlineData(WithdrawReason.NodeExcluded, "nodeExcluded")]
    [InlineData(WithdrawReason.NotAdvertised, "notAdvertised")]
    public void Withdrawn_carries_the_planner_reason(WithdrawReason reason, string text)
    {
        var t = new ServiceEventTracker("n1");
        t.Update(T0, Plan(Announced(Ip)), []);
        Assert.Equal([$"Normal Withdrawn: node \"n1\" stopped announcing 203.0.113.10: {text}"], Show(t.Update(T0.AddSeconds(1), Plan(NotAnnounced(reason)), [])));
    }

    [Fact]
    public void Never_announced_reason_changes_are_silent()
    {
        var t = new ServiceEventTracker("n1");
        Assert.Empty(t.Update(T0, Plan(NotAnnounced(WithdrawReason.NoEndpoints)), []));
        Assert.Empty(t.Update(T0, Plan(NotAnnounced(WithdrawReason.LeaderMoved)), []));
        Assert.Empty(t.Update(T0, Plan(), []));
    }

    [Fact]
    public void Ip_change_is_a_withdraw_with_ipChanged_then_an_announce()
    {
        var t = new ServiceEventTracker("n1");
        t.Update(T0, Plan(Announced(Ip)), []);
        Assert.Equal([
            "Normal Withdrawn: node \"n1\" stopped announcing 203.0.113.10: ipChanged",
            "Normal Announced: announcing from node \"n1\": 203.0.113.11 with protocol \"layer2\" on eth0"],
            Show(t.Update(T0, Plan(Announced(Ip2)), [])));
        Assert.Equal(["Normal Withdrawn: node \"n1\" stopped announcing 203.0.113.11: ipChanged"],
            Show(t.Update(T0, Plan(new ServicePlan(Web, [], [], WithdrawReason.NotAdvertised)), [])));
    }

    [Fact]
    public void Deleted_service_gets_serviceDeleted_once()
    {
        var t = new ServiceEventTracker("n1");
        t.Update(T0, Plan(Bgp(Ip, "p1", "p2")), []);
        Assert.Equal(["Normal Withdrawn: node \"n1\" stopped announcing 203.0.113.10: serviceDeleted"], Show(t.Update(T0, Plan(), [])));
        Assert.Empty(t.Update(T0, Plan(), []));
    }

    [Fact]
    public void Changed_peers_re_announce_with_the_new_peers()
    {
        var t = new ServiceEventTracker("n1");
        Assert.Equal(["Normal Announced: announcing from node \"n1\": 203.0.113.10 with protocol \"bgp\" to peers p1"], Show(t.Update(T0, Plan(Bgp(Ip, "p1")), [])));
        Assert.Equal(["Normal Announced: announcing from node \"n1\": 203.0.113.10 with protocol \"bgp\" to peers p1, p2"], Show(t.Update(T0, Plan(Bgp(Ip, "p1", "p2")), [])));
    }

    [Fact]
    public void AnnounceFailed_once_per_failure_while_it_lasts()
    {
        var t = new ServiceEventTracker("n1");
        var f = new AnnounceFailure(Ip, "interfaceMissing", "interface eth0 does not exist");
        var first = Show(t.Update(T0, Plan(Announced(Ip)), [f]));
        Assert.Equal(["Normal Announced: announcing from node \"n1\": 203.0.113.10 with protocol \"layer2\" on eth0",
            "Warning AnnounceFailed: cannot announce 203.0.113.10 from node \"n1\": interfaceMissing: interface eth0 does not exist"], first);
        Assert.Empty(t.Update(T0, Plan(Announced(Ip)), [f]));
        Assert.Empty(t.Update(T0, Plan(Announced(Ip)), []));
        Assert.Single(t.Update(T0, Plan(Announced(Ip)), [f]));
        // A failure on an IP the Service does not announce here is not this Service's business.
        var t2 = new ServiceEventTracker("n1");
        Assert.Empty(t2.Update(T0, Plan(NotAnnounced(WithdrawReason.LeaderMoved)), [f]));
    }

    [Fact]
    public void Flapping_service_does_not_flood_and_the_final_state_is_told()
    {
        var limits = new EventLimits(Burst: 4, Refill: TimeSpan.FromMinutes(1));
        var t = new ServiceEventTracker("n1", limits);
        var total = 0;
        var now = T0;
        // One flap per second for an hour: 3600 transitions.
        for (var i = 0; i < 3600; i++)
        {
            now = T0.AddSeconds(i);
            total += t.Update(now, Plan(i % 2 == 0 ? Announced(Ip) : NotAnnounced(WithdrawReason.NoEndpoints)), []).Count;
        }
        // At most burst + one per minute (each tick may say Withdrawn or Announced): <= 4 + 60 + 1.
        Assert.InRange(total, 4, 65);
        // Flapping stops in the withdrawn state (the last update above, i = 3599, is odd): users learn it once a token is back.
        var due = t.NextDue(now);
        Assert.NotNull(due);
        var later = t.Flush(due!.Value);
        var ev = Assert.Single(later);
        Assert.Equal("Withdrawn", ev.Reason);
        Assert.True(ev.Message.Contains("earlier changes folded into this event", StringComparison.Ordinal), ev.Message);
        Assert.Null(t.NextDue(due.Value));
    }

    [Fact]
    public void Rate_limit_is_per_service()
    {
        var t = new ServiceEventTracker("n1", new EventLimits(Burst: 1));
        var other = new ServiceKey("default", "other");
        t.Update(T0, Plan(Announced(Ip)), []);
        var events = t.Update(T0, Plan(NotAnnounced(WithdrawReason.NoEndpoints), new ServicePlan(other, [Ip2], [new IpAnnouncement(Ip2, AnnounceProtocol.Layer2, [], [])], null)), []);
        Assert.Equal([other], events.Select(e => e.Service));
        Assert.Equal("announcing from node \"n1\": 203.0.113.11 with protocol \"layer2\" on all interfaces", events[0].Message);
    }
}
