using System.Collections.Immutable;
using System.Diagnostics.Metrics;
using System.Net;
using LoadBalancer.Proto.Bgp;
using LoadBalancer.Speaker.Announcing;
using LoadBalancer.Speaker.Bgp;
using LoadBalancer.TestKit.Time;
using Microsoft.Extensions.Logging.Abstractions;

namespace LoadBalancer.Speaker.Tests.Bgp;

/// <summary>BgpAnnouncer against a scripted peer on loopback: Adj-RIB-Out, timers, errors and shutdown.</summary>
public sealed class BgpAnnouncerTests
{
    private static BgpPeerSpec Peer(FakeBgpPeer fake, uint myAsn = 64513, string name = "router", string? password = null) => new(
        name, IPAddress.Loopback, fake.Port, myAsn, fake.Asn, null, IPAddress.Parse("192.0.2.11"), TimeSpan.FromSeconds(90), null,
        TimeSpan.FromSeconds(2), password, EbgpMultiHop: true, EnableGracefulRestart: true);

    private static BgpRoute Route(string prefix, string peer = "router", uint? localPref = null, params uint[] communities)
        => new(peer, IPNetwork.Parse(prefix), [.. communities], [(64513u, 1u, 2u)], localPref);

    private static BgpAnnouncer Create(TimeProvider time, Meter? meter = null) => new(NullLogger<BgpAnnouncer>.Instance, time,
        meter ?? new Meter("test"), new BgpAnnouncerOptions { ListenPort = 0, NextHopIPv6 = IPAddress.Parse("2001:db8::11"), ReconnectBackoffMin = TimeSpan.FromMilliseconds(50), ReconnectBackoffMax = TimeSpan.FromMilliseconds(200), JitterSeed = 1 });

    private static async Task WaitForAsync(Func<bool> condition, string what, int seconds = 10)
    {
        var deadline = DateTime.UtcNow.AddSeconds(seconds);
        while (!condition())
        {
            if (DateTime.UtcNow > deadline) Assert.Fail($"timed out waiting for {what}");
            await Task.Delay(10);
        }
    }

    [Fact]
    public async Task Establishes_SendsPackedRoutesThenEndOfRib_ThenOnlyTheDifference()
    {
        await using var fake = new FakeBgpPeer();
        await using var announcer = Create(TimeProvider.System);
        var published = new System.Collections.Concurrent.ConcurrentQueue<BgpSessionStatus>();
        announcer.SessionChanged += published.Enqueue;
        await announcer.SetDesiredAsync([Route("203.0.113.10/32", communities: 100), Route("203.0.113.11/32", communities: 100),
            Route("203.0.113.12/32", communities: 200), Route("2001:db8:100::10/128", communities: 100)], default);
        await announcer.SetPeersAsync([Peer(fake)], default);

        var (_, openBytes) = await fake.NextAsync((t, _) => t == BgpMessageType.Open);
        Assert.True(BgpOpen.TryDecode(openBytes.AsSpan(19), out var open, out _));
        Assert.Equal(64513u, open!.Asn);
        Assert.NotNull(open.Find<GracefulRestartCapability>());
        Assert.Equal(0xC000020Bu, open.BgpIdentifier);

        var updates = new List<BgpUpdate>();
        while (updates.Count(u => u.IsEndOfRib(out _, out _)) < 2) updates.Add(await fake.NextUpdateAsync());
        var routes = updates.Where(u => !u.IsEndOfRib(out _, out _)).ToList();
        // Two attribute sets for IPv4 (community 100 with two prefixes, 200 with one) and one IPv6 group: three UPDATEs.
        Assert.Equal(3, routes.Count);
        var shared = routes.Single(u => u.Nlri.Length == 2);
        Assert.Equal(IPAddress.Loopback, shared.Attributes.NextHop);
        Assert.Equal(new uint[] { 64513 }, shared.Attributes.SequenceAsns.ToArray());
        Assert.Null(shared.Attributes.LocalPref); // eBGP
        Assert.Equal(new[] { new LargeCommunity(64513, 1, 2) }, shared.Attributes.LargeCommunities.ToArray());
        var v6 = routes.Single(u => u.Attributes.MpReach is not null);
        Assert.Equal(IPAddress.Parse("2001:db8::11"), v6.Attributes.MpReach!.NextHop);
        await WaitForAsync(() => announcer.Sessions.Single().PrefixesAdvertised == 4, "4 prefixes advertised");
        Assert.Equal("Established", announcer.Sessions.Single().State);
        // What BGPSession status shows (`kubectl get bgpsessions` PREFIXES) is published, not only kept inside.
        await WaitForAsync(() => published.Any(p => p.State == "Established" && p.PrefixesAdvertised == 4), "4 prefixes published");

        // Withdraw one, change another's community, keep the rest: exactly one withdrawal and one announcement.
        await announcer.SetDesiredAsync([Route("203.0.113.10/32", communities: 100), Route("203.0.113.12/32", communities: 300),
            Route("2001:db8:100::10/128", communities: 100)], default);
        var w = await fake.NextUpdateAsync();
        Assert.Equal(new[] { IPNetwork.Parse("203.0.113.11/32") }, w.Withdrawn.ToArray());
        var a = await fake.NextUpdateAsync();
        Assert.Equal(new[] { IPNetwork.Parse("203.0.113.12/32") }, a.Nlri.ToArray());
        Assert.Equal(new[] { 300u }, a.Attributes.Communities.ToArray());
        // A change while Established is published too: the BGPSession status follows the prefix count.
        await WaitForAsync(() => published.Any(p => p is { State: "Established", PrefixesAdvertised: 3 }), "3 prefixes published after the change");
        // ... by the same session, not by a reconnect that happened to publish the new count.
        var sinceUp = published.SkipWhile(p => p is not { State: "Established", PrefixesAdvertised: 4 }).TakeWhile(p => p.PrefixesAdvertised != 3).ToList();
        Assert.NotEmpty(sinceUp);
        Assert.All(sinceUp, p => Assert.Equal("Established", p.State));
    }

