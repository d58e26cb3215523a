using System.Diagnostics.Metrics;

namespace LoadBalancer.Kube;

/// <summary>
/// A work queue with client-go semantics:
/// <list type="bullet">
/// <item>a key added while already queued is queued once (dedupe);</item>
/// <item>a key is never handed to two workers at once: added while being processed, it is queued again only
///   after <see cref="Done"/> (the dirty and processing sets);</item>
/// <item><see cref="AddRateLimited"/> requeues after a per-key exponential delay (BaseDelay * 2^failures, capped);
///   <see cref="Forget"/> resets it after a success;</item>
/// <item><see cref="AddAfter"/> delays on the <see cref="TimeProvider"/>; <see cref="ShutDown"/> lets workers
///   drain what is queued, then <see cref="GetAsync"/> reports the end.</item>
/// </list>
/// Every worker must call <see cref="Done"/> for each key it got. Thread-safe.
/// </summary>
public sealed class WorkQueue<TKey> : IDisposable where TKey : notnull
{
    private static readonly Meter Meter = new("LoadBalancer.Kube.WorkQueue");
    private static readonly Counter<long> Adds = Meter.CreateCounter<long>("loadbalancer.kube.workqueue.adds", description: "Keys added to a work queue");
    private static readonly Counter<long> Retries = Meter.CreateCounter<long>("loadbalancer.kube.workqueue.retries", description: "Rate-limited requeues");

    private readonly Lock _gate = new();
    private readonly Queue<TKey> _queue = new();
    private readonly HashSet<TKey> _dirty = [];
    private readonly HashSet<TKey> _processing = [];
    private readonly Dictionary<TKey, int> _failures = [];
    private readonly Dictionary<TKey, DateTimeOffset> _waiting = [];
    private readonly TimeProvider _time;
    private readonly WorkQueueOptions _options;
    private readonly ITimer _timer;
    private readonly KeyValuePair<string, object?> _tag;
    private TaskCompletionSource? _signal;
    private DateTimeOffset _timerDue = DateTimeOffset.MaxValue;
    private bool _shuttingDown;

