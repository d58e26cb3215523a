using System.Diagnostics.Metrics;
using System.Globalization;
using System.Text.Json.Nodes;
using LoadBalancer.Kube.Api;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace LoadBalancer.Kube;

/// <summary>
/// Records events.k8s.io/v1 Events without flooding the API server:
/// <list type="bullet">
/// <item>repeats of the same (regarding, reason, type, note) within <see cref="EventRecorderOptions.SeriesWindow"/>
///   join one Event's <c>series</c> (count, lastObservedTime), written with a merge patch at most every
///   <see cref="EventRecorderOptions.SeriesUpdateInterval"/>, never as new Events;</item>
/// <item>new Events per regarding object go through a token bucket (burst, refill): a flapping object cannot
///   create more than the bucket allows; the rest are dropped and counted
///   (<c>loadbalancer.kube.events.dropped</c>).</item>
/// </list>
/// <see cref="Record"/> never blocks and never throws; a background writer talks to the API.
/// <see cref="FlushAsync"/> writes every pending count now; <see cref="DisposeAsync"/> flushes and stops.
/// </summary>
public sealed partial class EventRecorder : IAsyncDisposable
{
    public const string Normal = "Normal";
    public const string Warning = "Warning";
    private const int MaxNoteLength = 1024;

    private static readonly Meter Meter = new("LoadBalancer.Kube.Events");
    private static readonly Counter<long> Recorded = Meter.CreateCounter<long>("loadbalancer.kube.events.recorded", description: "Record calls");
    private static readonly Counter<long> Dropped = Meter.CreateCounter<long>("loadbalancer.kube.events.dropped", description: "New Events dropped by the per-object rate limit");
    private static readonly Counter<long> Writes = Meter.CreateCounter<long>("loadbalancer.kube.events.writes", description: "Event creates and series patches sent");

    private readonly IKubeClient _client;
    private readonly EventRecorderOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly Lock _gate = new();
    private readonly Dictionary<EventKey, Entry> _entries = [];
    private readonly Dictionary<string, TokenBucket> _buckets = new(StringComparer.Ordinal);
    private readonly List<TaskCompletionSource> _flushWaiters = [];
    private readonly SemaphoreSlim _wake = new(0);
    private readonly CancellationTokenSource _stop = new();
    private readonly ITimer _timer;
    private readonly Task _writer;
    private bool _flushRequested;
    private long _dropped;
    private long _nameCounter;

