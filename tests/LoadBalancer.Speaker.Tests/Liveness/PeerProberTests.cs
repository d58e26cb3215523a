using System.Net;
using LoadBalancer.Speaker.Announcing;
using LoadBalancer.Speaker.Liveness;
using LoadBalancer.Speaker.Tests.Layer2;
using LoadBalancer.TestKit.Time;
using Microsoft.Extensions.Logging.Abstractions;

namespace LoadBalancer.Speaker.Tests.Liveness;

/// <summary>An in-memory UDP "network" between probers; links can be cut per direction.</summary>
internal sealed class ProbeSwitch
{
    private readonly Dictionary<IPAddress, Action<ReadOnlyMemory<byte>, IPEndPoint>> _hosts = [];
    private readonly HashSet<(IPAddress From, IPAddress To)> _cut = [];

    public List<(IPAddress From, IPAddress To, byte[] Bytes)> Log { get; } = [];

    public void Cut(IPAddress from, IPAddress to) => _cut.Add((from, to));

    public void Heal() => _cut.Clear();

    public IProbeTransport Transport(IPAddress address) => new Port(this, address);

    public void Deliver(IPAddress from, IPAddress to, byte[] bytes)
    {
        if (!_cut.Contains((from, to))) Inject(from, to, bytes);
    }

    /// <summary>Delivers whatever the link state (an attacker on the wire).</summary>
    public void Inject(IPAddress from, IPAddress to, byte[] bytes)
    {
        if (_hosts.TryGetValue(to, out var receive)) receive(bytes, new IPEndPoint(from, 7947));
    }

    private sealed class Port(ProbeSwitch network, IPAddress address) : IProbeTransport
    {
        public void Start(Action<ReadOnlyMemory<byte>, IPEndPoint> receive) => network._hosts[address] = receive;

        public void Send(ReadOnlySpan<byte> datagram, IPEndPoint destination)
        {
            var bytes = datagram.ToArray();
            network.Log.Add((address, destination.Address, bytes));
            network.Deliver(address, destination.Address, bytes);
        }

        public ValueTask DisposeAsync()
        {
            network._hosts.Remove(address);
            return ValueTask.CompletedTask;
        }
    }
}

public sealed class PeerProberTests : IAsyncDisposable
{
    private static readonly byte[] Key = "0123456789abcdef0123456789abcdef"u8.ToArray();
    private static readonly IPAddress A = IPAddress.Parse("192.0.2.11");
    private static readonly IPAddress B = IPAddress.Parse("192.0.2.12");
    private static readonly IPAddress C = IPAddress.Parse("192.0.2.13");
    private readonly ManualTimeProvider _time = new();
    private readonly TestMeterFactory _meters = new();
    private readonly ProbeSwitch _network = new();
    private readonly List<PeerProber> _probers = [];

    private PeerProber Prober(string name, IPAddress address, byte[]? key = null)
    {
        var p = new PeerProber(new PeerProberOptions { NodeName = name, Key = key ?? Key }, NullLogger.Instance, _time, _meters, _network.Transport(address));
        _probers.Add(p);
        return p;
    }

    private static SpeakerPeer[] All => [new("a", A), new("b", B), new("c", C)];

    public async ValueTask DisposeAsync()
    {
        foreach (var p in _probers) await p.AbortAsync();
        _meters.Dispose();
    }

    private void Advance(int ms)
    {
        for (var i = 0; i < ms / 10; i++) _time.Advance(TimeSpan.FromMilliseconds(10));
    }

    [Fact]
    public void Peers_HearEachOther_NobodyUnreachable()
    {
        var a = Prober("a", A);
        var b = Prober("b", B);
        a.SetPeers(All[..2]);
        b.SetPeers(All[..2]);
        Advance(5000);
        Assert.Empty(a.Unreachable);
        Assert.Empty(b.Unreachable);
        Assert.Equal(["b"], a.Confirmed);
        Assert.False(a.IsIsolated);
    }

    [Fact]
    public void SilentPeer_IsUnreachable_AfterGracePlusDetection()
    {
        var a = Prober("a", A);
        a.SetPeers(All[..2]); // b never runs
        Advance(1200);
        Assert.Empty(a.Unreachable); // start-up grace 1 s + detection 300 ms
        Advance(200);
        Assert.Equal(["b"], a.Unreachable);
        Assert.True(a.IsIsolated);
    }