    public WorkQueue(TimeProvider? timeProvider = null, WorkQueueOptions? options = null)
    {
        _time = timeProvider ?? TimeProvider.System;
        _options = options ?? new WorkQueueOptions();
        if (_options.BaseDelay <= TimeSpan.Zero || _options.MaxDelay < _options.BaseDelay)
            throw new ArgumentException("WorkQueueOptions: BaseDelay must be positive and not above MaxDelay", nameof(options));
        _tag = new("queue", _options.Name);
        _timer = _time.CreateTimer(_ => OnTimer(), null, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
    }

    /// <summary>Keys queued and ready (not counting delayed or in-process ones).</summary>
    public int Count { get { lock (_gate) return _queue.Count; } }

    /// <summary>Keys waiting for their delay.</summary>
    public int DelayedCount { get { lock (_gate) return _waiting.Count; } }

    /// <summary>Keys handed out and not yet Done.</summary>
    public int ProcessingCount { get { lock (_gate) return _processing.Count; } }

    public bool IsShuttingDown { get { lock (_gate) return _shuttingDown; } }

    /// <summary>Queues the key now (once, however often it is added before a worker takes it).</summary>
    public void Add(TKey key)
    {
        TaskCompletionSource? wake;
        lock (_gate)
        {
            wake = AddLocked(key);
        }
        wake?.TrySetResult();
    }

    /// <summary>Queues the key after a delay; an earlier pending delay of the same key wins.</summary>
    public void AddAfter(TKey key, TimeSpan delay)
    {
        if (delay <= TimeSpan.Zero)
        {
            Add(key);
            return;
        }
        lock (_gate)
        {
            if (_shuttingDown) return;
            var due = _time.GetUtcNow() + delay;
            if (_waiting.TryGetValue(key, out var existing) && existing <= due) return;
            _waiting[key] = due;
            ArmLocked();
        }
    }

    /// <summary>Queues the key after its per-key backoff (and counts a failure).</summary>
    public void AddRateLimited(TKey key)
    {
        Retries.Add(1, _tag);
        AddAfter(key, NextDelay(key));
    }

    /// <summary>The delay <see cref="AddRateLimited"/> uses for this key now, counting one more failure.</summary>
    public TimeSpan NextDelay(TKey key)
    {
        int failures;
        lock (_gate)
        {
            _failures.TryGetValue(key, out failures);
            _failures[key] = failures + 1;
        }
        return Backoff.Exponential(_options.BaseDelay, _options.MaxDelay, failures);
    }

    /// <summary>Clears the key's failure count (call after it was processed successfully).</summary>
    public void Forget(TKey key)
    {
        lock (_gate) _failures.Remove(key);
    }

    /// <summary>How many rate-limited requeues the key has had since its last <see cref="Forget"/>.</summary>
    public int NumRequeues(TKey key)
    {
        lock (_gate) return _failures.TryGetValue(key, out var n) ? n : 0;
    }

    /// <summary>Waits for a key. <see cref="WorkItem{TKey}.IsShutdown"/> is true once the queue is shut down and drained.</summary>
    public async ValueTask<WorkItem<TKey>> GetAsync(CancellationToken cancellationToken = default)
    {
        while (true)
        {
            Task wait;
            lock (_gate)
            {
                if (_queue.Count > 0)
                {
                    var key = _queue.Dequeue();
                    _processing.Add(key);
                    _dirty.Remove(key);
                    return new WorkItem<TKey>(key, false);
                }
                if (_shuttingDown) return new WorkItem<TKey>(default!, true);
                _signal ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                wait = _signal.Task;
            }
            await wait.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Marks the key processed; if it was added meanwhile it is queued again now.</summary>
    public void Done(TKey key)
    {
        TaskCompletionSource? wake = null;
        lock (_gate)
        {
            _processing.Remove(key);
            if (_dirty.Contains(key))
            {
                _queue.Enqueue(key);
                wake = TakeSignalLocked();
            }
        }
        wake?.TrySetResult();
    }

    /// <summary>Stops accepting keys; queued keys are still handed out, then GetAsync reports shutdown.</summary>
    public void ShutDown()
    {
        TaskCompletionSource? wake;
        lock (_gate)
        {
            _shuttingDown = true;
            _waiting.Clear();
            _timer.Change(Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
            wake = TakeSignalLocked();
        }
        wake?.TrySetResult();
    }

    public void Dispose()
    {
        ShutDown();
        _timer.Dispose();
    }

    private TaskCompletionSource? AddLocked(TKey key)
    {
        if (_shuttingDown) return null;
        Adds.Add(1, _tag);
        if (!_dirty.Add(key)) return null;
        if (_processing.Contains(key)) return null;
        _queue.Enqueue(key);
        return TakeSignalLocked();
    }

    private TaskCompletionSource? TakeSignalLocked()
    {
        var s = _signal;
        _signal = null;
        return s;
    }

    private void ArmLocked()
    {
        var earliest = DateTimeOffset.MaxValue;
        foreach (var due in _waiting.Values)
            if (due < earliest) earliest = due;
        if (earliest == DateTimeOffset.MaxValue)
        {
            _timerDue = earliest;
            _timer.Change(Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
            return;
        }
        if (earliest == _timerDue) return;
        _timerDue = earliest;
        var wait = earliest - _time.GetUtcNow();
        _timer.Change(wait < TimeSpan.Zero ? TimeSpan.Zero : wait, Timeout.InfiniteTimeSpan);
    }

    private void OnTimer()
    {
        TaskCompletionSource? wake = null;
        lock (_gate)
        {
            _timerDue = DateTimeOffset.MaxValue;
            var now = _time.GetUtcNow();
            List<TKey>? ready = null;
            foreach (var (key, due) in _waiting)
                if (due <= now) (ready ??= []).Add(key);
            if (ready is not null)
            {
                foreach (var key in ready)
                {
                    _waiting.Remove(key);
                    wake = AddLocked(key) ?? wake;
                }
            }
            ArmLocked();
        }
        wake?.TrySetResult();
    }
}
