using System.Diagnostics;
using System.Diagnostics.Metrics;
using LoadBalancer.Speaker.Announcing;
using LoadBalancer.Speaker.DataPlane.Apply;
using LoadBalancer.Speaker.DataPlane.Health;
using LoadBalancer.Speaker.DataPlane.Netlink;
using LoadBalancer.Speaker.DataPlane.Render;
using Microsoft.Extensions.Logging;

namespace LoadBalancer.Speaker.DataPlane;

/// <summary>
/// The kernel data plane: renders the snapshot into our nftables table and applies it atomically.
/// <list type="bullet">
/// <item>The first apply (and any apply after a failure) replaces the whole table in one transaction; after that,
/// only the Services that changed are replaced (<see cref="NftDiff"/>), still one transaction each sync.</item>
/// <item>Applies are rate-limited by <see cref="NftDataPlaneOptions.MinSyncInterval"/>; snapshots arriving meanwhile
/// are coalesced. <see cref="SyncAsync"/> returns once the attempt that covers its snapshot has finished, so a
/// caller that announces after it returns announces rules that are in the kernel; check <see cref="InSync"/>.</item>
/// <item>A failed apply never throws out of here: it is logged, counted, kept in <see cref="LastError"/>, and
/// retried with backoff as a full replace. The kernel keeps the last good table meanwhile (transactions are atomic).</item>
/// <item>Mode Off programs nothing and removes our table once.</item>
/// </list>
/// </summary>
internal sealed partial class NftDataPlane : IDataPlane, IAsyncDisposable
{
    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    private readonly NftDataPlaneOptions _options;
    private readonly NftRenderOptions _renderOptions;
    private readonly HealthCheckServer? _health;
    private readonly Func<INftExecutor>? _executorFactory;
    private readonly DataPlaneMetrics _metrics;
    private readonly SemaphoreSlim _signal = new(0);
    private readonly CancellationTokenSource _stop = new();
    private readonly object _gate = new();
    private readonly List<(long Generation, TaskCompletionSource Done)> _waiters = [];
    private readonly Task _loop;
    private readonly ITimer? _counterTimer;
    private readonly Func<IConntrackFlusher?>? _conntrackFactory;
    private INftExecutor? _executor;
    private NftNetlinkWriter? _netlink;
    private bool _netlinkFailed;
    private IConntrackFlusher? _conntrack;
    private DataPlaneSnapshot? _desired;
    private long _requested;
    private long _applied;
    private NftRuleset? _appliedRuleset;
    private bool _forceFull = true;
    private long _failingSince = -1;
    private HashSet<string> _reportedProblems = new(StringComparer.Ordinal);
    private Dictionary<ServiceKey, ServiceTraffic> _traffic = [];
    private int _disposed;

    public NftDataPlane(ILogger<NftDataPlane> logger, TimeProvider time, IMeterFactory meterFactory, NftDataPlaneOptions options,
        HealthCheckServer? healthChecks = null)
        : this(logger, time, new DataPlaneMetrics(meterFactory.Create(DataPlaneMetrics.MeterName)), options, healthChecks, null)
    {
    }

    public NftDataPlane(ILogger<NftDataPlane> logger, TimeProvider time, Meter meter, NftDataPlaneOptions options,
        HealthCheckServer? healthChecks = null)
        : this(logger, time, new DataPlaneMetrics(meter), options, healthChecks, null)
    {
    }

    internal NftDataPlane(ILogger logger, TimeProvider time, DataPlaneMetrics metrics, NftDataPlaneOptions options,
        HealthCheckServer? healthChecks, Func<INftExecutor>? executorFactory, Func<IConntrackFlusher?>? conntrackFactory = null)
    {
        _conntrackFactory = conntrackFactory;
        _logger = logger;
        _time = time;
        _options = options;
        _renderOptions = options.ToRenderOptions();
        _health = healthChecks;
        _executorFactory = executorFactory;
        _metrics = metrics;
        _metrics.Attach(this);
        if (_health is not null) _health.ProxyHealthy = () => IsHealthy;
        _loop = Task.Run(() => RunAsync(_stop.Token));
        if (options.Mode == DataPlaneMode.Nftables && options.CounterInterval > TimeSpan.Zero)
            _counterTimer = time.CreateTimer(_ => _ = RefreshCountersAsync(), null, options.CounterInterval, options.CounterInterval);
    }

