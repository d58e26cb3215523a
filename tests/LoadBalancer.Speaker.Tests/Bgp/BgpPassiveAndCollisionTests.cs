using System.Diagnostics.Metrics;
using System.Net;
using System.Net.Sockets;
using LoadBalancer.Proto.Bgp;
using LoadBalancer.Speaker.Announcing;
using LoadBalancer.Speaker.Bgp;
using Microsoft.Extensions.Logging.Abstractions;

namespace LoadBalancer.Speaker.Tests.Bgp;

/// <summary>
/// The listener side of the sessions against a scripted peer on loopback: a passive peer that only dials us,
/// RFC 4271 §6.8 collision resolution in both directions (our identifier higher or lower than the peer's), a new
/// connection while Established, and connections from addresses that are not peers.
/// </summary>
public sealed class BgpPassiveAndCollisionTests
{
    private static int FreePort()
    {
        var l = new TcpListener(IPAddress.Any, 0);
        l.Start();
        var port = ((IPEndPoint)l.LocalEndpoint).Port;
        l.Stop();
        return port;
    }

    private static BgpPeerSpec Peer(FakeBgpPeer fake, string routerId, bool passive = false) => new(
        "router", IPAddress.Loopback, fake.Port, 64513, fake.Asn, null, IPAddress.Parse(routerId), TimeSpan.FromSeconds(90), null,
        TimeSpan.FromSeconds(2), null, EbgpMultiHop: true, EnableGracefulRestart: false, Passive: passive);

    private static BgpAnnouncer Create(int listenPort) => new(NullLogger<BgpAnnouncer>.Instance, TimeProvider.System, new Meter("test"),
        new BgpAnnouncerOptions { ListenPort = listenPort, ReconnectBackoffMin = TimeSpan.FromMilliseconds(50), ReconnectBackoffMax = TimeSpan.FromMilliseconds(200), JitterSeed = 1 });

    private static BgpRoute Route(string prefix) => new("router", IPNetwork.Parse(prefix), [], [], null);

    private static Task WaitForAsync(Func<bool> condition, string what, int seconds = 10) => WaitForAsync(condition, () => what, seconds);

    private static async Task WaitForAsync(Func<bool> condition, Func<string> what, int seconds = 10)
    {
        var deadline = DateTime.UtcNow.AddSeconds(seconds);
        while (!condition())
        {
            if (DateTime.UtcNow > deadline) Assert.Fail($"timed out waiting for {what()}");
            await Task.Delay(10);
        }
    }

    private static void AssertCollisionCease(byte[] notification)
        => Assert.Equal(new byte[] { (byte)BgpErrorCode.Cease, (byte)BgpCeaseSubcode.ConnectionCollisionResolution }, notification.AsSpan(19, 2).ToArray());

    [Fact]
    public async Task PassivePeer_OnlyDialsUs_SessionEstablishesAndRoutesArrive()
    {
        await using var fake = new FakeBgpPeer();
        var port = FreePort();
        await using var announcer = Create(port);
        await announcer.SetDesiredAsync([Route("203.0.113.10/32")], default);
        await announcer.SetPeersAsync([Peer(fake, "192.0.2.11", passive: true)], default);
        await WaitForAsync(() => announcer.Sessions.Single().State == "Active", "the passive session waits in Active");

        var conn = await DialWhenListeningAsync(fake, port);
        await fake.WaitOnAsync(conn, BgpMessageType.Open);
        await WaitForAsync(() => announcer.Sessions.Single().State == "Established", () => "Established: " + string.Join(",", fake.Log.Select(m => $"{m.Connection}:{m.Type}")) + " " + announcer.Sessions.Single());
        var update = await fake.WaitOnAsync(conn, BgpMessageType.Update);
        Assert.Equal(BgpUpdateStatus.Ok, BgpUpdate.TryDecode(update.AsSpan(19), BgpDecodeContext.Modern with { ExtendedMessages = true }, out var u, out _));
        Assert.Equal(new[] { IPNetwork.Parse("203.0.113.10/32") }, u.Nlri.ToArray());
        Assert.Equal(0, fake.AcceptedConnections); // we never dialled
    }

