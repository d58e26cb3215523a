using System.Net;
using System.Net.Sockets;
using LoadBalancer.Proto.Bgp;
using LoadBalancer.Speaker.Announcing;

namespace LoadBalancer.Integration.Tests.Bgp;

[CollectionDefinition("bgp-faults")]
public sealed class BgpFaultCollection : ICollectionFixture<BirdLab>;

/// <summary>Failures against a real BIRD: a silent peer, a restarting peer, a peer sending garbage, a restarting speaker.</summary>
[Collection("bgp-faults")]
public sealed class BgpFaultTests(BirdLab lab)
{
    private async Task SignalBirdAsync(string signal)
        => await LoadBalancer.TestKit.Net.ProcessRunner.CheckAsync("kill", signal, lab.Daemon.Id.ToString(System.Globalization.CultureInfo.InvariantCulture));

    [Fact]
    public async Task SilentPeer_OurHoldTimerDropsTheSession_ThenItReconnects()
    {
        await using var speaker = lab.CreateAnnouncer(lab.Node1, "2001:db8::11");
        var history = new List<BgpSessionStatus>();
        speaker.SessionChanged += s => { lock (history) history.Add(s); };
        // Hold time 3 s (BIRD offers 9; the smaller wins).
        await speaker.SetPeersAsync([BgpLab.Peer("v4", "192.0.2.1", BgpLab.NodeAsn, holdSeconds: 3)], default);
        await speaker.SetDesiredAsync([BgpLab.Route("v4", "203.0.113.30/32")], default);
        await BgpLab.WaitEstablishedAsync(speaker, "v4", 20);
        await SignalBirdAsync("-STOP");
        try
        {
            await BgpLab.WaitAsync(() => Task.FromResult(speaker.Sessions.Single().State != "Established"), "our hold timer to expire", 8);
            lock (history) Assert.Contains(history, h => h.LastError?.Contains("hold timer expired", StringComparison.Ordinal) == true);
        }
        finally
        {
            await SignalBirdAsync("-CONT");
        }
        await BgpLab.WaitEstablishedAsync(speaker, "v4", 30);
        await lab.WaitRouteAsync("203.0.113.30/32", lab.Expect("192.0.2.11", null, null, null), 20);
        await speaker.ShutdownAsync("test done", default);
    }

    [Fact]
    public async Task PeerRestarts_WeReconnectWithBackoff_AndResendOurRoutes()
    {
        await using var speaker = lab.CreateAnnouncer(lab.Node1, "2001:db8::11");
        var history = new List<BgpSessionStatus>();
        speaker.SessionChanged += s => { lock (history) history.Add(s); };
        await speaker.SetPeersAsync([BgpLab.Peer("v4", "192.0.2.1", BgpLab.NodeAsn)], default);
        await speaker.SetDesiredAsync([BgpLab.Route("v4", "203.0.113.31/32")], default);
        await BgpLab.WaitEstablishedAsync(speaker, "v4", 20);
        await lab.WaitRouteAsync("203.0.113.31/32", lab.Expect("192.0.2.11", null, null, null));
        await SignalBirdAsync("-KILL");
        await BgpLab.WaitAsync(() => Task.FromResult(speaker.Sessions.Single().State != "Established"), "the session to drop", 15);
        await Task.Delay(1500); // a few failed reconnects while the router is away
        lab.Start();
        await BgpLab.WaitEstablishedAsync(speaker, "v4", 30);
        await lab.WaitRouteAsync("203.0.113.31/32", lab.Expect("192.0.2.11", null, null, null), 20);
        lock (history) Assert.True(history.Count(h => h.State != "Established") >= 2, string.Join("\n", history));
        await speaker.ShutdownAsync("test done", default);
    }

