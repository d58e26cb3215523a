using System.Buffers;
using System.Net;
using LoadBalancer.Proto.Bgp;

namespace LoadBalancer.Proto.Tests.Bgp;

/// <summary>Messages captured from gobgpd, BIRD, FRR and ExaBGP decode to what those daemons were told to send.</summary>
public sealed class BgpGoldenTests
{
    private static readonly BgpDecodeContext Four = BgpDecodeContext.Modern;

    private static ReadOnlySpan<byte> Body(byte[] message, BgpMessageType expected)
    {
        Assert.Equal(OperationStatus.Done, BgpFraming.TryReadMessage(message, 4096, out var type, out var length, out var error));
        Assert.Null(error);
        Assert.Equal(expected, type);
        Assert.Equal(message.Length, length);
        return message.AsSpan(19);
    }

    private static BgpOpen Open(string name)
    {
        Assert.True(BgpOpen.TryDecode(Body(BgpCaptures.Get(name), BgpMessageType.Open), out var open, out var error), error?.ToString());
        return open!;
    }

    private static BgpUpdate Update(string name)
    {
        var status = BgpUpdate.TryDecode(Body(BgpCaptures.Get(name), BgpMessageType.Update), Four, out var update, out var error);
        Assert.True(status == BgpUpdateStatus.Ok, $"{status} {error}");
        return update;
    }

    [Fact]
    public void GobgpdOpen_HasAsTransFourOctetAsAndBothFamilies_AndReencodesByteForByte()
    {
        var open = Open("gobgpd-open");
        Assert.Equal(BgpConstants.AsTrans, open.MyAutonomousSystem);
        Assert.Equal(4200000001u, open.Asn);
        Assert.Equal(9, open.HoldTimeSeconds);
        Assert.Equal(0xC000020Bu, open.BgpIdentifier);
        Assert.True(open.Supports(BgpAfi.IPv4, BgpSafi.Unicast));
        Assert.True(open.Supports(BgpAfi.IPv6, BgpSafi.Unicast));
        Assert.NotNull(open.Find<RouteRefreshCapability>());
        Assert.Contains(open.Capabilities, c => c is UnknownCapability { CapabilityCode: 73 }); // FQDN, kept
        Assert.Equal(BgpCaptures.Get("gobgpd-open"), open.ToArray());
    }

    [Fact]
    public void BirdOpen_HasGracefulRestartAndReencodesByteForByte()
    {
        var open = Open("bird-open");
        Assert.Equal(64512u, open.Asn);
        var gr = open.Find<GracefulRestartCapability>();
        Assert.NotNull(gr);
        Assert.Equal(120, gr.RestartTimeSeconds);
        Assert.Equal(BgpCaptures.Get("bird-open"), open.ToArray());
    }

    [Fact]
    public void FrrOpen_WithOneCapabilityPerParameter_Decodes()
    {
        var open = Open("frr-open");
        Assert.Equal(64512u, open.Asn);
        Assert.Equal(9, open.HoldTimeSeconds);
        Assert.True(open.Supports(BgpAfi.IPv6, BgpSafi.Unicast));
        Assert.NotNull(open.Find<GracefulRestartCapability>());
        Assert.NotNull(open.Find<FourOctetAsCapability>());
        // Re-encoded with all capabilities in one parameter, it decodes to the same OPEN.
        var again = open.ToArray();
        Assert.True(BgpOpen.TryDecode(again.AsSpan(19), out var open2, out _));
        Assert.Equal(open, open2);
    }

    [Fact]
    public void ExabgpOpen_Decodes()
    {
        var open = Open("exabgp-open");
        Assert.Equal(64513u, open.Asn);
        // ExaBGP puts each capability in its own optional parameter; ours are in one, with the same meaning.
        Assert.True(BgpOpen.TryDecode(open.ToArray().AsSpan(19), out var again, out _));
        Assert.Equal(open, again);
    }

    [Fact]
    public void GobgpdIpv4Update_CarriesCommunityLargeCommunityMed_AndReencodesByteForByte()
    {
        var u = Update("gobgpd-update-ipv4-communities-med");
        Assert.Equal(new[] { IPNetwork.Parse("203.0.113.10/32") }, u.Nlri.ToArray());
        Assert.Equal(BgpOrigin.Igp, u.Attributes.Origin);
        Assert.Equal(new[] { 4200000001u }, u.Attributes.SequenceAsns.ToArray());
        Assert.Equal(IPAddress.Parse("192.0.2.11"), u.Attributes.NextHop);
        Assert.Equal(10u, u.Attributes.MultiExitDisc);
        Assert.Equal(new[] { (64513u << 16) | 100 }, u.Attributes.Communities.ToArray());
        Assert.Equal(new[] { new LargeCommunity(64513, 1, 2) }, u.Attributes.LargeCommunities.ToArray());
        Assert.Equal(BgpCaptures.Get("gobgpd-update-ipv4-communities-med"), u.ToArray(Four));
    }

