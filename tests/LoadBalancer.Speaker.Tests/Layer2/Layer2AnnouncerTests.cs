using System.Collections.Immutable;
using System.Net;
using LoadBalancer.Proto.Arp;
using LoadBalancer.Proto.Ndp;
using LoadBalancer.Proto.Primitives;
using LoadBalancer.Speaker.Announcing;
using LoadBalancer.Speaker.Layer2;
using LoadBalancer.TestKit.Time;
using Microsoft.Extensions.Logging.Abstractions;

namespace LoadBalancer.Speaker.Tests.Layer2;

public sealed class Layer2AnnouncerTests : IAsyncDisposable
{
    private static readonly MacAddress Eth0Mac = MacAddress.Parse("02:00:00:00:00:11");
    private static readonly MacAddress Eth1Mac = MacAddress.Parse("02:00:00:00:01:11");
    private static readonly MacAddress ClientMac = MacAddress.Parse("02:00:00:00:00:64");
    private static readonly MacAddress SquatterMac = MacAddress.Parse("02:00:00:00:00:99");
    private static readonly IPAddress Vip4 = IPAddress.Parse("192.0.2.200");
    private static readonly IPAddress Vip6 = IPAddress.Parse("2001:db8::200");
    private static readonly uint ClientIp = IpAddressBits.ToUInt32(IPAddress.Parse("192.0.2.100"));
    private static readonly UInt128 ClientIp6 = IpAddressBits.ToUInt128(IPAddress.Parse("2001:db8::100"));
    private static readonly UInt128 Eth0LinkLocal = IpAddressBits.ToUInt128(IPAddress.Parse("fe80::11"));

    private readonly ManualTimeProvider _time = new();
    private readonly TestMeterFactory _meters = new();
    private readonly CounterRecorder _counters;
    private readonly FakeProvider _provider = new();
    private readonly FakePort _eth0 = new(2, "eth0", Eth0Mac, Eth0LinkLocal);
    private readonly FakePort _eth1 = new(3, "eth1", Eth1Mac);
    private readonly Layer2Announcer _announcer;
    private int _failuresChanged;

    public Layer2AnnouncerTests()
    {
        _counters = new CounterRecorder(_meters);
        _provider.Ports.AddRange([_eth0, _eth1]);
        _announcer = new Layer2Announcer(new Layer2AnnouncerOptions(), NullLogger.Instance, _time, _meters, _provider);
        _announcer.FailuresChanged += () => Interlocked.Increment(ref _failuresChanged);
    }

    public async ValueTask DisposeAsync()
    {
        await _announcer.DisposeAsync();
        _counters.Dispose();
        _meters.Dispose();
    }

    private static Layer2Announcement Announce(IPAddress ip, params string[] interfaces)
        => new(ip, [.. interfaces], [new ServiceKey("default", "web")]);

    private Task Desire(params Layer2Announcement[] a) => _announcer.SetDesiredAsync(a, CancellationToken.None).AsTask();

    private static byte[] ArpRequest(uint target, MacAddress from, uint fromIp)
    {
        var frame = new byte[ArpFrame.UntaggedLength];
        ArpFrame.TryWrite(frame, MacAddress.Broadcast, from, new ArpPacket(ArpOperation.Request, from, fromIp, MacAddress.Zero, target), out _);
        return frame;
    }

    private static byte[] ArpReply(MacAddress from, uint fromIp, MacAddress to, uint toIp)
    {
        var frame = new byte[ArpFrame.UntaggedLength];
        ArpFrame.TryWrite(frame, to, from, new ArpPacket(ArpOperation.Reply, from, fromIp, to, toIp), out _);
        return frame;
    }

    private static byte[] Ndp(MacAddress ethSource, UInt128 source, UInt128 destination, NdpMessage message)
    {
        var frame = new byte[NdpFrame.GetEncodedLength(message)];
        NdpFrame.TryWrite(frame, MacAddress.ForIPv6Multicast(destination), ethSource, source, destination, message, out _);
        return frame;
    }

    private static uint V4(IPAddress ip) => IpAddressBits.ToUInt32(ip);
    private static UInt128 V6(IPAddress ip) => IpAddressBits.ToUInt128(ip);

    private void Advance(int ms) => _time.Advance(TimeSpan.FromMilliseconds(ms));

    /// <summary>Runs the default probe (2 × 20 ms) and clears what was sent.</summary>
    private async Task DesireAndSettle(params Layer2Announcement[] a)
    {
        await Desire(a);
        Advance(40);
        _eth0.Take();
        _eth1.Take();
    }

