using System.Globalization;
using System.Runtime.CompilerServices;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Threading.Channels;
using LoadBalancer.Kube.Api;

namespace LoadBalancer.Kube.Tests.Fakes;

/// <summary>
/// An in-memory <see cref="IKubeClient"/> with API server semantics that matter to the client machinery:
/// resourceVersions, optimistic concurrency, merge patch, paging, label selectors, watch with replay from a
/// resourceVersion, 410 for compacted history, and fault injection (kill watches, compact, fail calls).
/// Objects are stored as JSON so callers never share instances with the store.
/// </summary>
internal sealed class FakeKubeClient : IKubeClient
{
    private readonly Lock _gate = new();
    private readonly Dictionary<(string Resource, ObjectKey Key), byte[]> _objects = [];
    private readonly List<(long Rv, string Resource, string Type, byte[] Json)> _history = [];
    private readonly List<Watcher> _watchers = [];
    private long _rv = 100;
    private long _floor;

    public string DefaultNamespace => "default";

    /// <summary>Called before every operation with its verb and resource; a returned exception is thrown.</summary>
    public Func<string, string, Exception?>? Fault { get; set; }

    public int Calls;

    public long ResourceVersion { get { lock (_gate) return _rv; } }

    public int WatcherCount { get { lock (_gate) return _watchers.Count; } }

    /// <summary>Ends every open watch stream (as a server restart or a proxy would).</summary>
    public void KillWatches()
    {
        lock (_gate)
        {
            foreach (var w in _watchers) w.Channel.Writer.TryComplete();
            _watchers.Clear();
        }
    }

    /// <summary>Forgets history: a watch from any older resourceVersion gets 410 Expired.</summary>
    public void Compact()
    {
        lock (_gate)
        {
            _floor = _rv;
            _history.Clear();
        }
    }

    /// <summary>Sends a BOOKMARK with the current resourceVersion to every watcher.</summary>
    public void Bookmark()
    {
        lock (_gate)
        {
            foreach (var w in _watchers) w.Channel.Writer.TryWrite((WatchEventTypes.Bookmark, null, _rv));
        }
    }

    public IReadOnlyList<T> All<T>(ResourceType<T> type) where T : class, IKubeObject
    {
        lock (_gate)
            return _objects.Where(p => p.Key.Resource == Res(type)).Select(p => JsonSerializer.Deserialize(p.Value, type.ObjectInfo)!).ToList();
    }

    private static string Res<T>(ResourceType<T> type) where T : class, IKubeObject => type.Plural + "." + type.Group;

    private void Check(string verb, string resource)
    {
        Interlocked.Increment(ref Calls);
        if (Fault?.Invoke(verb, resource) is { } ex) throw ex;
    }

    private static KubeApiException NotFound<T>(ResourceType<T> type, ObjectKey key) where T : class, IKubeObject
        => KubeClient.Error(404, new Status { Code = 404, Reason = "NotFound", Message = $"{type.Plural} \"{key.Name}\" not found" }, $"{type.Plural} \"{key.Name}\" not found");

    public Task<T> GetAsync<T>(ResourceType<T> type, string? @namespace, string name, CancellationToken cancellationToken = default) where T : class, IKubeObject
    {
        Check("get", type.Plural);
        var key = new ObjectKey(type.Namespaced ? @namespace ?? DefaultNamespace : null, name);
        lock (_gate)
        {
            if (!_objects.TryGetValue((Res(type), key), out var json)) throw NotFound(type, key);
            return Task.FromResult(JsonSerializer.Deserialize(json, type.ObjectInfo)!);
        }
    }