    [Fact]
    public async Task Ibgp_SendsLocalPreferenceAndEmptyAsPath()
    {
        await using var fake = new FakeBgpPeer(asn: 64513);
        await using var announcer = Create(TimeProvider.System);
        await announcer.SetDesiredAsync([Route("203.0.113.10/32", localPref: 250)], default);
        await announcer.SetPeersAsync([Peer(fake) with { EbgpMultiHop = false }], default);
        var u = await fake.NextUpdateAsync();
        Assert.Equal(250u, u.Attributes.LocalPref);
        Assert.Empty(u.Attributes.AsPath!.Value);
    }

    [Fact]
    public async Task Shutdown_SendsCeaseWithTheMessage()
    {
        await using var fake = new FakeBgpPeer();
        var announcer = Create(TimeProvider.System);
        await announcer.SetPeersAsync([Peer(fake)], default);
        await WaitForAsync(() => announcer.Sessions.Single().State == "Established", "Established");
        await announcer.ShutdownAsync("node drained", default).AsTask().WaitAsync(TimeSpan.FromSeconds(10));
        var (_, m) = await fake.NextAsync((t, _) => t == BgpMessageType.Notification);
        Assert.True(BgpNotification.TryDecode(m.AsSpan(19), out var n));
        Assert.Equal(BgpErrorCode.Cease, n.Code);
        Assert.Equal((byte)BgpCeaseSubcode.AdministrativeShutdown, n.Subcode);
        Assert.True(n.TryGetShutdownCommunication(out var text));
        Assert.Equal("node drained", text);
        await announcer.DisposeAsync();
    }

    [Fact]
    public async Task Garbage_IsAnsweredWithTheRightNotification_AndTheSessionComesBack()
    {
        await using var fake = new FakeBgpPeer();
        await using var announcer = Create(TimeProvider.System);
        var changes = new List<BgpSessionStatus>();
        announcer.SessionChanged += s => { lock (changes) changes.Add(s); };
        await announcer.SetPeersAsync([Peer(fake)], default);
        await WaitForAsync(() => announcer.Sessions.Single().State == "Established", "Established");
        var garbage = BgpFraming.Keepalive();
        garbage[0] = 0x00; // broken marker
        await fake.SendAsync(garbage);
        var (_, m) = await fake.NextAsync((t, _) => t == BgpMessageType.Notification);
        Assert.Equal(new byte[] { 1, 1 }, m.AsSpan(19, 2).ToArray()); // Message Header Error / Connection Not Synchronized
        await WaitForAsync(() => fake.Connections >= 2 && announcer.Sessions.Single().State == "Established", "reconnect");
        lock (changes)
        {
            Assert.Contains(changes, c => c.State == "Idle" && c.LastError!.Contains("ConnectionNotSynchronized", StringComparison.Ordinal));
            Assert.Equal("Established", changes[^1].State);
        }
    }

    [Fact]
    public async Task MalformedUpdate_IsTreatAsWithdraw_SessionStaysUp_AndPeerRoutesAreIgnored()
    {
        await using var fake = new FakeBgpPeer();
        await using var announcer = Create(TimeProvider.System);
        await announcer.SetPeersAsync([Peer(fake)], default);
        await WaitForAsync(() => announcer.Sessions.Single().State == "Established", "Established");
        // Our own route echoed back (FRR does this) and one with a broken ORIGIN: both are dropped, nothing resets.
        var echo = new BgpUpdate([], new BgpPathAttributes { Origin = BgpOrigin.Igp, AsPath = [new AsPathSegment(AsPathSegmentType.AsSequence, [64512, 64513])], NextHop = IPAddress.Loopback }, [IPNetwork.Parse("203.0.113.10/32")]);
        await fake.SendAsync(echo.ToArray(BgpDecodeContext.Modern));
        var broken = echo.ToArray(BgpDecodeContext.Modern);
        broken[26] = 7; // ORIGIN value 7
        await fake.SendAsync(broken);
        await fake.SendAsync(BgpFraming.Keepalive());
        await Task.Delay(300);
        Assert.Equal("Established", announcer.Sessions.Single().State);
        Assert.Equal(1, fake.Connections);
    }

