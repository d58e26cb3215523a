using System.Net;
using LoadBalancer.Speaker.Announcing;
using LoadBalancer.Speaker.Bgp;
using LoadBalancer.TestKit.Net;
using Microsoft.Extensions.Logging;

namespace LoadBalancer.Integration.Tests.Bgp;

/// <summary>
/// BIRD 2 as a router that dials the nodes (no <c>passive on</c>): towards n1 (192.0.2.11) for a passive speaker,
/// towards n2 (192.0.2.12, hold time 30 s) for connection collisions with an active speaker.
/// </summary>
public sealed class BirdDialingLab : BgpLab
{
    public string Socket => Path.Combine(Dir, "bird.ctl");

    protected override async Task StartDaemonAsync()
    {
        ProcessRunner.Require("bird");
        ProcessRunner.Require("birdc");
        ProcessRunner.Require("nft");
        var file = Path.Combine(Dir, "bird.conf");
        await File.WriteAllTextAsync(file, $$"""
            router id 192.0.2.1;
            protocol device { }
            template bgp dialer { local as {{RouterAsn}}; connect delay time 1; connect retry time 1; error wait time 1, 2; }
            protocol bgp n1 from dialer { local 192.0.2.1; neighbor 192.0.2.11 as {{NodeAsn}}; hold time 9; keepalive time 3; ipv4 { import all; export none; }; }
            protocol bgp n2 from dialer { local 192.0.2.1; neighbor 192.0.2.12 as {{NodeAsn}}; hold time 30; ipv4 { import all; export none; }; }
            """);
        (await ProcessRunner.RunAsync("bird", ["-p", "-c", file], TimeSpan.FromSeconds(10))).EnsureSuccess();
        Router.Spawn("bird", ["-f", "-c", file, "-s", Socket], Path.Combine(Dir, "bird.log"));
        await WaitAsync(async () => (await Router.ExecAsync("birdc", "-s", Socket, "show", "status")).ExitCode == 0, "bird control socket", 10);
    }

    public override async Task<string> ShowRouteAsync(string prefix)
    {
        var r = await Router.ExecAsync("birdc", "-s", Socket, "show", "route", "for", prefix, "all");
        return r.StandardOutput.Contains("Network not found", StringComparison.Ordinal) ? "" : r.StandardOutput;
    }

    public override IEnumerable<string> Expect(string nextHop, string? community, string? large, uint? localPref)
    {
        yield return $"BGP.next_hop: {nextHop}";
    }

    public async Task<string> ProtocolAsync(string name) => await Router.CheckAsync("birdc", "-s", Socket, "show", "protocols", name);

    /// <summary>Drops packets matching <paramref name="match"/> on input in <paramref name="ns"/> until the returned handle is disposed.</summary>
    public static async Task<IAsyncDisposable> DropAsync(NetNamespace ns, string table, string match)
    {
        await ns.CheckAsync("nft", "add", "table", "ip", table);
        await ns.CheckAsync("nft", "add", "chain", "ip", table, "input", "{ type filter hook input priority 0; }");
        await ns.CheckAsync(["nft", "add", "rule", "ip", table, "input", .. match.Split(' '), "drop"]);
        return new Undo(() => ns.ExecAsync("nft", "delete", "table", "ip", table));
    }

    private sealed class Undo(Func<Task> undo) : IAsyncDisposable
    {
        private int _done;

        public async ValueTask DisposeAsync()
        {
            if (Interlocked.Exchange(ref _done, 1) == 0) await undo();
        }
    }
}

[CollectionDefinition("bgp-bird-dialing")]
public sealed class BirdDialingCollection : ICollectionFixture<BirdDialingLab>;

/// <summary>
/// Passive sessions and connection collisions (RFC 4271 §6.8) against a BIRD that dials: the speaker takes a
/// connection the router opens, and when both sides dial at once exactly one connection survives (the one opened by
/// the side with the higher BGP Identifier; the other gets Cease 6/7), the session does not flap and routes arrive.
/// The collision is made certain with nftables in the namespaces: first BIRD's dial to us is held back until our own
/// dial is in OpenConfirm, and our messages on our dial are held back until BIRD's dial has reached us.
/// </summary>
[Collection("bgp-bird-dialing")]
[Trait("Category", "Privileged")]
public sealed class BgpPassiveInteropTests(BirdDialingLab lab)
{
    [Fact]
    public async Task PassiveSpeaker_TheRouterDialsUs_SessionEstablishesAndRoutesArrive()
    {
        var log = new RecordingLogger();
        await using var speaker = lab.CreateAnnouncer(lab.Node1, "2001:db8::11", log);
        await speaker.SetPeersAsync([BgpLab.Peer("r", "192.0.2.1", BgpLab.NodeAsn) with { Passive = true }], default);
        await speaker.SetDesiredAsync([BgpLab.Route("r", "203.0.113.60/32")], default);
        await BgpLab.WaitEstablishedAsync(speaker, "r", 20);
        await lab.WaitRouteAsync("203.0.113.60/32", lab.Expect("192.0.2.11", null, null, null));
        Assert.DoesNotContain(log.Events, e => e == "BgpConnecting"); // we never dialled
        Assert.Contains(log.Events, e => e == "BgpAccepted");
        await speaker.ShutdownAsync("test done", default);
        await lab.WaitNoRouteAsync("203.0.113.60/32");
    }