    public Task<KubeList<T>> ListAsync<T>(ResourceType<T> type, ListOptions? options = null, CancellationToken cancellationToken = default) where T : class, IKubeObject
    {
        Check("list", type.Plural);
        options ??= new ListOptions();
        var selector = LabelSelectorMatcher.Parse(options.LabelSelector ?? "");
        lock (_gate)
        {
            var items = _objects.Where(p => p.Key.Resource == Res(type) && (options.Namespace is null || p.Key.Key.Namespace == options.Namespace))
                .OrderBy(p => p.Key.Key.ToString(), StringComparer.Ordinal)
                .Select(p => JsonSerializer.Deserialize(p.Value, type.ObjectInfo)!)
                .Where(o => selector.Matches(o.Metadata.Labels))
                .ToList();
            var start = options.Continue is null ? 0 : int.Parse(options.Continue, CultureInfo.InvariantCulture);
            var count = options.Limit is > 0 ? Math.Min(options.Limit.Value, items.Count - start) : items.Count - start;
            var page = items.GetRange(start, count);
            var next = start + count < items.Count ? (start + count).ToString(CultureInfo.InvariantCulture) : null;
            return Task.FromResult(new KubeList<T> { Items = page, Metadata = new ListMeta { ResourceVersion = _rv.ToString(CultureInfo.InvariantCulture), Continue = next } });
        }
    }

    public async IAsyncEnumerable<WatchEvent<T>> WatchAsync<T>(ResourceType<T> type, WatchOptions? options = null,
        [EnumeratorCancellation] CancellationToken cancellationToken = default) where T : class, IKubeObject
    {
        Check("watch", type.Plural);
        options ??= new WatchOptions();
        var selector = LabelSelectorMatcher.Parse(options.LabelSelector ?? "");
        var watcher = new Watcher(Res(type));
        lock (_gate)
        {
            if (options.ResourceVersion is { Length: > 0 } rvText && rvText != "0")
            {
                var from = long.Parse(rvText, CultureInfo.InvariantCulture);
                if (from < _floor)
                    throw KubeClient.Error(410, new Status { Code = 410, Reason = "Expired", Message = $"too old resource version: {from} ({_floor})" }, "expired");
                foreach (var h in _history.Where(h => h.Rv > from && h.Resource == watcher.Resource))
                    watcher.Channel.Writer.TryWrite((h.Type, h.Json, h.Rv));
            }
            _watchers.Add(watcher);
        }
        try
        {
            await foreach (var (evType, json, rv) in watcher.Channel.Reader.ReadAllAsync(cancellationToken).ConfigureAwait(false))
            {
                T obj;
                if (json is null)
                {
                    if (!options.AllowWatchBookmarks) continue;
                    obj = JsonSerializer.Deserialize("""{"metadata":{}}"""u8, type.ObjectInfo)!;
                    obj.Metadata.ResourceVersion = rv.ToString(CultureInfo.InvariantCulture);
                }
                else
                {
                    obj = JsonSerializer.Deserialize(json, type.ObjectInfo)!;
                    if (options.Namespace is not null && obj.Metadata.Namespace != options.Namespace) continue;
                    if (!selector.Matches(obj.Metadata.Labels)) continue;
                }
                yield return new WatchEvent<T> { Type = evType, Object = obj };
            }
        }
        finally
        {
            lock (_gate) _watchers.Remove(watcher);
        }
    }

    public Task<T> CreateAsync<T>(ResourceType<T> type, T obj, CancellationToken cancellationToken = default) where T : class, IKubeObject
    {
        Check("create", type.Plural);
        lock (_gate)
        {
            var copy = Copy(type, obj);
            if (type.Namespaced) copy.Metadata.Namespace ??= DefaultNamespace;
            var key = ObjectKey.Of(copy);
            if (_objects.ContainsKey((Res(type), key)))
                throw KubeClient.Error(409, new Status { Code = 409, Reason = "AlreadyExists", Message = $"{type.Plural} \"{key.Name}\" already exists" }, "exists");
            copy.Metadata.Uid = Guid.NewGuid().ToString();
            copy.Metadata.CreationTimestamp = DateTimeOffset.UnixEpoch;
            return Task.FromResult(Store(type, copy, WatchEventTypes.Added));
        }
    }

    public Task<T> ReplaceAsync<T>(ResourceType<T> type, T obj, CancellationToken cancellationToken = default) where T : class, IKubeObject
    {
        Check("update", type.Plural);
        lock (_gate)
        {
            var copy = Copy(type, obj);
            if (type.Namespaced) copy.Metadata.Namespace ??= DefaultNamespace;
            var key = ObjectKey.Of(copy);
            if (!_objects.TryGetValue((Res(type), key), out var json)) throw NotFound(type, key);
            var current = JsonSerializer.Deserialize(json, type.ObjectInfo)!;
            if (copy.Metadata.ResourceVersion is { Length: > 0 } rv && rv != current.Metadata.ResourceVersion)
                throw KubeClient.Error(409, new Status { Code = 409, Reason = "Conflict", Message = $"Operation cannot be fulfilled on {type.Plural} \"{key.Name}\": the object has been modified; please apply your changes to the latest version and try again" }, "conflict");
            copy.Metadata.Uid = current.Metadata.Uid;
            return Task.FromResult(Store(type, copy, WatchEventTypes.Modified));
        }
    }