    [Fact]
    public async Task Collision_OurIdentifierHigher_OurConnectionSurvives_TheNewOneGetsCease67()
    {
        await using var fake = new FakeBgpPeer(respond: false);
        var port = FreePort();
        await using var announcer = Create(port);
        var states = new List<string>();
        announcer.SessionChanged += s => { lock (states) states.Add(s.State); };
        await announcer.SetDesiredAsync([Route("203.0.113.10/32")], default);
        await announcer.SetPeersAsync([Peer(fake, "192.0.2.11")], default); // 192.0.2.11 > the peer's 192.0.2.1

        await fake.WaitOnAsync(0, BgpMessageType.Open); // our dial, in OpenSent: the peer does not answer yet
        var theirs = await DialWhenListeningAsync(fake, port);
        AssertCollisionCease(await fake.WaitOnAsync(theirs, BgpMessageType.Notification));

        await fake.SendOpenOnAsync(0);
        await WaitForAsync(() => announcer.Sessions.Single().State == "Established", "Established on our connection");
        await fake.WaitOnAsync(0, BgpMessageType.Update);

        // A further connection while Established is closed the same way (RFC 4271 §6.8) and the session stays up.
        var late = await fake.DialAsync(port);
        AssertCollisionCease(await fake.WaitOnAsync(late, BgpMessageType.Notification));
        Assert.Equal("Established", announcer.Sessions.Single().State);
        Assert.DoesNotContain(fake.Log, m => m.Connection == 0 && m.Type == BgpMessageType.Notification);
        lock (states) Assert.Single(states, s => s == "Established");
    }

    [Fact]
    public async Task Collision_PeerIdentifierHigher_ThePeersConnectionSurvives_OursGetsCease67()
    {
        await using var fake = new FakeBgpPeer(respond: false);
        var port = FreePort();
        await using var announcer = Create(port);
        var states = new List<string>();
        announcer.SessionChanged += s => { lock (states) states.Add(s.State); };
        await announcer.SetDesiredAsync([Route("203.0.113.10/32")], default);
        await announcer.SetPeersAsync([Peer(fake, "192.0.1.1")], default); // 192.0.1.1 < the peer's 192.0.2.1

        await fake.WaitOnAsync(0, BgpMessageType.Open);
        var theirs = await DialWhenListeningAsync(fake, port);
        AssertCollisionCease(await fake.WaitOnAsync(0, BgpMessageType.Notification));
        await WaitForAsync(() => announcer.Sessions.Single().State == "Established", "Established on the peer's connection");
        var update = await fake.WaitOnAsync(theirs, BgpMessageType.Update);
        Assert.Equal(BgpUpdateStatus.Ok, BgpUpdate.TryDecode(update.AsSpan(19), BgpDecodeContext.Modern with { ExtendedMessages = true }, out var u, out _));
        Assert.Equal(new[] { IPNetwork.Parse("203.0.113.10/32") }, u.Nlri.ToArray());
        Assert.DoesNotContain(fake.Log, m => m.Connection == theirs && m.Type == BgpMessageType.Notification);
        lock (states) Assert.Single(states, s => s == "Established");
        Assert.Equal(1, fake.AcceptedConnections); // no redial after our connection was closed
    }

    [Fact]
    public async Task Listener_ClosesConnectionsFromAddressesThatAreNotPeers()
    {
        await using var fake = new FakeBgpPeer();
        var port = FreePort();
        await using var announcer = Create(port);
        await announcer.SetPeersAsync([Peer(fake, "192.0.2.11", passive: true)], default);
        await WaitForAsync(() => announcer.Sessions.Single().State == "Active", "the passive session waits in Active");
        using var stranger = await ConnectWhenListeningAsync(IPAddress.Parse("127.0.0.2"), port); // the peer is 127.0.0.1
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        var n = await stranger.ReceiveAsync(new byte[64], SocketFlags.None, cts.Token);
        Assert.Equal(0, n); // closed without a word
        Assert.Equal("Active", announcer.Sessions.Single().State);
    }

    [Fact]
    public async Task PassivePeer_WithoutListener_IsRejected()
    {
        await using var fake = new FakeBgpPeer();
        await using var announcer = Create(0);
        await announcer.SetPeersAsync([Peer(fake, "192.0.2.11", passive: true)], default);
        Assert.Empty(announcer.Sessions);
    }

    /// <summary>The listener binds asynchronously after SetPeersAsync: retry the connect for a moment.</summary>
    private static async Task<int> DialWhenListeningAsync(FakeBgpPeer fake, int port)
    {
        for (var i = 0; ; i++)
        {
            try
            {
                return await fake.DialAsync(port);
            }
            catch (SocketException) when (i < 100)
            {
                await Task.Delay(20);
            }
        }
    }

    private static async Task<Socket> ConnectWhenListeningAsync(IPAddress from, int port)
    {
        for (var i = 0; ; i++)
        {
            var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            try
            {
                socket.Bind(new IPEndPoint(from, 0));
                await socket.ConnectAsync(new IPEndPoint(IPAddress.Loopback, port));
                return socket;
            }
            catch (SocketException) when (i < 100)
            {
                socket.Dispose();
                await Task.Delay(20);
            }
        }
    }
}
