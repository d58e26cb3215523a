using System.Collections.Immutable;
using LoadBalancer.Speaker.Announcing;

namespace LoadBalancer.Speaker.Tests.Hosting;

/// <summary>Records every desired Layer 2 set it is told (thread-safe), with the time it was told.</summary>
internal sealed class RecordingLayer2 : ILayer2Announcer
{
    private readonly object _gate = new();
    private ImmutableArray<Layer2Announcement> _current = [];

    public List<(DateTimeOffset At, ImmutableArray<Layer2Announcement> Desired)> History { get; } = [];

    public ImmutableArray<Layer2Announcement> Current { get { lock (_gate) return _current; } }

    /// <summary>A copy of <see cref="History"/> taken under the lock (safe while the host keeps telling).</summary>
    public (DateTimeOffset At, ImmutableArray<Layer2Announcement> Desired)[] HistorySnapshot() { lock (_gate) return [.. History]; }

    public IReadOnlyCollection<AnnounceFailure> Failures { get; set; } = [];

    public event Action? FailuresChanged;

    public event Action? Told;

    public void RaiseFailuresChanged() => FailuresChanged?.Invoke();

    public ValueTask SetDesiredAsync(IReadOnlyCollection<Layer2Announcement> desired, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            _current = [.. desired];
            History.Add((DateTimeOffset.UtcNow, _current));
        }
        Told?.Invoke();
        return ValueTask.CompletedTask;
    }
}

internal sealed class RecordingBgp : IBgpAnnouncer
{
    private readonly object _gate = new();
    private ImmutableArray<BgpRoute> _routes = [];
    private ImmutableArray<BgpPeerSpec> _peers = [];

    public ImmutableArray<BgpRoute> Routes { get { lock (_gate) return _routes; } }

    public ImmutableArray<BgpPeerSpec> Peers { get { lock (_gate) return _peers; } }

    public string? ShutdownMessage { get; private set; }

    public IReadOnlyCollection<BgpSessionStatus> Sessions => [];

    public event Action<BgpSessionStatus>? SessionChanged;

    public event Action? Told;

    public void RaiseSession(BgpSessionStatus s) => SessionChanged?.Invoke(s);

    public ValueTask SetPeersAsync(IReadOnlyCollection<BgpPeerSpec> peers, CancellationToken cancellationToken)
    {
        lock (_gate) _peers = [.. peers];
        return ValueTask.CompletedTask;
    }

    public ValueTask SetDesiredAsync(IReadOnlyCollection<BgpRoute> routes, CancellationToken cancellationToken)
    {
        lock (_gate) _routes = [.. routes];
        Told?.Invoke();
        return ValueTask.CompletedTask;
    }

    public ValueTask ShutdownAsync(string message, CancellationToken cancellationToken)
    {
        ShutdownMessage = message;
        lock (_gate) _routes = [];
        return ValueTask.CompletedTask;
    }
}

internal sealed class RecordingDataPlane : IDataPlane
{
    public DataPlaneSnapshot? Last { get; private set; }

    public int Syncs { get; private set; }

    public ValueTask SyncAsync(DataPlaneSnapshot snapshot, CancellationToken cancellationToken)
    {
        Last = snapshot;
        Syncs++;
        return ValueTask.CompletedTask;
    }
}

internal sealed class FakeProber : IPeerProber
{
    private IReadOnlySet<string> _unreachable = new HashSet<string>();

    public IReadOnlySet<string> Unreachable => _unreachable;

    public IReadOnlyCollection<SpeakerPeer> Peers { get; private set; } = [];

    public event Action? Changed;

    public void SetPeers(IReadOnlyCollection<SpeakerPeer> peers) => Peers = peers;

    public void SetUnreachable(params string[] nodes)
    {
        _unreachable = nodes.ToHashSet();
        Changed?.Invoke();
    }
}
