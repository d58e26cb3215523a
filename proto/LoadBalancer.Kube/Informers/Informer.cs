using System.Diagnostics.Metrics;
using LoadBalancer.Kube.Api;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace LoadBalancer.Kube;

/// <summary>
/// client-go's reflector + store + shared informer in one: a paged list, then a watch from the list's
/// resourceVersion, into a thread-safe cache keyed by <see cref="ObjectKey"/>. It re-watches from the last
/// resourceVersion (bookmarks included) when the server closes the stream, relists on 410 Gone / Expired, and backs
/// off with jittered exponential delays (on the <see cref="TimeProvider"/>) after errors. Handlers see added,
/// updated and deleted objects, also the differences a relist finds. Cached objects are shared: do not mutate them.
/// </summary>
public sealed partial class Informer<T> : IAsyncDisposable where T : class, IKubeObject
{
    private static readonly Meter Meter = new("LoadBalancer.Kube.Informer");
    private static readonly Counter<long> Lists = Meter.CreateCounter<long>("loadbalancer.kube.informer.lists", description: "Full lists (initial and relists)");
    private static readonly Counter<long> Watches = Meter.CreateCounter<long>("loadbalancer.kube.informer.watches", description: "Watch streams opened");
    private static readonly Counter<long> Errors = Meter.CreateCounter<long>("loadbalancer.kube.informer.errors", description: "List or watch errors (followed by backoff)");
    private static readonly Counter<long> EventsSeen = Meter.CreateCounter<long>("loadbalancer.kube.informer.events", description: "Watch events applied");

    private readonly IKubeClient _client;
    private readonly ResourceType<T> _type;
    private readonly InformerOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly Random _random;
    private readonly Lock _cacheGate = new();
    private readonly Lock _dispatchGate = new();
    private readonly Dictionary<ObjectKey, T> _cache = [];
    private readonly List<Handler> _handlers = [];
    private readonly TaskCompletionSource _ready = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly KeyValuePair<string, object?> _tag;
    private CancellationTokenSource? _cts;
    private Task? _run;
    private string? _resourceVersion;
    private int _lists;
    private int _watches;

    public Informer(IKubeClient client, ResourceType<T> type, InformerOptions? options = null, TimeProvider? timeProvider = null, ILogger? logger = null)
    {
        ArgumentNullException.ThrowIfNull(client);
        ArgumentNullException.ThrowIfNull(type);
        _client = client;
        _type = type;
        _options = options ?? new InformerOptions();
        _time = timeProvider ?? TimeProvider.System;
        _logger = logger ?? NullLogger.Instance;
        _random = _options.RandomSeed is int seed ? new Random(seed) : new Random();
        _tag = new("resource", type.Plural);
    }

    /// <summary>True after the first full list has been applied.</summary>
    public bool IsReady => _ready.Task.IsCompletedSuccessfully;

    /// <summary>The resourceVersion the cache is at (from the last list, event or bookmark).</summary>
    public string? LastSyncResourceVersion => Volatile.Read(ref _resourceVersion);

    public int Count { get { lock (_cacheGate) return _cache.Count; } }

    /// <summary>Full lists done so far (1 after the initial sync; more after relists).</summary>
    public int ListCount => Volatile.Read(ref _lists);

    /// <summary>Watch streams opened so far.</summary>
    public int WatchCount => Volatile.Read(ref _watches);

    /// <summary>Completes once the first full list is in the cache (faults if the informer stopped before).</summary>
    public Task ReadyAsync(CancellationToken cancellationToken = default) => _ready.Task.WaitAsync(cancellationToken);

    public T? Get(ObjectKey key)
    {
        lock (_cacheGate) return _cache.TryGetValue(key, out var obj) ? obj : null;
    }

    public T? Get(string? @namespace, string name) => Get(new ObjectKey(string.IsNullOrEmpty(@namespace) ? null : @namespace, name));

    /// <summary>A consistent copy of the whole cache.</summary>
    public IReadOnlyList<T> Snapshot()
    {
        lock (_cacheGate) return [.. _cache.Values];
    }

    /// <summary>The cached keys.</summary>
    public IReadOnlyList<ObjectKey> Keys()
    {
        lock (_cacheGate) return [.. _cache.Keys];
    }