    /// <summary>The last apply error (nft's message), or null after a success.</summary>
    public string? LastError { get; private set; }

    /// <summary>Number of transactions applied successfully (full or incremental).</summary>
    public long AppliedTransactions { get; private set; }

    /// <summary>Generation of the last snapshot given to <see cref="SyncAsync"/> and of the last one in the kernel.</summary>
    public long RequestedGeneration => Interlocked.Read(ref _requested);

    public long AppliedGeneration => Interlocked.Read(ref _applied);

    /// <summary>True when the last snapshot given is what the kernel has.</summary>
    public bool InSync => AppliedGeneration == RequestedGeneration && LastError is null;

    /// <summary>The backend in use ("libnftables" or "nft"), once the first apply ran.</summary>
    public string? Backend => _executor?.Name;

    /// <summary>Incremental transactions sent as nf_tables netlink batches (the rest went through <see cref="Backend"/>).</summary>
    public long NetlinkTransactions { get; private set; }

    /// <summary>Incremental transactions that added or removed an endpoint-choice shape (the first Service with a new endpoint count).</summary>
    public long ShapeTransactions { get; private set; }

    /// <summary>Stale UDP/SCTP flows whose conntrack entries were deleted.</summary>
    public long FlushedFlows { get; private set; }

    /// <summary>kube-proxy's rule: unhealthy only when a desired state has been failing to apply for longer than HealthTimeout.</summary>
    public bool IsHealthy
    {
        get
        {
            var since = Interlocked.Read(ref _failingSince);
            return since < 0 || _time.GetElapsedTime(since) < _options.HealthTimeout;
        }
    }

    /// <summary>The Services currently programmed (from the last successful apply).</summary>
    public int ProgrammedServices => _appliedRuleset?.Services.Count ?? 0;

    /// <summary>The last counters read from the kernel.</summary>
    public IReadOnlyDictionary<ServiceKey, ServiceTraffic> Traffic => _traffic;

    public ValueTask SyncAsync(DataPlaneSnapshot snapshot, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(snapshot);
        ObjectDisposedException.ThrowIf(_disposed != 0, this);
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        lock (_gate)
        {
            _desired = snapshot;
            var generation = Interlocked.Increment(ref _requested);
            _waiters.Add((generation, done));
        }
        _signal.Release();
        return new ValueTask(done.Task.WaitAsync(cancellationToken));
    }

    private async Task RunAsync(CancellationToken stop)
    {
        var lastApply = long.MinValue;
        var backoff = _options.RetryInterval;
        while (!stop.IsCancellationRequested)
        {
            try
            {
                await _signal.WaitAsync(stop).ConfigureAwait(false);
                if (lastApply != long.MinValue)
                {
                    var wait = _options.MinSyncInterval - _time.GetElapsedTime(lastApply);
                    if (wait > TimeSpan.Zero) await Task.Delay(wait, _time, stop).ConfigureAwait(false);
                }
                while (_signal.CurrentCount > 0) await _signal.WaitAsync(stop).ConfigureAwait(false);

                DataPlaneSnapshot? snapshot;
                long generation;
                lock (_gate)
                {
                    snapshot = _desired;
                    generation = _requested;
                }
                if (snapshot is null) continue;
                lastApply = _time.GetTimestamp();
                var ok = await ApplyAsync(snapshot).ConfigureAwait(false);
                if (ok)
                {
                    Interlocked.Exchange(ref _applied, generation);
                    backoff = _options.RetryInterval;
                }
                Complete(generation);
                if (!ok)
                {
                    Log.RetryScheduled(_logger, backoff.TotalSeconds);
                    await Task.Delay(backoff, _time, stop).ConfigureAwait(false);
                    backoff = TimeSpan.FromTicks(Math.Min(backoff.Ticks * 2, _options.MaxRetryInterval.Ticks));
                    _signal.Release();
                }
            }
            catch (OperationCanceledException) when (stop.IsCancellationRequested)
            {
                break;
            }
            catch (Exception ex)
            {
                // Never let the loop die: log and carry on with the next signal.
                Log.LoopFailed(_logger, ex);
            }
        }
    }

    private void Complete(long generation)
    {
        List<TaskCompletionSource> done = [];
        lock (_gate)
        {
            for (var i = _waiters.Count - 1; i >= 0; i--)
            {
                if (_waiters[i].Generation > generation) continue;
                done.Add(_waiters[i].Done);
                _waiters.RemoveAt(i);
            }
        }
        foreach (var d in done) d.TrySetResult();
    }

