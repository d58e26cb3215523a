using System.Net;
using LoadBalancer.Proto.Bgp;
using LoadBalancer.Speaker.Bgp;

namespace LoadBalancer.Speaker.Tests.Bgp;

public sealed class AdjRibOutTests
{
    private static readonly RouteAttributes A = new([1], [], null);
    private static readonly RouteAttributes B = new([2], [], null);

    private static Dictionary<IPNetwork, RouteAttributes> Rib(params (string Prefix, RouteAttributes Attrs)[] routes)
        => routes.ToDictionary(r => IPNetwork.Parse(r.Prefix), r => r.Attrs);

    [Fact]
    public void Delta_GroupsByAttributes_AndNeverResendsWhatThePeerHas()
    {
        var rib = new AdjRibOut();
        rib.SetDesired(Rib(("203.0.113.1/32", A), ("203.0.113.2/32", A), ("203.0.113.3/32", B), ("2001:db8::1/128", A)));
        var first = rib.TakeDelta(_ => true);
        Assert.Equal(3, first.Announce.Count);
        Assert.Equal(2, first.Announce.Single(g => g.Afi == BgpAfi.IPv4 && g.Attributes.Equals(new RouteAttributes([1], [], null))).Prefixes.Count);
        Assert.True(rib.TakeDelta(_ => true).IsEmpty);
        rib.SetDesired(Rib(("203.0.113.1/32", A), ("203.0.113.3/32", A)));
        var second = rib.TakeDelta(_ => true);
        Assert.Equal(new[] { IPNetwork.Parse("203.0.113.2/32") }, second.WithdrawIPv4.ToArray());
        Assert.Equal(new[] { IPNetwork.Parse("2001:db8::1/128") }, second.WithdrawIPv6.ToArray());
        Assert.Equal(new[] { IPNetwork.Parse("203.0.113.3/32") }, second.Announce.Single().Prefixes.ToArray());
        Assert.Equal(2, rib.AdvertisedCount);
    }

    [Fact]
    public void FamilyTheSessionCannotCarry_WaitsUntilItCan_AndPeerLostResendsAll()
    {
        var rib = new AdjRibOut();
        rib.SetDesired(Rib(("203.0.113.1/32", A), ("2001:db8::1/128", A)));
        Assert.Single(rib.TakeDelta(afi => afi == BgpAfi.IPv4).Announce);
        Assert.Equal(1, rib.AdvertisedCount);
        rib.PeerLost();
        Assert.Equal(2, rib.TakeDelta(_ => true).Announce.Sum(g => g.Prefixes.Count));
    }
}