    [Fact]
    public async Task PeerSendsGarbage_WeSendTheRightNotification_OtherSessionsUnaffected()
    {
        using var listener = await lab.Router.RunInsideAsync(() =>
        {
            var l = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            l.Bind(new IPEndPoint(IPAddress.Parse("192.0.2.1"), 1179));
            l.Listen();
            return l;
        });
        await using var speaker = lab.CreateAnnouncer(lab.Node1, "2001:db8::11");
        var goodHistory = new List<string>();
        speaker.SessionChanged += s => { if (s.Peer == "v4") lock (goodHistory) goodHistory.Add(s.State); };
        await speaker.SetPeersAsync([BgpLab.Peer("v4", "192.0.2.1", BgpLab.NodeAsn)], default);
        await speaker.SetDesiredAsync([BgpLab.Route("v4", "203.0.113.32/32"), BgpLab.Route("junk", "203.0.113.32/32")], default);
        await BgpLab.WaitEstablishedAsync(speaker, "v4", 20);
        await lab.WaitRouteAsync("203.0.113.32/32", lab.Expect("192.0.2.11", null, null, null));
        lock (goodHistory) goodHistory.Clear();

        await speaker.SetPeersAsync([BgpLab.Peer("v4", "192.0.2.1", BgpLab.NodeAsn), BgpLab.Peer("junk", "192.0.2.1", BgpLab.NodeAsn) with { PeerPort = 1179 }], default);
        using var junk = await listener.AcceptAsync().WaitAsync(TimeSpan.FromSeconds(10));
        var buffer = new byte[4096];
        var got = 0;
        while (got < 19) got += await junk.ReceiveAsync(buffer.AsMemory(got), SocketFlags.None).AsTask().WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal((byte)BgpMessageType.Open, buffer[18]);
        // An OPEN with BGP version 3: the answer must be OPEN Message Error / Unsupported Version Number, data = 4.
        byte[] open = [.. Enumerable.Repeat((byte)0xFF, 16), 0, 29, 1, 3, 0xFC, 0x00, 0, 9, 192, 0, 2, 1, 0];
        await junk.SendAsync(open, SocketFlags.None);
        var reply = new List<byte>();
        using (var cts = new CancellationTokenSource(TimeSpan.FromSeconds(10)))
        {
            while (true)
            {
                var n = await junk.ReceiveAsync(buffer, SocketFlags.None, cts.Token);
                if (n == 0) break;
                reply.AddRange(buffer.AsSpan(0, n).ToArray());
            }
        }
        var notification = FindNotification([.. reply]);
        Assert.Equal(BgpNotification.Open(BgpOpenSubcode.UnsupportedVersionNumber, [0, 4]), notification);

        // The good session never moved and the route is still there.
        Assert.Equal("Established", speaker.Sessions.Single(s => s.Peer == "v4").State);
        lock (goodHistory) Assert.Empty(goodHistory);
        await lab.WaitRouteAsync("203.0.113.32/32", lab.Expect("192.0.2.11", null, null, null));
        await speaker.ShutdownAsync("test done", default);
    }

    private static BgpNotification? FindNotification(byte[] stream)
    {
        var span = stream.AsSpan();
        while (BgpFraming.TryReadMessage(span, 4096, out var type, out var length, out _) == System.Buffers.OperationStatus.Done)
        {
            if (type == BgpMessageType.Notification && BgpNotification.TryDecode(span[19..length], out var n)) return n;
            span = span[length..];
        }
        return null;
    }

    [Fact]
    public async Task SpeakerRestartsWithGracefulRestart_TheRouterKeepsForwardingThroughout()
    {
        const string prefix = "203.0.113.60/32";
        var first = lab.CreateAnnouncer(lab.Node1, "2001:db8::11");
        await first.SetPeersAsync([BgpLab.Peer("v4", "192.0.2.1", BgpLab.NodeAsn, gracefulRestart: true)], default);
        await first.SetDesiredAsync([BgpLab.Route("v4", prefix)], default);
        await BgpLab.WaitEstablishedAsync(first, "v4", 20);
        await BgpLab.WaitAsync(async () => (await lab.KernelRouteAsync(prefix)).Contains("192.0.2.11", StringComparison.Ordinal), "the kernel route", 15);

        using var stop = new CancellationTokenSource();
        var checks = 0;
        var misses = new List<string>();
        var watcher = Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                var route = await lab.KernelRouteAsync(prefix);
                checks++;
                if (!route.Contains("192.0.2.11", StringComparison.Ordinal)) misses.Add(DateTime.UtcNow.ToString("O"));
                await Task.Delay(20);
            }
        });
        // The speaker goes away without a NOTIFICATION (a crash or a restart) and comes back.
        await first.DisposeAsync();
        await Task.Delay(1000);
        await using var second = lab.CreateAnnouncer(lab.Node1, "2001:db8::11");
        await second.SetPeersAsync([BgpLab.Peer("v4", "192.0.2.1", BgpLab.NodeAsn, gracefulRestart: true)], default);
        await second.SetDesiredAsync([BgpLab.Route("v4", prefix)], default);
        await BgpLab.WaitEstablishedAsync(second, "v4", 20);
        await Task.Delay(1000); // End-of-RIB processed, stale routes flushed: ours must stay
        await stop.CancelAsync();
        await watcher;
        Assert.True(checks >= 5, $"only {checks} checks"); // each `ip route` through `ip netns exec` takes 100-300 ms here
        Assert.Empty(misses);
        var bird = await lab.ShowRouteAsync(prefix);
        Assert.DoesNotContain("stale", bird, StringComparison.OrdinalIgnoreCase);
        await second.ShutdownAsync("test done", default);
        await lab.WaitNoRouteAsync(prefix);
    }
}