    public EventRecorder(IKubeClient client, EventRecorderOptions options, TimeProvider? timeProvider = null, ILogger? logger = null)
    {
        ArgumentNullException.ThrowIfNull(client);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentException.ThrowIfNullOrEmpty(options.ReportingController);
        ArgumentException.ThrowIfNullOrEmpty(options.ReportingInstance);
        if (options.BurstPerObject < 1) throw new ArgumentException("EventRecorderOptions.BurstPerObject must be at least 1", nameof(options));
        _client = client;
        _options = options;
        _time = timeProvider ?? TimeProvider.System;
        _logger = logger ?? NullLogger.Instance;
        _timer = _time.CreateTimer(_ => Wake(), null, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
        _writer = Task.Run(() => WriterAsync(_stop.Token));
    }

    /// <summary>New Events dropped by the per-object rate limit so far.</summary>
    public long DroppedCount => Interlocked.Read(ref _dropped);

    /// <summary>A reference to an object for <see cref="Record"/>'s regarding/related.</summary>
    public static ObjectReference ReferenceTo(IKubeObject obj)
    {
        ArgumentNullException.ThrowIfNull(obj);
        return new ObjectReference
        {
            ApiVersion = obj.ApiVersion,
            Kind = obj.Kind,
            Namespace = obj.Metadata.Namespace,
            Name = obj.Metadata.Name,
            Uid = obj.Metadata.Uid,
            ResourceVersion = obj.Metadata.ResourceVersion,
        };
    }

    /// <summary>Records an occurrence. <paramref name="type"/> is <see cref="Normal"/> or <see cref="Warning"/>;
    /// <paramref name="reason"/> is UpperCamelCase; <paramref name="action"/> what was done; <paramref name="note"/>
    /// a human-readable sentence (cut at 1024 characters).</summary>
    public void Record(ObjectReference regarding, string type, string reason, string action, string note, ObjectReference? related = null)
    {
        try
        {
            RecordCore(regarding, type, reason, action, note, related);
        }
        catch (Exception ex)
        {
            Log.RecordFailed(_logger, reason, ex);
        }
    }

    public void Record(IKubeObject regarding, string type, string reason, string action, string note)
    {
        try
        {
            RecordCore(ReferenceTo(regarding), type, reason, action, note, null);
        }
        catch (Exception ex)
        {
            Log.RecordFailed(_logger, reason, ex);
        }
    }

    private void RecordCore(ObjectReference regarding, string type, string reason, string action, string note, ObjectReference? related)
    {
        ArgumentNullException.ThrowIfNull(regarding);
        Recorded.Add(1);
        if (type is not (Normal or Warning))
        {
            Log.BadType(_logger, type, reason);
            type = Warning;
        }
        note ??= "";
        if (note.Length > MaxNoteLength) note = note[..(MaxNoteLength - 3)] + "...";
        var objectId = ObjectId(regarding);
        var key = new EventKey(objectId, reason, type, note);
        var now = _time.GetUtcNow();
        var wake = false;
        lock (_gate)
        {
            if (_entries.TryGetValue(key, out var entry) && now - entry.LastObserved <= _options.SeriesWindow)
            {
                entry.Count++;
                entry.LastObserved = now;
                wake = entry.Created && now - entry.LastWrite >= _options.SeriesUpdateInterval;
            }
            else
            {
                if (!_buckets.TryGetValue(objectId, out var bucket))
                    _buckets[objectId] = bucket = new TokenBucket(_options.BurstPerObject, _options.RefillPerObject, now);
                if (!bucket.TryTake(now))
                {
                    Interlocked.Increment(ref _dropped);
                    Dropped.Add(1);
                    Log.Dropped(_logger, objectId, reason);
                    return;
                }
                var ns = string.IsNullOrEmpty(regarding.Namespace) ? "default" : regarding.Namespace;
                var name = $"{regarding.Name ?? "object"}.{(now.UtcTicks - DateTimeOffset.UnixEpoch.UtcTicks) * 100 + Interlocked.Increment(ref _nameCounter) % 100:x}";
                _entries[key] = new Entry(ns, name, regarding, related, type, reason, action, note, now);
                wake = true;
            }
        }
        if (wake) Wake();
    }

    /// <summary>Writes every pending Event and series count now; completes when done (or failed and logged).</summary>
    public Task FlushAsync(CancellationToken cancellationToken = default)
    {
        var tcs = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        lock (_gate)
        {
            _flushRequested = true;
            _flushWaiters.Add(tcs);
        }
        Wake();
        return tcs.Task.WaitAsync(cancellationToken);
    }

    public async ValueTask DisposeAsync()
    {
        if (_stop.IsCancellationRequested) return;
        try
        {
            await FlushAsync().WaitAsync(TimeSpan.FromSeconds(10)).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            Log.FlushTimedOut(_logger);
        }
        await _stop.CancelAsync().ConfigureAwait(false);
        try
        {
            await _writer.ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
        }
        await _timer.DisposeAsync().ConfigureAwait(false);
        _stop.Dispose();
        _wake.Dispose();
    }

    private void Wake()
    {
        try
        {
            if (_wake.CurrentCount == 0) _wake.Release();
        }
        catch (ObjectDisposedException)
        {
        }
    }

    private async Task WriterAsync(CancellationToken cancellationToken)
    {
        while (!cancellationToken.IsCancellationRequested)
        {
            await _wake.WaitAsync(cancellationToken).ConfigureAwait(false);
            bool force;
            List<TaskCompletionSource> waiters;
            lock (_gate)
            {
                force = _flushRequested;
                _flushRequested = false;
                waiters = [.. _flushWaiters];
                _flushWaiters.Clear();
            }
            try
            {
                await WritePassAsync(force, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
            {
                Log.RecordFailed(_logger, "(writer)", ex);
            }
            foreach (var w in waiters) w.TrySetResult();
        }
    }

    private async Task WritePassAsync(bool force, CancellationToken cancellationToken)
    {
        var now = _time.GetUtcNow();
        List<Entry> due = [];
        lock (_gate)
        {
            foreach (var e in _entries.Values)
            {
                if (e.NotBefore > now && !force) continue;
                if (!e.Created || (e.Count > e.WrittenCount && (force || now - e.LastWrite >= _options.SeriesUpdateInterval)))
                    due.Add(e);
            }
        }
        foreach (var e in due)
        {
            if (cancellationToken.IsCancellationRequested) return;
            await WriteAsync(e, cancellationToken).ConfigureAwait(false);
        }
        // Forget finished series, re-arm for the next pending patch.
        now = _time.GetUtcNow();
        var next = DateTimeOffset.MaxValue;
        lock (_gate)
        {
            List<EventKey>? stale = null;
            foreach (var (key, e) in _entries)
            {
                if (e.Created && e.Count == e.WrittenCount && now - e.LastObserved > _options.SeriesWindow) (stale ??= []).Add(key);
                else if (!e.Created || e.Count > e.WrittenCount)
                {
                    var at = e.Created ? e.LastWrite + _options.SeriesUpdateInterval : e.NotBefore;
                    if (at < next) next = at;
                }
            }
            if (stale is not null) foreach (var k in stale) _entries.Remove(k);
            foreach (var id in _buckets.Where(b => b.Value.IsFull(now)).Select(b => b.Key).ToList()) _buckets.Remove(id);
        }
        if (next != DateTimeOffset.MaxValue)
        {
            var wait = next - now;
            _timer.Change(wait < TimeSpan.Zero ? TimeSpan.Zero : wait, Timeout.InfiniteTimeSpan);
        }
    }

    private async Task WriteAsync(Entry e, CancellationToken cancellationToken)
    {
        int count;
        DateTimeOffset last;
        bool created;
        lock (_gate)
        {
            count = e.Count;
            last = e.LastObserved;
            created = e.Created;
        }
        try
        {
            if (!created)
            {
                await _client.CreateAsync(KubeResources.Events, Build(e, count, last), cancellationToken).ConfigureAwait(false);
            }
            else
            {
                var patch = new JsonObject
                {
                    ["series"] = new JsonObject
                    {
                        ["count"] = count,
                        ["lastObservedTime"] = last.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.ffffff'Z'", CultureInfo.InvariantCulture),
                    },
                };
                if (_options.FillDeprecatedFields)
                {
                    patch["deprecatedCount"] = count;
                    patch["deprecatedLastTimestamp"] = last.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);
                }
                try
                {
                    await _client.PatchAsync(KubeResources.Events, e.Namespace, e.Name, KubePatch.Merge(patch), cancellationToken).ConfigureAwait(false);
                }
                catch (KubeNotFoundException)
                {
                    // The Event expired (events have a TTL) or was deleted: write it again with the full count.
                    await _client.CreateAsync(KubeResources.Events, Build(e, count, last), cancellationToken).ConfigureAwait(false);
                }
            }
            Writes.Add(1);
            lock (_gate)
            {
                e.Created = true;
                e.WrittenCount = count;
                e.LastWrite = _time.GetUtcNow();
                e.Failures = 0;
            }
        }
        catch (KubeConflictException ex) when (ex.IsAlreadyExists && !created)
        {
            lock (_gate) e.Created = true; // written before; the next pass patches the count
        }
        catch (KubeApiException ex)
        {
            lock (_gate)
            {
                if (ex.IsTransient)
                {
                    e.Failures++;
                    e.NotBefore = _time.GetUtcNow() + Backoff.Exponential(TimeSpan.FromSeconds(1), TimeSpan.FromMinutes(1), e.Failures - 1);
                }
                else
                {
                    // Will not get better by retrying: give up on this occurrence (the next Record starts over).
                    e.Created = true;
                    e.WrittenCount = e.Count;
                    e.LastWrite = _time.GetUtcNow();
                }
            }
            Log.WriteFailed(_logger, e.Namespace, e.Name, e.Reason, ex.Message);
        }
    }

    private EventsV1Event Build(Entry e, int count, DateTimeOffset last)
    {
        var ev = new EventsV1Event
        {
            Metadata = new ObjectMeta { Name = e.Name, Namespace = e.Namespace },
            EventTime = e.FirstSeen,
            ReportingController = _options.ReportingController,
            ReportingInstance = _options.ReportingInstance,
            Action = e.Action,
            Reason = e.Reason,
            Regarding = e.Regarding,
            Related = e.Related,
            Note = e.Note,
            Type = e.Type,
            Series = count > 1 ? new EventSeries { Count = count, LastObservedTime = last } : null,
        };
        if (_options.FillDeprecatedFields)
        {
            ev.DeprecatedSource = new EventSource { Component = _options.ReportingController, Host = _options.Host };
            ev.DeprecatedFirstTimestamp = e.FirstSeen;
            ev.DeprecatedLastTimestamp = last;
            ev.DeprecatedCount = count;
        }
        return ev;
    }

    private static string ObjectId(ObjectReference r)
        => $"{r.ApiVersion}/{r.Kind}/{r.Namespace}/{r.Name}/{r.Uid}";

    private readonly record struct EventKey(string ObjectId, string Reason, string Type, string Note);

    private sealed class Entry(string ns, string name, ObjectReference regarding, ObjectReference? related, string type, string reason, string action, string note, DateTimeOffset now)
    {
        public string Namespace { get; } = ns;
        public string Name { get; } = name;
        public ObjectReference Regarding { get; } = regarding;
        public ObjectReference? Related { get; } = related;
        public string Type { get; } = type;
        public string Reason { get; } = reason;
        public string Action { get; } = action;
        public string Note { get; } = note;
        public DateTimeOffset FirstSeen { get; } = now;
        public DateTimeOffset LastObserved { get; set; } = now;
        public int Count { get; set; } = 1;
        public bool Created { get; set; }
        public int WrittenCount { get; set; }
        public DateTimeOffset LastWrite { get; set; }
        public DateTimeOffset NotBefore { get; set; }
        public int Failures { get; set; }
    }
}