    public Task<T> ReplaceStatusAsync<T>(ResourceType<T> type, T obj, CancellationToken cancellationToken = default) where T : class, IKubeObject
        => ReplaceAsync(type, obj, cancellationToken);

    public Task<T> PatchAsync<T>(ResourceType<T> type, string? @namespace, string name, KubePatch patch, CancellationToken cancellationToken = default) where T : class, IKubeObject
    {
        Check("patch", type.Plural);
        var key = new ObjectKey(type.Namespaced ? @namespace ?? DefaultNamespace : null, name);
        lock (_gate)
        {
            if (!_objects.TryGetValue((Res(type), key), out var json)) throw NotFound(type, key);
            var target = JsonNode.Parse(json)!;
            var merged = MergePatch(target, JsonNode.Parse(patch.Body.Span)!);
            var obj = JsonSerializer.Deserialize(merged!.ToJsonString(), type.ObjectInfo)!;
            return Task.FromResult(Store(type, obj, WatchEventTypes.Modified));
        }
    }

    public Task<T> PatchStatusAsync<T>(ResourceType<T> type, string? @namespace, string name, KubePatch patch, CancellationToken cancellationToken = default) where T : class, IKubeObject
        => PatchAsync(type, @namespace, name, patch, cancellationToken);

    public Task DeleteAsync<T>(ResourceType<T> type, string? @namespace, string name, DeleteOptions? options = null, CancellationToken cancellationToken = default) where T : class, IKubeObject
    {
        Check("delete", type.Plural);
        var key = new ObjectKey(type.Namespaced ? @namespace ?? DefaultNamespace : null, name);
        lock (_gate)
        {
            if (!_objects.Remove((Res(type), key), out var json)) throw NotFound(type, key);
            var obj = JsonSerializer.Deserialize(json, type.ObjectInfo)!;
            _rv++;
            obj.Metadata.ResourceVersion = _rv.ToString(CultureInfo.InvariantCulture);
            Publish(Res(type), WatchEventTypes.Deleted, JsonSerializer.SerializeToUtf8Bytes(obj, type.ObjectInfo));
        }
        return Task.CompletedTask;
    }

    private static T Copy<T>(ResourceType<T> type, T obj) where T : class, IKubeObject
        => JsonSerializer.Deserialize(JsonSerializer.SerializeToUtf8Bytes(obj, type.ObjectInfo), type.ObjectInfo)!;

    private T Store<T>(ResourceType<T> type, T obj, string evType) where T : class, IKubeObject
    {
        _rv++;
        obj.Metadata.ResourceVersion = _rv.ToString(CultureInfo.InvariantCulture);
        var json = JsonSerializer.SerializeToUtf8Bytes(obj, type.ObjectInfo);
        _objects[(Res(type), ObjectKey.Of(obj))] = json;
        Publish(Res(type), evType, json);
        return JsonSerializer.Deserialize(json, type.ObjectInfo)!;
    }

    private void Publish(string resource, string evType, byte[] json)
    {
        _history.Add((_rv, resource, evType, json));
        foreach (var w in _watchers)
            if (w.Resource == resource) w.Channel.Writer.TryWrite((evType, json, _rv));
    }

    private static JsonNode? MergePatch(JsonNode? target, JsonNode? patch)
    {
        if (patch is not JsonObject po) return patch?.DeepClone();
        var to = target as JsonObject ?? [];
        foreach (var (k, v) in po)
        {
            if (v is null) to.Remove(k);
            else to[k] = MergePatch(to[k]?.DeepClone(), v);
        }
        return to;
    }

    private sealed class Watcher(string resource)
    {
        public string Resource { get; } = resource;
        public Channel<(string Type, byte[]? Json, long Rv)> Channel { get; } = System.Threading.Channels.Channel.CreateUnbounded<(string, byte[]?, long)>();
    }
}
