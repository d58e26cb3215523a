using System.Collections.Immutable;
using System.Threading.Channels;
using LoadBalancer.Speaker.Announcing;
using LoadBalancer.Speaker.Planning;
using LoadBalancer.Speaker.Status;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace LoadBalancer.Speaker.Hosting;

/// <summary>
/// The speaker's loop: snapshot the caches, plan, tell the back ends what changed, write status and Events. Level
/// triggered: any watched change, a prober or back-end report, a Lease about to expire, a held-back Event coming due,
/// or the resync period wakes it, and each round works from the whole current state.
/// On stop it withdraws everything and releases its Lease, so another node takes over at once.
/// The Lease is renewed by its own loop, never behind a reconcile round: a slow round (thousands of status writes after
/// a restart, a slow API server) must not let this node's Lease lapse while it keeps announcing (the others would take
/// over and two nodes would answer for the same IP).
/// </summary>
internal sealed partial class SpeakerReconciler : BackgroundService
{
    private readonly SpeakerOptions _options;
    private readonly IClusterView _view;
    private readonly SpeakerLiveness _liveness;
    private readonly ILeaseHolder _lease;
    private readonly IPeerProber _prober;
    private readonly ILayer2Announcer _layer2;
    private readonly IBgpAnnouncer _bgp;
    private readonly IDataPlane _dataPlane;
    private readonly IAnnouncementStatusWriter _status;
    private readonly IServiceEventSink _events;
    private readonly SpeakerMetrics _metrics;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly ServiceEventTracker _tracker;
    private readonly Channel<bool> _signal = Channel.CreateBounded<bool>(new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropWrite });
    private readonly Channel<BgpSessionStatus> _sessions = Channel.CreateUnbounded<BgpSessionStatus>();
    private long _pendingSince;
    private string? _l2Pushed, _dpPushed;
    private ImmutableArray<BgpRoute>? _routesPushed;
    private ImmutableArray<BgpPeerSpec>? _peersPushed;
    private string? _proberPushed;
    private string _problemsLogged = "";
    private DateTimeOffset _nextGc = DateTimeOffset.MinValue;
    private DateTimeOffset _nextResync = DateTimeOffset.MinValue;
    private TimeSpan _retry = TimeSpan.Zero;
    private DateTimeOffset? _retryAt;
    private volatile bool _stopping;
    private volatile AnnouncementPlan? _lastPlan;
    private readonly HashSet<string> _sessionPeers = new(StringComparer.Ordinal);

    public SpeakerReconciler(SpeakerOptions options, IClusterView view, SpeakerLiveness liveness, ILeaseHolder lease, IPeerProber prober,
        ILayer2Announcer layer2, IBgpAnnouncer bgp, IDataPlane dataPlane, IAnnouncementStatusWriter status, IServiceEventSink events,
        SpeakerMetrics metrics, TimeProvider time, ILogger<SpeakerReconciler> logger, EventLimits? eventLimits = null)
    {
        _options = options;
        _view = view;
        _liveness = liveness;
        _lease = lease;
        _prober = prober;
        _layer2 = layer2;
        _bgp = bgp;
        _dataPlane = dataPlane;
        _status = status;
        _events = events;
        _metrics = metrics;
        _time = time;
        _logger = logger;
        _tracker = new ServiceEventTracker(options.NodeName, eventLimits);
        _view.Changed += Trigger;
        _prober.Changed += Trigger;
        _layer2.FailuresChanged += Trigger;
        _bgp.SessionChanged += s => _sessions.Writer.TryWrite(s);
    }

    /// <summary>The last plan (readiness, tests, diagnostics).</summary>
    public AnnouncementPlan? LastPlan => _lastPlan;

    /// <summary>Reconcile rounds completed.</summary>
    public long Rounds { get; private set; }

    /// <summary>Last time a round finished (liveness of the loop for /healthz).</summary>
    public DateTimeOffset LastRound { get; private set; }

    /// <summary>Raised after each round with its plan (tests and benchmarks observe the loop through it).</summary>
    public event Action<AnnouncementPlan>? Reconciled;

    /// <summary>Asks for a round as soon as possible.</summary>
    public void Trigger()
    {
        Interlocked.CompareExchange(ref _pendingSince, _time.GetTimestamp(), 0);
        _signal.Writer.TryWrite(true);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        // No garbage collection of other nodes' status before this speaker has watched Leases for a while.
        _nextGc = _time.GetUtcNow() + (_options.LeaseDuration * 2);
        var description = _options.Describe();
        Log.Starting(_logger, description);
        var sessionWriter = WriteSessionsAsync(stoppingToken);
        var renewer = RenewLoopAsync(stoppingToken);
        try
        {
            while (!stoppingToken.IsCancellationRequested)
            {
                if (_view.IsSynced)
                {
                    await ReconcileOnceAsync(stoppingToken).ConfigureAwait(false);
                }
                await WaitAsync(stoppingToken).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
        _sessions.Writer.TryComplete();
        await sessionWriter.ConfigureAwait(false);
        await renewer.ConfigureAwait(false);
    }

    /// <summary>Renews the Lease every <see cref="SpeakerOptions.RenewPeriod"/> (counted from each attempt's start).</summary>
    private async Task RenewLoopAsync(CancellationToken ct)
    {
        try
        {
            while (!ct.IsCancellationRequested)
            {
                var started = _time.GetUtcNow();
                await RenewAsync(started, ct).ConfigureAwait(false);
                var wait = started + _options.RenewPeriod - _time.GetUtcNow();
                if (wait > TimeSpan.Zero) await Task.Delay(wait, _time, ct).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
        }
    }

    private async Task RenewAsync(DateTimeOffset started, CancellationToken ct)
    {
        var wasFresh = _liveness.IsFresh(started);
        try
        {
            if (await _lease.RenewAsync(ct).ConfigureAwait(false) && !_stopping)
            {
                // From the attempt's start: the write committed after it, so every observer saw it later than that.
                _liveness.OwnRenewed(started);
                if (!wasFresh) Trigger();
            }
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            Log.RenewFailed(_logger, _options.NodeName, e.Message);
        }
    }

    private async Task WaitAsync(CancellationToken ct)
    {
        var now = _time.GetUtcNow();
        // Before the caches' first full list there is no round yet: look again shortly (or when a cache reports).
        var due = _view.IsSynced && _nextResync != DateTimeOffset.MinValue ? _nextResync : now + TimeSpan.FromMilliseconds(100);
        if (_liveness.NextExpiry(now) is { } exp && exp < due) due = exp;
        if (_tracker.NextDue(now) is { } ev && ev < due) due = ev;
        if (_retryAt is { } r && r < due) due = r;
        var wait = due - now;
        if (wait <= TimeSpan.Zero) return;
        using var timeout = new CancellationTokenSource(wait, _time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(ct, timeout.Token);
        try
        {
            await _signal.Reader.ReadAsync(linked.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
        }
    }

    /// <summary>One round. Public to tests through <see cref="RunOnceAsync"/>.</summary>
    private async Task ReconcileOnceAsync(CancellationToken ct)
    {
        var started = _time.GetTimestamp();
        var pendingSince = Interlocked.Exchange(ref _pendingSince, 0);
        var now = _time.GetUtcNow();
        if (now >= _nextResync && _nextResync != DateTimeOffset.MinValue) _status.Resync();
        _nextResync = now + _options.ResyncPeriod;
        _retryAt = null;
        var failed = false;

        _liveness.Observe(_view.Leases(), now);
        var live = new HashSet<string>(_liveness.Live(now, _prober.Unreachable), StringComparer.Ordinal);
        if (_stopping) live.Remove(_options.NodeName);
        var config = _view.Config();
        _metrics.SetConfigStale(config.Errors.Count > 0);
        _metrics.SetLive(live.Count);
        var objects = _view.Objects();
        var mapped = SnapshotMapper.Map(objects, config.Config, live, new MapperOptions(_options.LoadBalancerClass, _options.Layer2, _options.Bgp));
        var problems = string.Join("\n", mapped.Problems);
        if (problems != _problemsLogged)
        {
            foreach (var p in mapped.Problems) Log.InputProblem(_logger, p);
            _problemsLogged = problems;
        }
        var plan = AnnouncementPlanner.Plan(_options.NodeName, mapped.Snapshot);
        var (l2, filterFailures) = InterfaceFilter.Apply(plan.Layer2, _options.Interfaces);
        _lastPlan = plan;
        _metrics.SetPlan(plan);

        // Back ends: only what changed. A failing push is retried with backoff; the others still go ahead.
        failed |= !await PushAsync("layer2", PlanFingerprint.Of(l2), _l2Pushed, f => _l2Pushed = f, () => _layer2.SetDesiredAsync(l2, ct)).ConfigureAwait(false);
        if (_peersPushed is not { } pp || !pp.SequenceEqual(plan.BgpPeers))
            failed |= !await PushAsync("bgp-peers", null, null, _ => _peersPushed = plan.BgpPeers, () => _bgp.SetPeersAsync(plan.BgpPeers, ct)).ConfigureAwait(false);
        if (_routesPushed is not { } rp || !rp.SequenceEqual(plan.BgpRoutes))
            failed |= !await PushAsync("bgp-routes", null, null, _ => _routesPushed = plan.BgpRoutes, () => _bgp.SetDesiredAsync(plan.BgpRoutes, ct)).ConfigureAwait(false);
        failed |= !await PushAsync("dataplane", PlanFingerprint.Of(plan.DataPlane), _dpPushed, f => _dpPushed = f, () => _dataPlane.SyncAsync(plan.DataPlane, ct)).ConfigureAwait(false);
        PushProber(objects, live);
        if (pendingSince != 0) _metrics.AnnounceLatency.Record(_time.GetElapsedTime(pendingSince).TotalSeconds);

        // Status and Events.
        try
        {
            await _status.ApplyAsync(plan, ct).ConfigureAwait(false);
            if (now >= _nextGc && !_stopping && live.Count > 0 && live.Min(StringComparer.Ordinal) == _options.NodeName && _liveness.IsFresh(now))
            {
                _nextGc = now + (_options.LeaseDuration * 2);
                await _status.CollectGarbageAsync(live, ct).ConfigureAwait(false);
            }
        }
        catch (Exception e) when (e is not OperationCanceledException || !ct.IsCancellationRequested)
        {
            failed = true;
            Log.StatusFailed(_logger, e.Message);
        }
        var events = _tracker.Update(now, plan, [.. _layer2.Failures, .. filterFailures]);
        if (events.Count > 0)
        {
            // The UIDs of just the Services with Events (one pass, no index of every Service per round).
            var keys = events.Select(e => e.Service).ToHashSet();
            var uids = new Dictionary<ServiceKey, string?>();
            foreach (var s in objects.Services)
                if (s.Metadata.Name is { } name && new ServiceKey(s.Metadata.Namespace ?? "default", name) is var k && keys.Contains(k)) uids.TryAdd(k, s.Metadata.Uid);
            foreach (var ev in events) _events.Post(ev, uids.GetValueOrDefault(ev.Service));
        }

        if (failed)
        {
            _metrics.ReconcileErrors.Add(1);
            _retry = _retry == TimeSpan.Zero ? TimeSpan.FromMilliseconds(500) : TimeSpan.FromTicks(Math.Min(_retry.Ticks * 2, TimeSpan.FromSeconds(30).Ticks));
            _retryAt = now + _retry;
        }
        else _retry = TimeSpan.Zero;
        _metrics.ReconcileDuration.Record(_time.GetElapsedTime(started).TotalSeconds);
        Rounds++;
        LastRound = _time.GetUtcNow();
        Reconciled?.Invoke(plan);
    }

    private async Task<bool> PushAsync(string what, string? fingerprint, string? pushed, Action<string?> done, Func<ValueTask> push)
    {
        if (fingerprint is not null && fingerprint == pushed) return true;
        try
        {
            await push().ConfigureAwait(false);
            done(fingerprint);
            return true;
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            Log.PushFailed(_logger, what, e.Message);
            return false;
        }
    }

    private void PushProber(ClusterObjects objects, HashSet<string> live)
    {
        var peers = objects.Nodes
            .Where(n => n.Metadata.Name is { } name && name != _options.NodeName && _view.Leases().Any(l => l.Metadata.Name == SpeakerLiveness.LeaseName(name)))
            .Select(SnapshotMapper.MapNode).OfType<NodeInput>()
            .Where(n => !n.Addresses.IsDefaultOrEmpty)
            .Select(n => new SpeakerPeer(n.Name, n.Addresses[0]))
            .OrderBy(p => p.Node, StringComparer.Ordinal).ToList();
        var fp = string.Join(",", peers.Select(p => $"{p.Node}={p.Address}"));
        if (fp == _proberPushed) return;
        _proberPushed = fp;
        _prober.SetPeers(peers);
    }

    private async Task WriteSessionsAsync(CancellationToken ct)
    {
        try
        {
            // Bursts (a prefix count per UPDATE batch) collapse to the latest status per peer, and a status equal to
            // the one last written is not written again.
            var written = new Dictionary<string, BgpSessionStatus>(StringComparer.Ordinal);
            var pending = new Dictionary<string, BgpSessionStatus>(StringComparer.Ordinal);
            while (await _sessions.Reader.WaitToReadAsync(ct).ConfigureAwait(false))
            {
                while (_sessions.Reader.TryRead(out var next)) pending[next.Peer] = next;
                foreach (var s in pending.Values)
                {
                    if (written.TryGetValue(s.Peer, out var last) && last == s) continue;
                    try
                    {
                        _sessionPeers.Add(s.Peer);
                        await _status.WriteSessionAsync(s, delete: false, ct).ConfigureAwait(false);
                        written[s.Peer] = s;
                    }
                    catch (Exception e) when (e is not OperationCanceledException)
                    {
                        Log.StatusFailed(_logger, e.Message);
                    }
                }
                pending.Clear();
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    /// <summary>
    /// Clean shutdown: plan once more with this node not alive (so every announcement is withdrawn, with Events and
    /// status saying so), release the Lease at the same time, then close BGP sessions with a CEASE.
    /// The data plane keeps forwarding (packets from clients whose ARP cache still points here keep working).
    /// </summary>
    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        _stopping = true;
        _liveness.OwnReleased();
        await base.StopAsync(cancellationToken).ConfigureAwait(false);
        var release = ReleaseAsync(cancellationToken);
        try
        {
            if (_view.IsSynced) await ReconcileOnceAsync(cancellationToken).ConfigureAwait(false);
            await _bgp.ShutdownAsync("speaker stopping", cancellationToken).ConfigureAwait(false);
            foreach (var peer in _sessionPeers)
                await _status.WriteSessionAsync(new BgpSessionStatus(peer, "Idle", null, 0, null), delete: true, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            Log.StopFailed(_logger, e.Message);
        }
        await release.ConfigureAwait(false);
        Log.Stopped(_logger, _options.NodeName);
    }

    private async Task ReleaseAsync(CancellationToken ct)
    {
        try
        {
            await _lease.ReleaseAsync(ct).ConfigureAwait(false);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            Log.StopFailed(_logger, e.Message);
        }
    }
}
