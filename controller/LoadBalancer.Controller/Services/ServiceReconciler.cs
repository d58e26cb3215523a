using System.Diagnostics;
using System.Text.Json.Nodes;
using LoadBalancer.Controller.Allocation;
using LoadBalancer.Controller.Diagnostics;
using LoadBalancer.Controller.Status;
using LoadBalancer.Kube;
using LoadBalancer.Kube.Api;
using LoadBalancer.Model.Config;
using LoadBalancer.Model.Crds;
using LoadBalancer.Model.Net;
using Microsoft.Extensions.Logging;

namespace LoadBalancer.Controller.Services;

/// <summary>
/// The shell around <see cref="ServiceDecision"/> while this replica leads: a work queue fed by the informers, one
/// worker, a fresh <see cref="Allocator"/> rebuilt from the Services' statuses before any new allocation, and writes
/// only when something changed (compare before patch). Events only on a change of state.
/// </summary>
internal sealed partial class ServiceReconciler : IDisposable
{
    private readonly IKubeClient _client;
    private readonly ClusterCaches _caches;
    private readonly string _namespace;
    private readonly string _class;
    private readonly TimeSpan _resync;
    private readonly IEventSink _events;
    private readonly ControllerMetrics _metrics;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly CrStatusWriter _statusWriter;
    private ConfigResult? _config;
    // Per Service: what we wrote from which resourceVersion (the informer may lag behind our own write), the warnings
    // currently active and the last IPAllocated message, so repeated decisions neither rewrite nor re-event.
    private readonly Dictionary<string, (string? ResourceVersion, string Ingress, string? Pool)> _written = new(StringComparer.Ordinal);
    private readonly Dictionary<string, HashSet<string>> _activeWarnings = new(StringComparer.Ordinal);
    private readonly Dictionary<string, string> _lastAllocated = new(StringComparer.Ordinal);
    private volatile bool _ready;
    private WorkQueue<WorkKey>? _queue;
    // Writes are pipelined (decisions stay sequential on the worker): at most this many API calls in flight, and
    // writes for one Service stay in order.
    private readonly SemaphoreSlim _writeSlots = new(16);
    private readonly Dictionary<string, Task> _inflight = new(StringComparer.Ordinal);
    private readonly Lock _writtenGate = new();

    public ServiceReconciler(IKubeClient client, ClusterCaches caches, string @namespace, string loadBalancerClass, TimeSpan resync,
        IEventSink events, ControllerMetrics metrics, TimeProvider time, ILogger logger)
    {
        _client = client;
        _caches = caches;
        _namespace = @namespace;
        _class = loadBalancerClass;
        _resync = resync;
        _events = events;
        _metrics = metrics;
        _time = time;
        _logger = logger;
        _statusWriter = new CrStatusWriter(client, caches, events, time);
    }

    public Allocator Allocator { get; } = new();

    /// <summary>True once the caches are synced, the configuration built and the assignments restored.</summary>
    public bool IsReady => _ready;

    /// <summary>Keys queued, waiting or being processed (0 when idle).</summary>
    public int Backlog
    {
        get
        {
            int writes;
            lock (_writtenGate) writes = _inflight.Count;
            return (_queue is { } q ? q.Count + q.ProcessingCount + q.DelayedCount : 0) + writes;
        }
    }

    public async Task RunAsync(CancellationToken cancellationToken)
    {
        using var queue = new WorkQueue<WorkKey>(_time);
        _queue = queue;
        _caches.SetSink(queue.Add);
        using var resync = _time.CreateTimer(_ => queue.Add(WorkKey.All), null, _resync, _resync);
        try
        {
            await _caches.ReadyAsync(cancellationToken).ConfigureAwait(false);
            var started = _time.GetTimestamp();
            RebuildConfig(queue, initial: true);
            var restored = await RestoreAsync(cancellationToken).ConfigureAwait(false);
            EnqueueAllServices(queue);
            queue.Add(WorkKey.Status);
            _ready = true;
            var elapsedMs = _time.GetElapsedTime(started).TotalMilliseconds;
            var serviceCount = _caches.Services.Count;
            Log.Started(_logger, restored, serviceCount, Allocator.Config.Pools.Count, elapsedMs);
            while (!cancellationToken.IsCancellationRequested)
            {
                var item = await queue.GetAsync(cancellationToken).ConfigureAwait(false);
                if (item.IsShutdown) break;
                var t0 = _time.GetTimestamp();
                var result = "ok";
                try
                {
                    await ProcessAsync(item.Key, queue, cancellationToken).ConfigureAwait(false);
                    queue.Forget(item.Key);
                }
                catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
                {
                    break;
                }
                catch (Exception e)
                {
                    result = "error";
                    Log.WorkFailed(_logger, item.Key.ToString(), e.Message, e);
                    queue.AddRateLimited(item.Key);
                }
                finally
                {
                    queue.Done(item.Key);
                    _metrics.RecordReconcile(item.Key.Kind.ToString(), result, _time.GetElapsedTime(t0));
                }
            }
        }
        finally
        {
            _ready = false;
            _caches.SetSink(null);
            queue.ShutDown();
            Task[] writes;
            lock (_writtenGate) writes = [.. _inflight.Values];
            try
            {
                await Task.WhenAll(writes).WaitAsync(TimeSpan.FromSeconds(10), _time, CancellationToken.None).ConfigureAwait(false);
            }
            catch (TimeoutException)
            {
                // the API server hangs; the next leader rebuilds from what was written
            }
            _queue = null;
        }
    }