    private INftExecutor Executor()
    {
        if (_executor is not null) return _executor;
        if (_executorFactory is not null) return _executor = _executorFactory();
        var useLib = _options.Backend switch
        {
            NftBackend.LibNftables => true,
            NftBackend.Cli => false,
            _ => LibNftablesExecutor.IsAvailable(),
        };
        _executor = useLib ? LibNftablesExecutor.Create(_options.NetworkNamespacePath) : new NftCliExecutor(_options.NetworkNamespacePath, _options.NftPath);
        Log.BackendSelected(_logger, _executor.Name);
        return _executor;
    }

    private async Task<bool> ApplyAsync(DataPlaneSnapshot snapshot)
    {
        if (_options.Mode == DataPlaneMode.Off)
        {
            if (!_forceFull) return true;
            var r = await RunAsync(NftText.Remove(_options.TableName), "remove").ConfigureAwait(false);
            if (r) _forceFull = false;
            return r;
        }

        var started = _time.GetTimestamp();
        NftRuleset desired;
        try
        {
            desired = NftRenderer.Render(snapshot, _renderOptions, _appliedRuleset);
        }
        catch (Exception ex)
        {
            Fail("render", ex.Message);
            return false;
        }
        ReportProblems(desired);

        string text;
        string kind;
        var changed = desired.Services.Count;
        NftTransaction? tx = _forceFull || _appliedRuleset is null ? null : NftDiff.Incremental(_appliedRuleset, desired);
        if (tx is null)
        {
            text = NftText.Full(desired);
            kind = "full";
        }
        else if (tx.IsEmpty)
        {
            _appliedRuleset = desired;
            _health?.SetServices(HealthCheckPlanner.Plan(snapshot));
            return Succeeded();
        }
        else
        {
            text = tx.Text;
            kind = "incremental";
            changed = tx.ChangedServices;
        }

        bool ok;
        if (tx is null) ok = await RunAsync(text, kind).ConfigureAwait(false);
        else
        {
            // Make, break, cleanup: each phase is one atomic batch, sent once the previous one is committed.
            ok = true;
            var allNetlink = true;
            foreach (var phase in tx.Phases())
            {
                var writer = Netlink(phase);
                allNetlink &= writer is not null;
                ok = writer is not null ? await RunNetlinkAsync(writer, phase).ConfigureAwait(false) : await RunAsync(phase.Text, kind).ConfigureAwait(false);
                if (!ok) break;
            }
            if (ok && allNetlink) NetlinkTransactions++;
        }
        var elapsed = _time.GetElapsedTime(started);
        _metrics.SyncDuration.Record(elapsed.TotalSeconds, new KeyValuePair<string, object?>("kind", kind),
            new KeyValuePair<string, object?>("result", ok ? "success" : "error"));
        if (!ok) return false;
        var stale = StaleFlows.Find(_appliedRuleset, desired);
        _appliedRuleset = desired;
        _forceFull = false;
        AppliedTransactions++;
        if (tx is { ChangesShapes: true }) ShapeTransactions++;
        Log.Applied(_logger, kind, changed, desired.Services.Count, elapsed.TotalMilliseconds);
        _health?.SetServices(HealthCheckPlanner.Plan(snapshot));
        if (stale.Count > 0) await FlushConntrackAsync(stale).ConfigureAwait(false);
        return Succeeded();
    }

    /// <summary>The netlink writer when this transaction can go through it, else null (then libnftables or nft runs the text).</summary>
    private NftNetlinkWriter? Netlink(NftTransaction tx)
    {
        if (!_options.IncrementalNetlink || _executorFactory is not null || _netlinkFailed) return null;
        if (!NftNetlinkWriter.Covers(tx.Ops, out var why))
        {
            var backend = Executor().Name;
            Log.NetlinkNotCovered(_logger, backend, why ?? "");
            return null;
        }
        try
        {
            return _netlink ??= NftNetlinkWriter.Open(_options.NetworkNamespacePath);
        }
        catch (Exception ex)
        {
            _netlinkFailed = true;
            Log.NetlinkUnavailable(_logger, Executor().Name, ex.Message);
            return null;
        }
    }