    [Theory]
    [InlineData("192.0.2.12", "we opened")]          // our identifier is higher than BIRD's 192.0.2.1: our dial survives
    [InlineData("192.0.1.1", "the peer opened")]     // lower: BIRD's dial survives
    public async Task BothSidesDial_ExactlyOneConnectionSurvives_NoFlap_RoutesArrive(string routerId, string kept)
    {
        var log = new RecordingLogger();
        await using var speaker = lab.CreateAnnouncer(lab.Node2, "2001:db8::12", log);
        // Hold BIRD's dial to us (its SYNs) and everything we send on our own dial to BIRD (data segments only).
        await using var holdBirdsDial = await BirdDialingLab.DropAsync(lab.Node2, "hold_bird_dial", "ip saddr 192.0.2.1 tcp dport 179 tcp flags & (syn | ack) == syn");
        await using var holdOurOpen = await BirdDialingLab.DropAsync(lab.Router, "hold_our_open", "ip saddr 192.0.2.12 tcp dport 179 ip length > 80");
        await speaker.SetPeersAsync([BgpLab.Peer("r", "192.0.2.1", BgpLab.NodeAsn, holdSeconds: 30) with { RouterId = IPAddress.Parse(routerId) }], default);
        await speaker.SetDesiredAsync([BgpLab.Route("r", "203.0.113.61/32")], default);

        // Our dial got BIRD's OPEN (OpenConfirm); BIRD has not seen ours. Now let BIRD's dial through: the collision.
        await BgpLab.WaitAsync(() => Task.FromResult(speaker.Sessions.Single().State == "OpenConfirm"), () => $"our dial in OpenConfirm (now {speaker.Sessions.Single()})", 20);
        await holdBirdsDial.DisposeAsync();
        await BgpLab.WaitAsync(() => Task.FromResult(log.Messages.Any(m => m.Contains("connection collision", StringComparison.Ordinal))),
            () => "a connection collision; log:\n" + string.Join("\n", log.Messages), 20);
        Assert.Contains(log.Messages, m => m.Contains("connection collision", StringComparison.Ordinal) && m.Contains("keeping the connection " + kept, StringComparison.Ordinal));
        await holdOurOpen.DisposeAsync();

        await BgpLab.WaitEstablishedAsync(speaker, "r", 20);
        await lab.WaitRouteAsync("203.0.113.61/32", lab.Expect("192.0.2.12", null, null, null));
        var since = speaker.Sessions.Single().EstablishedSince;
        // No flapping: for a few keepalive rounds the session stays up on both sides, on one connection.
        var until = DateTime.UtcNow.AddSeconds(4);
        while (DateTime.UtcNow < until)
        {
            Assert.Equal("Established", speaker.Sessions.Single().State);
            Assert.Equal(since, speaker.Sessions.Single().EstablishedSince);
            Assert.Contains("Established", await lab.ProtocolAsync("n2"), StringComparison.Ordinal);
            await Task.Delay(250);
        }
        var connections = await lab.Node2.CheckAsync("ss", "-Htn", "state", "established", "( sport = :179 or dport = :179 )");
        Assert.Single(connections.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.Single(log.Events, e => e == "BgpSessionEstablished");
        await speaker.ShutdownAsync("test done", default);
        await lab.WaitNoRouteAsync("203.0.113.61/32");
    }

    /// <summary>Keeps event names and messages of the announcer's log.</summary>
    private sealed class RecordingLogger : ILogger<BgpAnnouncer>
    {
        private readonly List<(string Event, string Message)> _entries = [];

        public IReadOnlyList<string> Events { get { lock (_entries) return [.. _entries.Select(e => e.Event)]; } }

        public IReadOnlyList<string> Messages { get { lock (_entries) return [.. _entries.Select(e => e.Message)]; } }

        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            lock (_entries) _entries.Add((eventId.Name ?? "", formatter(state, exception)));
        }
    }
}
