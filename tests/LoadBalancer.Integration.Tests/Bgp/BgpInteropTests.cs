using LoadBalancer.Speaker.Announcing;

namespace LoadBalancer.Integration.Tests.Bgp;

/// <summary>
/// The same interop checks for every daemon (one daemon per test class, started once): eBGP with a 4-byte ASN for
/// IPv4 and for IPv6 (its own IPv6 session, next hop = our address on it), iBGP with LOCAL_PREF, communities and
/// large communities read back from the daemon, withdraw, TCP MD5 right and wrong, ECMP in the router's kernel.
/// </summary>
public abstract class BgpInteropTests<TLab>(TLab lab) where TLab : BgpLab
{
    protected TLab Lab { get; } = lab;

    [Fact]
    public async Task Ebgp_FourByteAsn_Ipv4AndIpv6_RoutesArriveWithAttributes_ThenAreWithdrawn()
    {
        await using var speaker = Lab.CreateAnnouncer(Lab.Node1, "2001:db8::11");
        await speaker.SetPeersAsync([BgpLab.Peer("v4", "192.0.2.1", BgpLab.NodeAsn), BgpLab.Peer("v6", "2001:db8::1", BgpLab.NodeAsn)], default);
        await speaker.SetDesiredAsync([BgpLab.Route("v4", "203.0.113.10/32"), BgpLab.Route("v4", "203.0.113.11/32"), BgpLab.Route("v6", "2001:db8:100::10/128")], default);
        await BgpLab.WaitEstablishedAsync(speaker, "v4", Lab.EstablishSeconds);
        await BgpLab.WaitEstablishedAsync(speaker, "v6", Lab.EstablishSeconds);
        await Lab.WaitRouteAsync("203.0.113.10/32", Lab.Expect("192.0.2.11", "64513:100", "64513:1:2", null));
        await Lab.WaitRouteAsync("203.0.113.11/32", Lab.Expect("192.0.2.11", "64513:100", "64513:1:2", null));
        await Lab.WaitRouteAsync("2001:db8:100::10/128", Lab.Expect("2001:db8::11", "64513:100", "64513:1:2", null));

        await speaker.SetDesiredAsync([BgpLab.Route("v4", "203.0.113.11/32")], default);
        await Lab.WaitNoRouteAsync("203.0.113.10/32");
        await Lab.WaitNoRouteAsync("2001:db8:100::10/128");
        await Lab.WaitRouteAsync("203.0.113.11/32", Lab.Expect("192.0.2.11", null, null, null));
        await speaker.ShutdownAsync("test done", default);
        await Lab.WaitNoRouteAsync("203.0.113.11/32");
    }

    [Fact]
    public async Task Ibgp_CarriesLocalPreference()
    {
        await using var speaker = Lab.CreateAnnouncer(Lab.Node1, "2001:db8::11");
        await speaker.SetPeersAsync([BgpLab.Peer("ibgp", "192.0.2.1", BgpLab.RouterAsn, source: "192.0.2.21")], default);
        await speaker.SetDesiredAsync([BgpLab.Route("ibgp", "203.0.113.20/32", localPref: 250)], default);
        await BgpLab.WaitEstablishedAsync(speaker, "ibgp", Lab.EstablishSeconds);
        await Lab.WaitRouteAsync("203.0.113.20/32", Lab.Expect("192.0.2.21", "64513:100", "64513:1:2", 250));
        await speaker.ShutdownAsync("test done", default);
    }

    [Fact]
    public async Task Md5_RightPasswordWorks_WrongPasswordFailsCleanly_AndEcmpReachesTheKernel()
    {
        await using var wrong = Lab.CreateAnnouncer(Lab.Node2, "2001:db8::12");
        await wrong.SetPeersAsync([BgpLab.Peer("md5", "192.0.2.1", BgpLab.NodeAsn, password: "not-the-secret")], default);
        await BgpLab.WaitAsync(() => Task.FromResult(wrong.Sessions.Single().LastError is not null), "the wrong password to fail", 15);
        Assert.NotEqual("Established", wrong.Sessions.Single().State);
        Assert.Contains("MD5", wrong.Sessions.Single().LastError, StringComparison.Ordinal);
        await wrong.DisposeAsync();

        await using var node1 = Lab.CreateAnnouncer(Lab.Node1, "2001:db8::11");
        await using var node2 = Lab.CreateAnnouncer(Lab.Node2, "2001:db8::12");
        await node1.SetPeersAsync([BgpLab.Peer("r", "192.0.2.1", BgpLab.NodeAsn)], default);
        await node2.SetPeersAsync([BgpLab.Peer("r", "192.0.2.1", BgpLab.NodeAsn, password: BgpLab.Password)], default);
        await node1.SetDesiredAsync([BgpLab.Route("r", "203.0.113.50/32")], default);
        await node2.SetDesiredAsync([BgpLab.Route("r", "203.0.113.50/32")], default);
        await BgpLab.WaitEstablishedAsync(node2, "r", Lab.EstablishSeconds);
        await BgpLab.WaitEstablishedAsync(node1, "r", Lab.EstablishSeconds);
        await Lab.WaitRouteAsync("203.0.113.50/32", [.. Lab.Expect("192.0.2.11", null, null, null), .. Lab.Expect("192.0.2.12", null, null, null)]);
        if (Lab.InstallsKernelRoutes)
        {
            var kernel = "";
            await BgpLab.WaitAsync(async () =>
            {
                kernel = await Lab.KernelRouteAsync("203.0.113.50/32");
                return kernel.Contains("nexthop via 192.0.2.11", StringComparison.Ordinal) && kernel.Contains("nexthop via 192.0.2.12", StringComparison.Ordinal);
            }, () => $"an ECMP kernel route; ip route shows: {kernel}", 20);
        }
        await node1.ShutdownAsync("test done", default);
        await node2.ShutdownAsync("test done", default);
    }
}

[CollectionDefinition("bgp-bird")]
public sealed class BirdCollection : ICollectionFixture<BirdLab>;

[Collection("bgp-bird")]
public sealed class BirdInteropTests(BirdLab lab) : BgpInteropTests<BirdLab>(lab);

[CollectionDefinition("bgp-frr")]
public sealed class FrrCollection : ICollectionFixture<FrrLab>;

[Collection("bgp-frr")]
public sealed class FrrInteropTests(FrrLab lab) : BgpInteropTests<FrrLab>(lab);

[CollectionDefinition("bgp-gobgp")]
public sealed class GobgpCollection : ICollectionFixture<GobgpLab>;

[Collection("bgp-gobgp")]
public sealed class GobgpInteropTests(GobgpLab lab) : BgpInteropTests<GobgpLab>(lab);

[CollectionDefinition("bgp-exabgp")]
public sealed class ExabgpCollection : ICollectionFixture<ExabgpLab>;

[Collection("bgp-exabgp")]
public sealed class ExabgpInteropTests(ExabgpLab lab) : BgpInteropTests<ExabgpLab>(lab);