    [Fact]
    public async Task SilentPeer_HoldTimerExpires_NotificationThenReconnect()
    {
        var time = new ManualTimeProvider(DateTimeOffset.UtcNow);
        await using var fake = new FakeBgpPeer(holdTime: 9);
        await using var announcer = Create(time);
        await announcer.SetPeersAsync([Peer(fake)], default);
        await WaitForAsync(() => announcer.Sessions.Single().State == "Established", "Established");
        // The peer sends nothing more. 8 s: still up (our keepalives go out); 9 s: Hold Timer Expired.
        time.Advance(TimeSpan.FromSeconds(8));
        await fake.NextAsync((t, _) => t == BgpMessageType.Keepalive);
        Assert.Equal("Established", announcer.Sessions.Single().State);
        time.Advance(TimeSpan.FromSeconds(1.5));
        var (_, m) = await fake.NextAsync((t, _) => t == BgpMessageType.Notification);
        Assert.Equal(new byte[] { 4, 0 }, m.AsSpan(19, 2).ToArray());
        await WaitForAsync(() => announcer.Sessions.Single().State != "Established", "down");
        Assert.Contains("hold timer expired", announcer.Sessions.Single().LastError, StringComparison.Ordinal);
        // The backoff timer (50-200 ms, manual clock) restarts the session.
        for (var i = 0; i < 50 && fake.Connections < 2; i++)
        {
            time.Advance(TimeSpan.FromMilliseconds(100));
            await Task.Delay(20);
        }
        await WaitForAsync(() => fake.Connections >= 2 && announcer.Sessions.Single().State == "Established", "re-established");
    }

    [Fact]
    public async Task Metrics_ReportSessionUpUpdatesAndPrefixes()
    {
        using var meter = new Meter("bgp-metrics-test");
        var seen = new Dictionary<string, long>();
        using var listener = new MeterListener();
        listener.InstrumentPublished = (i, l) => { if (i.Meter == meter) l.EnableMeasurementEvents(i); };
        listener.SetMeasurementEventCallback<int>((i, v, _, _) => { lock (seen) seen[i.Name] = v; });
        listener.SetMeasurementEventCallback<long>((i, v, _, _) => { lock (seen) seen[i.Name] = seen.GetValueOrDefault(i.Name) + v; });
        listener.Start();
        await using var fake = new FakeBgpPeer();
        await using var announcer = Create(TimeProvider.System, meter);
        await announcer.SetDesiredAsync([Route("203.0.113.10/32"), Route("203.0.113.11/32")], default);
        await announcer.SetPeersAsync([Peer(fake)], default);
        await WaitForAsync(() => announcer.Sessions.Single().PrefixesAdvertised == 2, "advertised");
        listener.RecordObservableInstruments();
        lock (seen)
        {
            Assert.Equal(1, seen["loadbalancer.bgp.session_up"]);
            Assert.Equal(2, seen["loadbalancer.bgp.announced_prefixes_total"]);
            Assert.True(seen["loadbalancer.bgp.updates_total"] >= 2); // one UPDATE + End-of-RIB markers
        }
    }

    [Fact]
    public async Task PeerChanges_RestartOnlyThatSession_AndInvalidPeersAreRejectedByName()
    {
        await using var fake = new FakeBgpPeer();
        await using var announcer = Create(TimeProvider.System);
        var bad = Peer(fake, name: "bad") with { HoldTime = TimeSpan.FromSeconds(2) };
        await announcer.SetPeersAsync([Peer(fake), bad], default);
        Assert.Single(announcer.Sessions);
        Assert.Contains("holdTime", BgpAnnouncer.Validate(bad), StringComparison.Ordinal);
        await WaitForAsync(() => announcer.Sessions.Single().State == "Established", "Established");
        await announcer.SetPeersAsync([Peer(fake) with { HoldTime = TimeSpan.FromSeconds(30) }], default);
        var (_, m) = await fake.NextAsync((t, _) => t == BgpMessageType.Notification);
        Assert.Equal(new byte[] { 6, (byte)BgpCeaseSubcode.OtherConfigurationChange }, m.AsSpan(19, 2).ToArray());
        await WaitForAsync(() => fake.Connections == 2 && announcer.Sessions.Single().State == "Established", "new session");
        await announcer.SetPeersAsync([], default);
        var (_, gone) = await fake.NextAsync((t, _) => t == BgpMessageType.Notification);
        Assert.Equal(new byte[] { 6, (byte)BgpCeaseSubcode.PeerDeconfigured }, gone.AsSpan(19, 2).ToArray());
        Assert.Empty(announcer.Sessions);
        _ = ImmutableArray<int>.Empty;
    }
}