    /// <summary>
    /// Registers handlers (run on the informer's loop, one event at a time: keep them short, e.g. enqueue a key).
    /// Registered after the first sync, <paramref name="onAdded"/> is first called for every cached object.
    /// Dispose the result to unregister.
    /// </summary>
    public IDisposable AddHandler(Action<T>? onAdded = null, Action<T, T>? onUpdated = null, Action<T>? onDeleted = null)
    {
        var handler = new Handler(this, onAdded, onUpdated, onDeleted);
        lock (_dispatchGate)
        {
            if (IsReady && onAdded is not null)
                foreach (var obj in Snapshot()) Invoke(() => onAdded(obj));
            lock (_handlers) _handlers.Add(handler);
        }
        return handler;
    }

    /// <summary>Starts the list/watch loop in the background (stops on <paramref name="cancellationToken"/> or dispose).</summary>
    public void Start(CancellationToken cancellationToken = default)
    {
        if (_run is not null) throw new InvalidOperationException("informer already started");
        _cts = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        _run = Task.Run(() => RunAsync(_cts.Token), CancellationToken.None);
    }

    /// <summary>Runs the list/watch loop until cancelled.</summary>
    public async Task RunAsync(CancellationToken cancellationToken)
    {
        var failures = 0;
        var needList = true;
        try
        {
            while (!cancellationToken.IsCancellationRequested)
            {
                try
                {
                    if (needList)
                    {
                        await ListAsync(cancellationToken).ConfigureAwait(false);
                        needList = false;
                        failures = 0;
                    }
                    var sawEvent = await WatchOnceAsync(cancellationToken).ConfigureAwait(false);
                    if (sawEvent) failures = 0;
                }
                catch (KubeResourceExpiredException ex)
                {
                    Log.Expired(_logger, _type.Plural, LastSyncResourceVersion, ex.Message);
                    needList = true;
                }
                catch (Exception ex) when (!cancellationToken.IsCancellationRequested)
                {
                    Errors.Add(1, _tag);
                    var delay = Backoff.Jittered(_options.InitialBackoff, _options.MaxBackoff, failures++, _options.Jitter, _random);
                    Log.Error(_logger, _type.Plural, needList ? "list" : "watch", delay.TotalMilliseconds, ex.Message);
                    await Task.Delay(delay, _time, cancellationToken).ConfigureAwait(false);
                }
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
        }
        finally
        {
            _ready.TrySetCanceled(cancellationToken.IsCancellationRequested ? cancellationToken : new CancellationToken(true));
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_cts is null) return;
        await _cts.CancelAsync().ConfigureAwait(false);
        if (_run is not null) await _run.ConfigureAwait(false);
        _cts.Dispose();
    }

    private async Task ListAsync(CancellationToken cancellationToken)
    {
        Lists.Add(1, _tag);
        Interlocked.Increment(ref _lists);
        var items = new Dictionary<ObjectKey, T>();
        string? token = null;
        string? rv;
        var limit = _options.PageSize;
        while (true)
        {
            KubeList<T> page;
            try
            {
                page = await _client.ListAsync(_type, new ListOptions
                {
                    Namespace = _options.Namespace,
                    LabelSelector = _options.LabelSelector,
                    FieldSelector = _options.FieldSelector,
                    Limit = limit > 0 ? limit : null,
                    Continue = token,
                }, cancellationToken).ConfigureAwait(false);
            }
            catch (KubeResourceExpiredException) when (token is not null)
            {
                // The continue token expired mid-list: start over with one unpaged list (client-go does the same).
                items.Clear();
                token = null;
                limit = 0;
                continue;
            }
            foreach (var item in page.Items) items[ObjectKey.Of(item)] = item;
            token = page.Metadata.Continue;
            rv = page.Metadata.ResourceVersion;
            if (string.IsNullOrEmpty(token)) break;
        }
        Replace(items, rv);
        Log.Listed(_logger, _type.Plural, items.Count, rv);
        _ready.TrySetResult();
    }

    private async Task<bool> WatchOnceAsync(CancellationToken cancellationToken)
    {
        Watches.Add(1, _tag);
        Interlocked.Increment(ref _watches);
        var started = _time.GetTimestamp();
        var timeout = _options.WatchTimeoutSeconds > 0 ? _options.WatchTimeoutSeconds + _random.Next(_options.WatchTimeoutSeconds) : (int?)null;
        var sawEvent = false;
        await foreach (var ev in _client.WatchAsync(_type, new WatchOptions
        {
            Namespace = _options.Namespace,
            LabelSelector = _options.LabelSelector,
            FieldSelector = _options.FieldSelector,
            ResourceVersion = LastSyncResourceVersion,
            AllowWatchBookmarks = true,
            TimeoutSeconds = timeout,
        }, cancellationToken).ConfigureAwait(false))
        {
            sawEvent = true;
            Apply(ev);
        }
        if (!sawEvent && _time.GetElapsedTime(started) < _options.MinWatchDuration)
            throw new ShortWatchException($"watch of {_type.Plural} closed at once without events");
        return sawEvent;
    }

    private void Apply(WatchEvent<T> ev)
    {
        var obj = ev.Object!;
        var rv = obj.Metadata.ResourceVersion;
        EventsSeen.Add(1, _tag);
        switch (ev.Type)
        {
            case WatchEventTypes.Bookmark:
                break;
            case WatchEventTypes.Added:
            case WatchEventTypes.Modified:
            {
                lock (_dispatchGate)
                {
                    var key = ObjectKey.Of(obj);
                    T? old;
                    lock (_cacheGate)
                    {
                        _cache.TryGetValue(key, out old);
                        _cache[key] = obj;
                        SetResourceVersion(rv);
                    }
                    if (old is null) Dispatch(h => h.OnAdded?.Invoke(obj));
                    else Dispatch(h => h.OnUpdated?.Invoke(old, obj));
                }
                return;
            }
            case WatchEventTypes.Deleted:
            {
                lock (_dispatchGate)
                {
                    var key = ObjectKey.Of(obj);
                    bool had;
                    lock (_cacheGate)
                    {
                        had = _cache.Remove(key);
                        SetResourceVersion(rv);
                    }
                    if (had) Dispatch(h => h.OnDeleted?.Invoke(obj));
                }
                return;
            }
            default:
                Log.UnknownEvent(_logger, _type.Plural, ev.Type);
                break;
        }
        lock (_cacheGate) SetResourceVersion(rv);
    }

    private void SetResourceVersion(string? rv)
    {
        if (!string.IsNullOrEmpty(rv)) Volatile.Write(ref _resourceVersion, rv);
    }

    // Swap in a full list; tell handlers what differs from the old cache.
    private void Replace(Dictionary<ObjectKey, T> items, string? rv)
    {
        lock (_dispatchGate)
        {
            List<T> added = [], deleted = [];
            List<(T Old, T New)> updated = [];
            lock (_cacheGate)
            {
                foreach (var (key, obj) in items)
                {
                    if (!_cache.TryGetValue(key, out var old)) added.Add(obj);
                    else if (old.Metadata.ResourceVersion != obj.Metadata.ResourceVersion) updated.Add((old, obj));
                }
                foreach (var (key, old) in _cache)
                    if (!items.ContainsKey(key)) deleted.Add(old);
                _cache.Clear();
                foreach (var (key, obj) in items) _cache[key] = obj;
                SetResourceVersion(rv);
            }
            foreach (var obj in deleted) Dispatch(h => h.OnDeleted?.Invoke(obj));
            foreach (var obj in added) Dispatch(h => h.OnAdded?.Invoke(obj));
            foreach (var (o, n) in updated) Dispatch(h => h.OnUpdated?.Invoke(o, n));
        }
    }

    private void Dispatch(Action<Handler> call)
    {
        Handler[] handlers;
        lock (_handlers) handlers = [.. _handlers];
        foreach (var h in handlers) Invoke(() => call(h));
    }

    private void Invoke(Action action)
    {
        try
        {
            action();
        }
        catch (Exception ex)
        {
            Log.HandlerFailed(_logger, _type.Plural, ex);
        }
    }

    private sealed class Handler(Informer<T> owner, Action<T>? onAdded, Action<T, T>? onUpdated, Action<T>? onDeleted) : IDisposable
    {
        public Action<T>? OnAdded { get; } = onAdded;
        public Action<T, T>? OnUpdated { get; } = onUpdated;
        public Action<T>? OnDeleted { get; } = onDeleted;

        public void Dispose()
        {
            lock (owner._handlers) owner._handlers.Remove(this);
        }
    }

    private sealed class ShortWatchException(string message) : Exception(message);
}