    private async Task<bool> RunNetlinkAsync(NftNetlinkWriter writer, NftTransaction tx)
    {
        NftResult result;
        try
        {
            result = await Task.Run(() => writer.Apply(_options.TableName, tx.Ops)).ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            Fail("incremental", "netlink: " + ex.Message);
            return false;
        }
        if (result.Success) return true;
        Fail("incremental", "netlink: " + result.Error);
        return false;
    }

    private async Task FlushConntrackAsync(List<StaleFlow> stale)
    {
        if (!_options.FlushConntrack) return;
        try
        {
            // With a fake nft (tests) there is no kernel state to flush unless a fake flusher is given too.
            _conntrack ??= _conntrackFactory is not null ? _conntrackFactory()
                : _executorFactory is null ? new ConntrackCliFlusher(_options.NetworkNamespacePath, _options.ConntrackPath) : null;
            if (_conntrack is null) return;
            var errors = await _conntrack.FlushAsync(stale).ConfigureAwait(false);
            foreach (var e in errors) Log.ConntrackFailed(_logger, e);
            FlushedFlows += stale.Count;
            foreach (var f in stale) Log.ConntrackFlushed(_logger, f.Proto, f.Service, f.Vip, f.Port, f.Endpoint);
        }
        catch (Exception ex)
        {
            Log.ConntrackFailed(_logger, ex.Message);
        }
    }

    private bool Succeeded()
    {
        if (LastError is not null) Log.Recovered(_logger);
        LastError = null;
        Interlocked.Exchange(ref _failingSince, -1);
        return true;
    }

    private async Task<bool> RunAsync(string text, string kind)
    {
        NftResult result;
        try
        {
            result = await Executor().RunAsync(text).ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            Fail(kind, ex.Message);
            return false;
        }
        if (result.Success) return true;
        Fail(kind, string.IsNullOrWhiteSpace(result.Error) ? "nft failed without a message" : result.Error.Trim());
        return false;
    }

    private void Fail(string kind, string message)
    {
        LastError = message;
        _forceFull = true;
        Interlocked.CompareExchange(ref _failingSince, _time.GetTimestamp(), -1);
        _metrics.SyncErrors.Add(1, new KeyValuePair<string, object?>("kind", kind));
        Log.ApplyFailed(_logger, kind, _options.TableName, message);
    }

    private void ReportProblems(NftRuleset ruleset)
    {
        var now = new HashSet<string>(StringComparer.Ordinal);
        foreach (var p in ruleset.Problems)
        {
            var text = p.Service + ": " + p.Message;
            now.Add(text);
            if (!_reportedProblems.Contains(text)) Log.ServiceProblem(_logger, p.Service.ToString(), p.Message);
        }
        _reportedProblems = now;
    }

    /// <summary>Reads the per-Service counters from the kernel now (also done every CounterInterval).</summary>
    public async Task<IReadOnlyDictionary<ServiceKey, ServiceTraffic>> RefreshCountersAsync()
    {
        if (_options.Mode == DataPlaneMode.Off || _disposed != 0) return _traffic;
        try
        {
            var r = await Executor().RunAsync($"list counters table inet {_options.TableName}", json: true).ConfigureAwait(false);
            if (r.Success) _traffic = NftCounterParser.Parse(r.Output, _options.TableName);
        }
        catch (Exception ex)
        {
            Log.CountersFailed(_logger, ex.Message);
        }
        return _traffic;
    }

    /// <summary>Deletes our table now (uninstall, or switching to mode off).</summary>
    public async Task<bool> RemoveTableAsync()
    {
        var ok = await RunAsync(NftText.Remove(_options.TableName), "remove").ConfigureAwait(false);
        if (ok) _appliedRuleset = null;
        _forceFull = true;
        return ok;
    }

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0) return;
        if (_counterTimer is not null) await _counterTimer.DisposeAsync().ConfigureAwait(false);
        await _stop.CancelAsync().ConfigureAwait(false);
        try { await _loop.WaitAsync(TimeSpan.FromSeconds(30)).ConfigureAwait(false); }
        catch (TimeoutException) { }
        if (_options.RemoveTableOnDispose && _options.Mode == DataPlaneMode.Nftables) await RemoveTableAsync().ConfigureAwait(false);
        lock (_gate)
        {
            foreach (var (_, done) in _waiters) done.TrySetCanceled();
            _waiters.Clear();
        }
        _executor?.Dispose();
        _netlink?.Dispose();
        _conntrack?.Dispose();
        _metrics.Dispose();
        _stop.Dispose();
        _signal.Dispose();
    }
}