    [Fact]
    public void CrashedPeer_IsDetected_WithinDetectionTimePlusOneInterval()
    {
        var a = Prober("a", A);
        var b = Prober("b", B);
        var changes = 0;
        a.Changed += () => changes++;
        a.SetPeers(All[..2]);
        b.SetPeers(All[..2]);
        Advance(2000);
        _network.Cut(B, A);
        _network.Cut(A, B);
        Advance(300);
        Assert.Empty(a.Unreachable);
        Advance(100);
        Assert.Equal(["b"], a.Unreachable);
        Assert.Equal(["a"], b.Unreachable);
        Assert.Equal(1, changes);

        _network.Heal();
        Advance(300);
        Assert.Empty(a.Unreachable);
        Assert.Empty(b.Unreachable);
    }

    [Fact]
    public void OneWayLoss_TakesBothDirectionsDown()
    {
        var a = Prober("a", A);
        var b = Prober("b", B);
        a.SetPeers(All[..2]);
        b.SetPeers(All[..2]);
        Advance(2000);
        _network.Cut(A, B); // b no longer hears a; a still hears b
        Advance(400);
        Assert.Equal(["a"], b.Unreachable);
        Assert.Empty(a.Unreachable);
        Advance(400); // b's probes have said "I do not hear you" for a detection time
        Assert.Equal(["b"], a.Unreachable);
        Assert.Equal(["a"], b.Unreachable);
    }

    [Fact]
    public async Task CleanStop_IsSeenAtOnce_ThroughAdminDown()
    {
        var a = Prober("a", A);
        var b = Prober("b", B);
        a.SetPeers(All[..2]);
        b.SetPeers(All[..2]);
        Advance(2000);
        await b.DisposeAsync();
        Assert.Equal(["b"], a.Unreachable);
    }

    [Fact]
    public void Isolated_WhenNoPeerIsReachable()
    {
        var a = Prober("a", A);
        var b = Prober("b", B);
        var c = Prober("c", C);
        foreach (var p in new[] { a, b, c }) p.SetPeers(All);
        Advance(2000);
        _network.Cut(A, B); _network.Cut(B, A); _network.Cut(A, C); _network.Cut(C, A);
        Advance(500);
        Assert.True(a.IsIsolated);
        Assert.Equal(["a"], b.Unreachable);
        Assert.False(b.IsIsolated);
    }

    [Fact]
    public void WrongKey_Replay_AndStrangers_AreRejected()
    {
        var a = Prober("a", A);
        var b = Prober("b", B, "a different key, 32 bytes long!!"u8.ToArray());
        a.SetPeers(All[..2]);
        b.SetPeers(All[..2]);
        Advance(1500);
        Assert.Equal(["b"], a.Unreachable);
        Assert.Equal(["a"], b.Unreachable);
    }

    [Fact]
    public void ReplayedProbes_DoNotKeepADeadPeerAlive()
    {
        var a = Prober("a", A);
        var b = Prober("b", B);
        a.SetPeers(All[..2]);
        b.SetPeers(All[..2]);
        Advance(2000);
        var recorded = _network.Log.Where(l => l.From.Equals(B)).Select(l => l.Bytes).TakeLast(5).ToList();
        _network.Cut(B, A); // b is gone; an attacker replays its last probes to a every 50 ms
        for (var i = 0; i < 10; i++)
        {
            foreach (var bytes in recorded) _network.Inject(B, A, bytes);
            Advance(50);
        }
        Assert.Equal(["b"], a.Unreachable);
    }

    [Fact]
    public void Rejects_BadOptions()
    {
        Assert.Throws<ArgumentException>(() => new PeerProber(new PeerProberOptions { NodeName = "a", Key = new byte[8] }, NullLogger.Instance, _time, _meters, _network.Transport(A)));
        Assert.Throws<ArgumentException>(() => new PeerProber(new PeerProberOptions { NodeName = "", Key = Key }, NullLogger.Instance, _time, _meters, _network.Transport(A)));
    }
}