    [Fact]
    public async Task NewIp_IsProbedFirst_ThenAnnouncedWithBothGratuitousForms()
    {
        await Desire(Announce(Vip4));
        var probes = _eth0.TakeArp();
        Assert.Equal([ArpPacket.Probe(Eth0Mac, V4(Vip4))], probes);
        Assert.Equal([ArpPacket.Probe(Eth1Mac, V4(Vip4))], _eth1.TakeArp());

        // During the probe the IP is not answered for.
        _announcer.HandleFrame(_eth0, ArpRequest(V4(Vip4), ClientMac, ClientIp));
        Assert.Empty(_eth0.Take());
        Assert.Empty(_announcer.Announced);

        Advance(20);
        Assert.Equal([ArpPacket.Probe(Eth0Mac, V4(Vip4))], _eth0.TakeArp());
        Advance(20);
        Assert.Equal(
        [
            new ArpPacket(ArpOperation.Request, Eth0Mac, V4(Vip4), MacAddress.Zero, V4(Vip4)),
            new ArpPacket(ArpOperation.Reply, Eth0Mac, V4(Vip4), MacAddress.Broadcast, V4(Vip4)),
        ], _eth0.TakeArp());
        Assert.Equal(3, _eth1.TakeArp().Count); // second probe + both gratuitous forms
        Assert.Equal([Vip4], _announcer.Announced);
        Assert.Equal(4, _counters.Get("loadbalancer.layer2.gratuitous_sent"));
        Assert.Equal(4, _counters.Get("loadbalancer.layer2.probes_sent")); // 2 probes x 2 interfaces
    }

    [Fact]
    public async Task Request_IsAnsweredWithTheReceivingInterfacesMac()
    {
        await DesireAndSettle(Announce(Vip4));
        _announcer.HandleFrame(_eth1, ArpRequest(V4(Vip4), ClientMac, ClientIp));
        Assert.Equal([new ArpPacket(ArpOperation.Reply, Eth1Mac, V4(Vip4), ClientMac, ClientIp)], _eth1.TakeArp());
        Assert.Empty(_eth0.Take());
        Assert.Equal(1, _counters.Get("loadbalancer.layer2.requests_received"));
        Assert.Equal(1, _counters.Get("loadbalancer.layer2.responses_sent"));
    }

    [Fact]
    public async Task UnassignedIp_IsNeverAnswered()
    {
        await DesireAndSettle(Announce(Vip4));
        _announcer.HandleFrame(_eth0, ArpRequest(V4(IPAddress.Parse("192.0.2.201")), ClientMac, ClientIp));
        Assert.Empty(_eth0.Take());
    }

    [Fact]
    public async Task RemovedIp_IsNotAnsweredOnceSetDesiredReturns()
    {
        await DesireAndSettle(Announce(Vip4), Announce(Vip6));
        await Desire();
        _announcer.HandleFrame(_eth0, ArpRequest(V4(Vip4), ClientMac, ClientIp));
        _announcer.HandleFrame(_eth0, Ndp(ClientMac, ClientIp6, IpAddressBits.SolicitedNodeMulticast(V6(Vip6)),
            new NdpMessage(NdpMessageType.NeighborSolicitation, V6(Vip6), SourceLinkLayer: ClientMac)));
        Advance(5000);
        Assert.Empty(_eth0.Take());
        Assert.Empty(_eth0.Groups);
        Assert.Empty(_announcer.Announced);
    }

    [Fact]
    public async Task InterfaceRestriction_OnlyListedInterfacesAnswer()
    {
        await DesireAndSettle(Announce(Vip4, "eth1"));
        _announcer.HandleFrame(_eth0, ArpRequest(V4(Vip4), ClientMac, ClientIp));
        Assert.Empty(_eth0.Take());
        _announcer.HandleFrame(_eth1, ArpRequest(V4(Vip4), ClientMac, ClientIp));
        Assert.Single(_eth1.TakeArp());
        Assert.Empty(_announcer.Failures);
    }

    [Fact]
    public async Task MissingInterface_IsAFailure_AndAppearingLaterIsPickedUp()
    {
        var eth2 = new FakePort(4, "eth2", MacAddress.Parse("02:00:00:00:02:11"));
        await DesireAndSettle(Announce(Vip4, "eth2"));
        var failure = Assert.Single(_announcer.Failures);
        Assert.Equal("InterfaceNotFound", failure.Reason);
        Assert.Contains("eth2", failure.Message);

        _provider.SetPorts(_eth0, _eth1, eth2);
        Assert.Empty(_announcer.Failures);
        Assert.Equal(2, eth2.TakeArp().Count); // gratuitous on the new interface at once
        _announcer.HandleFrame(eth2, ArpRequest(V4(Vip4), ClientMac, ClientIp));
        Assert.Single(eth2.TakeArp());

        _provider.SetPorts(_eth0, _eth1);
        Assert.Equal("InterfaceNotFound", Assert.Single(_announcer.Failures).Reason);
        Assert.True(_failuresChanged >= 3);
    }

