using System.Diagnostics.Metrics;
using System.Net;
using LoadBalancer.Speaker.Announcing;
using LoadBalancer.Speaker.Layer2;
using LoadBalancer.Speaker.Liveness;
using LoadBalancer.TestKit.Net;
using Xunit.Abstractions;

namespace LoadBalancer.Integration.Tests.Layer2;

/// <summary>
/// A stand-in for one node's speaker host, as far as Layer 2 is concerned: a <see cref="PeerProber"/> feeding a tiny
/// planner (the VIP goes to the first node of <see cref="Preference"/> whose speaker is reachable; this node always
/// counts itself) that drives a <see cref="Layer2Announcer"/>. The real planner orders by hash(node, IP); a shared
/// preference list lets the test choose who owns the VIP.
/// </summary>
internal sealed class MiniSpeaker : IAsyncDisposable
{
    private readonly SemaphoreSlim _planning = new(1, 1);
    private readonly IPAddress _vip;
    private bool _stopped;

    public MiniSpeaker(NetNamespace ns, string name, IPAddress vip, List<string> preference, IReadOnlyList<SpeakerPeer> all, ITestOutputHelper? output, IMeterFactory meters)
    {
        Name = name;
        _vip = vip;
        Preference = preference;
        Announcer = L2Lab.NewAnnouncer(ns, output, meters);
        Prober = L2Lab.NewProber(ns, name, output, meters);
        Prober.Changed += () => _ = ReplanAsync();
        Prober.SetPeers([.. all.Where(p => p.Node != name)]);
    }

    public string Name { get; }

    public List<string> Preference { get; }

    public Layer2Announcer Announcer { get; }

    public PeerProber Prober { get; }

    public bool Owns => Announcer.Announced.Contains(_vip);

    public async Task ReplanAsync()
    {
        await _planning.WaitAsync();
        try
        {
            if (_stopped) return;
            string owner;
            lock (Preference) owner = Preference.First(n => n == Name || !Prober.Unreachable.Contains(n));
            await Announcer.SetDesiredAsync(owner == Name ? [new Layer2Announcement(_vip, [], [new ServiceKey("default", "web")])] : [], CancellationToken.None);
        }
        finally
        {
            _planning.Release();
        }
    }

    /// <summary>Clean stop (SIGTERM): stop answering first, then tell the peers (admin down).</summary>
    public async Task StopCleanlyAsync()
    {
        await _planning.WaitAsync();
        try
        {
            _stopped = true;
            await Announcer.SetDesiredAsync([], CancellationToken.None);
        }
        finally
        {
            _planning.Release();
        }
        await Prober.DisposeAsync();
        await Announcer.DisposeAsync();
    }

    /// <summary>Crash: nothing is said to anyone.</summary>
    public async Task CrashAsync()
    {
        _stopped = true;
        await Prober.AbortAsync();
        await Announcer.DisposeAsync();
    }

    public async ValueTask DisposeAsync()
    {
        _stopped = true;
        await Prober.AbortAsync();
        await Announcer.DisposeAsync();
    }
}