    public void Dispose() => _writeSlots.Dispose();

    internal async Task ProcessAsync(WorkKey key, WorkQueue<WorkKey> queue, CancellationToken ct)
    {
        switch (key.Kind)
        {
            case WorkKind.Service:
                await ReconcileServiceAsync(key.Namespace, key.Name, queue, ct).ConfigureAwait(false);
                break;
            case WorkKind.Config:
                RebuildConfig(queue, initial: false);
                break;
            case WorkKind.ReprocessAll:
                EnqueueAllServices(queue);
                break;
            case WorkKind.Status:
                PublishUsage();
                await _statusWriter.WriteAsync(_config, Allocator, ct).ConfigureAwait(false);
                break;
        }
    }

    /// <summary>Before any new allocation: every Service that already has IPs gets them back, in name order.</summary>
    private async Task<int> RestoreAsync(CancellationToken ct)
    {
        var withIps = _caches.Services.Snapshot()
            .Where(s => s.Status?.LoadBalancer?.Ingress is { Count: > 0 })
            .OrderBy(s => Key(s), StringComparer.Ordinal)
            .ToList();
        foreach (var svc in withIps)
        {
            var key = Key(svc);
            await WaitForWriteAsync(key).ConfigureAwait(false);
            var outcome = ServiceDecision.Decide(key, svc, Allocator, _class);
            Apply(key, svc, outcome, null, ct);
        }
        PublishUsage();
        return withIps.Count;
    }

    private async Task ReconcileServiceAsync(string ns, string name, WorkQueue<WorkKey> queue, CancellationToken ct)
    {
        var key = $"{ns}/{name}";
        await WaitForWriteAsync(key).ConfigureAwait(false);
        var svc = _caches.Services.Get(ns, name);
        var outcome = ServiceDecision.Decide(key, svc, Allocator, _class);
        if (svc is null)
        {
            lock (_writtenGate) _written.Remove(key);
            _activeWarnings.Remove(key);
            _lastAllocated.Remove(key);
        }
        else
        {
            Apply(key, svc, outcome, queue, ct);
        }
        if (outcome.Sync == SyncResult.ReprocessAll) EnqueueAllServices(queue);
        if (outcome.WriteStatus || outcome.Sync == SyncResult.ReprocessAll || svc is null) queue.AddAfter(WorkKey.Status, TimeSpan.FromMilliseconds(500));
        PublishUsage();
    }

    private async Task WaitForWriteAsync(string key)
    {
        Task? pending;
        lock (_writtenGate) _inflight.TryGetValue(key, out pending);
        if (pending is not null) await pending.ConfigureAwait(false);
    }