    [Fact]
    public void GobgpdIpv6Update_UsesMpReach()
    {
        var u = Update("gobgpd-update-ipv6-mp-reach");
        Assert.Empty(u.Nlri);
        var mp = u.Attributes.MpReach!;
        Assert.Equal(BgpAfi.IPv6, mp.Afi);
        Assert.Equal(IPAddress.Parse("2001:db8::11"), mp.NextHop);
        Assert.Equal(new[] { IPNetwork.Parse("2001:db8:100::10/128") }, mp.Nlri.ToArray());
        Assert.Equal(new[] { new LargeCommunity(64513, 3, 4) }, u.Attributes.LargeCommunities.ToArray());
        AssertReencodes(u);
    }

    [Fact]
    public void Withdrawals_Decode()
    {
        Assert.Equal(new[] { IPNetwork.Parse("203.0.113.10/32") }, Update("gobgpd-update-ipv4-withdraw").Withdrawn.ToArray());
        Assert.Equal(new[] { IPNetwork.Parse("2001:db8:100::10/128") }, Update("gobgpd-update-ipv6-mp-unreach").Attributes.MpUnreach!.Withdrawn.ToArray());
        Assert.Equal(BgpCaptures.Get("gobgpd-update-ipv4-withdraw"), Update("gobgpd-update-ipv4-withdraw").ToArray(Four));
    }

    [Theory]
    [InlineData("bird-end-of-rib-ipv4", BgpAfi.IPv4)]
    [InlineData("bird-end-of-rib-ipv6", BgpAfi.IPv6)]
    [InlineData("exabgp-end-of-rib-ipv4", BgpAfi.IPv4)]
    [InlineData("exabgp-end-of-rib-ipv6", BgpAfi.IPv6)]
    public void EndOfRib_IsRecognised(string name, BgpAfi afi)
    {
        var u = Update(name);
        Assert.True(u.IsEndOfRib(out var a, out var s));
        Assert.Equal(afi, a);
        Assert.Equal(BgpSafi.Unicast, s);
    }

    [Fact]
    public void OurEndOfRib_MatchesBird()
    {
        Assert.Equal(BgpCaptures.Get("bird-end-of-rib-ipv4"), BgpUpdate.EndOfRib(BgpAfi.IPv4).ToArray(Four));
        Assert.Equal(BgpCaptures.Get("bird-end-of-rib-ipv6"), BgpUpdate.EndOfRib(BgpAfi.IPv6).ToArray(Four));
    }

    [Fact]
    public void FrrEcho_CarriesOurOwnAsAfterTheRouters()
    {
        var u = Update("frr-update-ipv4-echo-as-path-extlen");
        Assert.Equal(new[] { 64512u, 64513u }, u.Attributes.SequenceAsns.ToArray());
        Assert.Equal(new[] { new LargeCommunity(64513, 1, 2) }, u.Attributes.LargeCommunities.ToArray());
        Assert.Single(u.Attributes.ExtendedCommunities);
        AssertReencodes(u);
        var v6 = Update("frr-update-ipv6-echo-link-local-next-hop");
        Assert.Equal(IPAddress.Parse("2001:db8::1"), v6.Attributes.MpReach!.NextHop);
        Assert.True(v6.Attributes.MpReach.LinkLocalNextHop!.IsIPv6LinkLocal);
        AssertReencodes(v6);
    }

    [Fact]
    public void ExabgpUpdate_CarriesExtendedCommunityTarget()
    {
        var u = Update("exabgp-update-ipv4-ext-large-communities");
        Assert.Equal(new[] { 0x0002FC0100000005UL }, u.Attributes.ExtendedCommunities.ToArray());
        Assert.Equal(BgpCaptures.Get("exabgp-update-ipv4-ext-large-communities"), u.ToArray(Four));
        AssertReencodes(Update("exabgp-update-ipv6-mp-reach"));
    }

    [Fact]
    public void Keepalive_IsTheBareHeader() => Assert.Equal(BgpCaptures.Get("gobgpd-keepalive"), BgpFraming.Keepalive());

    private static void AssertReencodes(BgpUpdate u)
    {
        var bytes = u.ToArray(Four);
        Assert.Equal(BgpUpdateStatus.Ok, BgpUpdate.TryDecode(bytes.AsSpan(19), Four, out var again, out _));
        Assert.Equal(u.Withdrawn.ToArray(), again.Withdrawn.ToArray());
        Assert.Equal(u.Nlri.ToArray(), again.Nlri.ToArray());
        Assert.Equal(u.Attributes, again.Attributes);
    }
}