    [Fact]
    public async Task GratuitousBurst_ThenPeriodicWhenConfigured()
    {
        await DesireAndSettle(new Layer2Announcement(Vip4, [], [], TimeSpan.FromSeconds(30)));
        Advance(249);
        Assert.Empty(_eth0.Take());
        Advance(1);
        Assert.Equal(2, _eth0.TakeArp().Count); // +250 ms
        Advance(750);
        Assert.Equal(2, _eth0.TakeArp().Count); // +1 s
        Advance(1000);
        Assert.Equal(2, _eth0.TakeArp().Count); // +2 s
        Advance(29_999);
        Assert.Empty(_eth0.Take());
        Advance(1);
        Assert.Equal(2, _eth0.TakeArp().Count); // periodic
    }

    [Fact]
    public async Task NoPeriodicAnnouncements_ByDefault()
    {
        await DesireAndSettle(Announce(Vip4));
        Advance(3000);
        Assert.Equal(6, _eth0.Take().Count); // the three burst rounds
        Advance(600_000);
        Assert.Empty(_eth0.Take());
    }

    [Fact]
    public async Task SquatterAnsweringTheProbe_BlocksAnnouncement_UntilItGoesQuiet()
    {
        await Desire(Announce(Vip4));
        _eth0.Take();
        _announcer.HandleFrame(_eth0, ArpReply(SquatterMac, V4(Vip4), Eth0Mac, 0));
        var failure = Assert.Single(_announcer.Failures);
        Assert.Equal("AddressConflict", failure.Reason);
        Assert.Contains(SquatterMac.ToString(), failure.Message);
        Assert.Equal(1, _counters.Get("loadbalancer.layer2.conflicts"));

        Advance(40);
        Assert.Empty(_announcer.Announced);
        Assert.DoesNotContain(_eth0.TakeArp(), a => a.IsGratuitous); // no fight
        _announcer.HandleFrame(_eth0, ArpRequest(V4(Vip4), ClientMac, ClientIp));
        Assert.Empty(_eth0.Take());

        // Recheck: the squatter still answers.
        Advance(500);
        _announcer.HandleFrame(_eth0, ArpReply(SquatterMac, V4(Vip4), Eth0Mac, 0));
        Advance(40);
        Assert.Empty(_announcer.Announced);
        Assert.Single(_announcer.Failures);

        // It went away: the next recheck hears nothing and the IP is announced.
        Advance(500);
        Advance(40);
        Assert.Equal([Vip4], _announcer.Announced);
        Assert.Empty(_announcer.Failures);
        Assert.Contains(_eth0.TakeArp(), a => a.IsGratuitous);
    }

    [Fact]
    public async Task ForeignHostClaimingAnAnnouncedIp_IsReported_AndNotFought()
    {
        await DesireAndSettle(Announce(Vip4));
        var before = _failuresChanged;
        // A gratuitous ARP from another MAC for our IP.
        var garp = new byte[ArpFrame.UntaggedLength];
        ArpFrame.TryWrite(garp, MacAddress.Broadcast, SquatterMac, new ArpPacket(ArpOperation.Request, SquatterMac, V4(Vip4), MacAddress.Zero, V4(Vip4)), out _);
        _announcer.HandleFrame(_eth0, garp);
        Assert.Equal("AddressConflict", Assert.Single(_announcer.Failures).Reason);
        Assert.True(_failuresChanged > before);
        // Still answers clients, but sends no more gratuitous frames while the conflict lasts.
        _announcer.HandleFrame(_eth0, ArpRequest(V4(Vip4), ClientMac, ClientIp));
        Assert.Single(_eth0.TakeArp());
        Advance(500);
        Assert.All(_eth0.TakeArp(), a => Assert.True(a.IsProbe));
        Advance(40);
        Assert.Empty(_announcer.Failures); // quiet since: cleared
    }

    [Fact]
    public async Task OwnFrames_AreNotConflicts()
    {
        await DesireAndSettle(Announce(Vip4));
        var garp = new byte[ArpFrame.UntaggedLength];
        ArpFrame.TryWrite(garp, MacAddress.Broadcast, Eth1Mac, new ArpPacket(ArpOperation.Reply, Eth1Mac, V4(Vip4), MacAddress.Broadcast, V4(Vip4)), out _);
        _announcer.HandleFrame(_eth0, garp);
        Assert.Empty(_announcer.Failures);
    }