    /// <summary>Records events now and starts the writes (status, annotation) in the background, in order per Service.</summary>
    private void Apply(string key, V1Service svc, ServiceOutcome outcome, WorkQueue<WorkKey>? queue, CancellationToken ct)
    {
        var ingressText = string.Join(",", outcome.DesiredIngress.Select(i => $"{i.Ip}/{i.IpMode}"));
        var rv = svc.Metadata.ResourceVersion;
        bool inFlight;
        // The cache still shows the object we patched last time: our write is in flight, do not repeat it.
        lock (_writtenGate) inFlight = _written.TryGetValue(key, out var w) && w.ResourceVersion == rv && w.Ingress == ingressText && w.Pool == outcome.DesiredPool;
        if (!inFlight && (outcome.WriteStatus || outcome.WriteAnnotation))
        {
            var task = WriteAsync(key, svc, outcome, rv, ingressText, queue, ct);
            lock (_writtenGate) _inflight[key] = task;
            _ = task.ContinueWith(t =>
            {
                lock (_writtenGate)
                {
                    if (_inflight.TryGetValue(key, out var current) && current == t) _inflight.Remove(key);
                }
            }, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
        }
        RecordEvents(key, svc, outcome);
        if (outcome.Owned && outcome.Assignment is { } a && outcome.WriteStatus && !inFlight)
        {
            var ips = string.Join(",", a.IPs);
            Log.Assigned(_logger, key, ips, a.Pool);
        }
        else if (outcome.Owned && outcome.Failure is { } f && outcome.WriteStatus)
        {
            Log.Pending(_logger, key, f);
        }
    }

    private async Task WriteAsync(string key, V1Service svc, ServiceOutcome outcome, string? rv, string ingressText, WorkQueue<WorkKey>? queue, CancellationToken ct)
    {
        try
        {
            await _writeSlots.WaitAsync(ct).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            return;
        }
        try
        {
            if (outcome.WriteStatus)
            {
                var ingress = new JsonArray();
                foreach (var i in outcome.DesiredIngress) ingress.Add((JsonNode)new JsonObject { ["ip"] = i.Ip, ["ipMode"] = i.IpMode });
                var patch = new JsonObject { ["status"] = new JsonObject { ["loadBalancer"] = new JsonObject { ["ingress"] = outcome.DesiredIngress.Count == 0 ? null : ingress } } };
                await _client.PatchStatusAsync(KubeResources.Services, svc.Metadata.Namespace, svc.Metadata.Name!, KubePatch.Merge(patch), ct).ConfigureAwait(false);
            }
            if (outcome.WriteAnnotation)
            {
                var patch = new JsonObject { ["metadata"] = new JsonObject { ["annotations"] = new JsonObject { [ServiceAnnotations.IPAllocatedFromPool] = outcome.DesiredPool } } };
                await _client.PatchAsync(KubeResources.Services, svc.Metadata.Namespace, svc.Metadata.Name!, KubePatch.Merge(patch), ct).ConfigureAwait(false);
            }
            lock (_writtenGate) _written[key] = (rv, ingressText, outcome.DesiredPool);
        }
        catch (KubeNotFoundException)
        {
            // deleted meanwhile; the delete event follows
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
        }
        catch (Exception e)
        {
            Log.WorkFailed(_logger, key, e.Message, e);
            var slash = key.IndexOf('/', StringComparison.Ordinal);
            queue?.AddRateLimited(WorkKey.ForService(key[..slash], key[(slash + 1)..]));
        }
        finally
        {
            _writeSlots.Release();
        }
    }

    private void RecordEvents(string key, V1Service svc, ServiceOutcome outcome)
    {
        var warnings = new HashSet<string>(StringComparer.Ordinal);
        _activeWarnings.TryGetValue(key, out var active);
        ObjectReference? regarding = null;
        foreach (var e in outcome.Events)
        {
            var id = e.Reason + "|" + e.Message;
            if (e.Type == DecisionEvent.Warning)
            {
                warnings.Add(id);
                if (active?.Contains(id) == true) continue;
            }
            else if (e.Reason == "IPAllocated")
            {
                if (_lastAllocated.TryGetValue(key, out var last) && last == e.Message) continue;
                _lastAllocated[key] = e.Message;
            }
            else if (e.Reason == "IPReleased")
            {
                _lastAllocated.Remove(key);
            }
            regarding ??= EventRecorder.ReferenceTo(svc);
            _events.Record(regarding, e.Type, e.Reason, e.Reason switch { "IPReleased" => "Release", _ => "Allocate" }, e.Message);
        }
        if (warnings.Count > 0) _activeWarnings[key] = warnings;
        else _activeWarnings.Remove(key);
    }

    private void RebuildConfig(WorkQueue<WorkKey> queue, bool initial)
    {
        var result = ConfigBuilder.Build(_caches.Resources(), _config, new ConfigBuilderOptions { Namespace = _namespace });
        var previous = _config;
        _config = result;
        _metrics.SetStale(!result.IsValid);
        foreach (var e in result.Errors)
        {
            if (previous is null || !previous.Errors.Contains(e)) Log.InvalidConfiguration(_logger, e.Object.ToString(), e.Field, e.Message);
        }
        if (!initial && result.Config.SameAs(Allocator.Config))
        {
            queue.Add(WorkKey.Status);
            return;
        }
        var evicted = Allocator.SetPools(result.Config);
        Log.ConfigLoaded(_logger, result.Config.Pools.Count, result.Errors.Count, evicted.Count);
        if (!initial)
        {
            // Services whose IPs left every pool first, then everyone (pending Services may fit a grown pool).
            foreach (var e in evicted)
            {
                var slash = e.Service.IndexOf('/', StringComparison.Ordinal);
                queue.Add(WorkKey.ForService(e.Service[..slash], e.Service[(slash + 1)..]));
            }
            EnqueueAllServices(queue);
        }
        queue.Add(WorkKey.Status);
    }

    /// <summary>Services that hold IPs first (they only confirm them), then the rest in name order.</summary>
    private void EnqueueAllServices(WorkQueue<WorkKey> queue)
    {
        var all = _caches.Services.Snapshot();
        foreach (var s in all.Where(s => s.Status?.LoadBalancer?.Ingress is { Count: > 0 }).OrderBy(Key, StringComparer.Ordinal))
            queue.Add(WorkKey.ForService(s.Metadata.Namespace ?? "default", s.Metadata.Name!));
        foreach (var s in all.Where(s => s.Status?.LoadBalancer?.Ingress is not { Count: > 0 }).OrderBy(Key, StringComparer.Ordinal))
            queue.Add(WorkKey.ForService(s.Metadata.Namespace ?? "default", s.Metadata.Name!));
    }

    private void PublishUsage()
    {
        var usage = new Dictionary<string, PoolUsage>(StringComparer.Ordinal);
        foreach (var p in Allocator.Config.Pools) usage[p.Name] = Allocator.Usage(p.Name);
        _metrics.PublishUsage(usage);
    }

    private static string Key(V1Service s) => $"{s.Metadata.Namespace ?? "default"}/{s.Metadata.Name}";
}