    [Fact]
    public async Task Ndp_SolicitationIsAnsweredWithSolicitedOverrideNa()
    {
        await DesireAndSettle(Announce(Vip6));
        Assert.Equal(new HashSet<UInt128> { IpAddressBits.SolicitedNodeMulticast(V6(Vip6)) }, _eth0.Groups);
        _announcer.HandleFrame(_eth0, Ndp(ClientMac, ClientIp6, IpAddressBits.SolicitedNodeMulticast(V6(Vip6)),
            new NdpMessage(NdpMessageType.NeighborSolicitation, V6(Vip6), SourceLinkLayer: ClientMac)));
        var (eth, ip, na) = Assert.Single(_eth0.TakeNdp());
        Assert.Equal(ClientMac, eth.Destination);
        Assert.Equal(Eth0Mac, eth.Source);
        Assert.Equal(ClientIp6, ip.Destination);
        Assert.Equal(V6(Vip6), ip.Source); // like the kernel: the target itself
        Assert.Equal(new NdpMessage(NdpMessageType.NeighborAdvertisement, V6(Vip6), TargetLinkLayer: Eth0Mac, Solicited: true, Override: true), na);
    }

    [Fact]
    public async Task Ndp_ProbeIsDad_ThenUnsolicitedNaToAllNodes()
    {
        await Desire(Announce(Vip6));
        var (eth, ip, ns) = Assert.Single(_eth0.TakeNdp());
        Assert.Equal(UInt128.Zero, ip.Source);
        Assert.Equal(IpAddressBits.SolicitedNodeMulticast(V6(Vip6)), ip.Destination);
        Assert.Null(ns.SourceLinkLayer);
        Advance(40);
        var announce = _eth0.TakeNdp().Last();
        Assert.Equal(IpAddressBits.AllNodes, announce.Ip.Destination);
        Assert.True(announce.Message.Override);
        Assert.False(announce.Message.Solicited);
        Assert.Equal(Eth0Mac, announce.Message.TargetLinkLayer);
        Assert.Equal(MacAddress.Parse("33:33:00:00:00:01"), announce.Eth.Destination);
        _ = eth;
    }

    [Fact]
    public async Task Ndp_ForeignAdvertisementDuringDad_IsAConflict()
    {
        await Desire(Announce(Vip6));
        _announcer.HandleFrame(_eth0, Ndp(SquatterMac, V6(Vip6), IpAddressBits.AllNodes,
            new NdpMessage(NdpMessageType.NeighborAdvertisement, V6(Vip6), TargetLinkLayer: SquatterMac, Override: true)));
        Advance(40);
        Assert.Empty(_announcer.Announced);
        Assert.Equal("AddressConflict", Assert.Single(_announcer.Failures).Reason);
    }

    [Fact]
    public async Task Ndp_DadFromAnotherHostForAnAnnouncedIp_IsDefended()
    {
        await DesireAndSettle(Announce(Vip6));
        _announcer.HandleFrame(_eth0, Ndp(SquatterMac, 0, IpAddressBits.SolicitedNodeMulticast(V6(Vip6)),
            new NdpMessage(NdpMessageType.NeighborSolicitation, V6(Vip6))));
        var (_, ip, na) = Assert.Single(_eth0.TakeNdp());
        Assert.Equal(IpAddressBits.AllNodes, ip.Destination);
        Assert.False(na.Solicited);
    }

    [Fact]
    public async Task ProbingDisabled_AnnouncesAtOnce()
    {
        await using var announcer = new Layer2Announcer(new Layer2AnnouncerOptions { ProbeCount = 0 }, NullLogger.Instance, _time, _meters, _provider);
        await announcer.SetDesiredAsync([Announce(Vip4, "eth0")], CancellationToken.None);
        Assert.Equal([Vip4], announcer.Announced);
        Assert.All(_eth0.TakeArp(), a => Assert.True(a.IsGratuitous));
    }

    [Fact]
    public async Task GarbageFrames_AreIgnored()
    {
        await DesireAndSettle(Announce(Vip4), Announce(Vip6));
        var random = new Random(3001);
        for (var i = 0; i < 2000; i++)
        {
            var frame = new byte[random.Next(0, 100)];
            random.NextBytes(frame);
            if (frame.Length > 13 && random.Next(2) == 0) { frame[12] = 0x08; frame[13] = 0x06; }
            _announcer.HandleFrame(_eth0, frame);
        }
        Assert.Empty(_announcer.Failures);
    }
}
