using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace LoadBalancer.TestKit.ApiServer;

/// <summary>
/// The emulator's etcd: every object of every resource, one global resourceVersion counter, a bounded event log
/// for watch resume, watch fan-out, and the write semantics of the real API server (metadata, generation,
/// finalizers, garbage collection, namespace lifecycle, per-kind admission). One lock; reads snapshot under it.
/// </summary>
internal sealed partial class ObjectStore
{
    private const string NamespacesStorage = "/namespaces";
    private const string CrdStorage = "apiextensions.k8s.io/customresourcedefinitions";

    private readonly Lock _lock = new();
    private readonly Dictionary<string, SortedDictionary<string, StoredObject>> _storages = new(StringComparer.Ordinal);
    private readonly List<WatchEvent> _log = [];
    private readonly Dictionary<string, List<Watcher>> _watchers = new(StringComparer.Ordinal);
    private readonly Dictionary<string, (string Storage, string Key)> _byUid = new(StringComparer.Ordinal);
    private readonly Dictionary<string, HashSet<(string Storage, string Key)>> _dependents = new(StringComparer.Ordinal);
    private readonly int _maxLog;
    private long _rv;
    private long _compactedRv;

    public ObjectStore(ResourceRegistry registry, TimeProvider time, ServiceAllocator services, int maxLog)
    {
        Registry = registry;
        Time = time;
        Services = services;
        _maxLog = Math.Max(16, maxLog);
    }

    public ResourceRegistry Registry { get; }

    public TimeProvider Time { get; }

    public ServiceAllocator Services { get; }

    public long CurrentResourceVersion
    {
        get { lock (_lock) return _rv; }
    }

    private SortedDictionary<string, StoredObject> StorageFor(string key)
    {
        if (!_storages.TryGetValue(key, out var s))
        {
            s = new SortedDictionary<string, StoredObject>(StringComparer.Ordinal);
            _storages[key] = s;
        }
        return s;
    }

    private static string ObjectKey(string ns, string name) => ns.Length == 0 ? name : ns + "/" + name;

    // ---------------------------------------------------------------- conversion between a type and its storage

    /// <summary>The object as <paramref name="type"/> serves it.</summary>
    public static JsonObject ToTypeForm(ResourceType type, StoredObject stored)
    {
        var obj = stored.Parse();
        if (type.FromStorage is not null) return type.FromStorage(obj);
        obj["apiVersion"] = type.ApiVersion;
        return obj;
    }

    /// <summary>True when the stored bytes can be sent as they are for <paramref name="type"/>.</summary>
    public static bool ServesRaw(ResourceType type, StoredObject stored) => type.FromStorage is null && stored.ApiVersion == type.ApiVersion;

    private static JsonObject ToStorageForm(ResourceType type, JsonObject obj) => type.ToStorage is not null ? type.ToStorage(obj) : obj;

    // ---------------------------------------------------------------- reads

    public StoredObject? GetStored(ResourceType type, string ns, string name)
    {
        lock (_lock)
        {
            return _storages.TryGetValue(type.StorageKey, out var s) && s.TryGetValue(ObjectKey(type.Namespaced ? ns : "", name), out var o) ? o : null;
        }
    }

    public JsonObject Get(ResourceType type, string ns, string name) =>
        GetStored(type, ns, name) is { } o ? ToTypeForm(type, o) : throw ApiException.NotFound(type, name);

    /// <summary>A consistent snapshot of (filtered) objects in key order and the resourceVersion it was taken at.</summary>
    public (List<StoredObject> Items, long ResourceVersion, string? Continue, long Remaining) List(
        ResourceType type, string? ns, LabelSelector labels, FieldSelector fields, int limit, string? continueToken)
    {
        string? startAfter = null;
        long listRv;
        List<StoredObject> candidates;
        lock (_lock)
        {
            listRv = _rv;
            if (!string.IsNullOrEmpty(continueToken))
            {
                (var tokenRv, startAfter) = DecodeContinue(continueToken);
                if (tokenRv < _compactedRv)
                {
                    throw new ApiException(410, "Expired",
                        "The provided continue parameter is too old to display a consistent list result. You can start a new list without the continue parameter, or use the continue token in this response to retrieve the remainder of the results. Continuing with the provided token results in an inconsistent list - objects that were created, modified, or deleted between the time the first chunk was returned and now may show up in the list.");
                }
                listRv = tokenRv;
            }
            candidates = _storages.TryGetValue(type.StorageKey, out var s) ? new List<StoredObject>(s.Count) : [];
            if (s is not null)
            {
                foreach (var (key, o) in s)
                {
                    if (startAfter is not null && string.CompareOrdinal(key, startAfter) <= 0) continue;
                    if (ns is not null && o.Namespace != ns) continue;
                    candidates.Add(o);
                }
            }
        }
        var items = new List<StoredObject>(limit > 0 ? Math.Min(limit, candidates.Count) : candidates.Count);
        string? next = null;
        long remaining = 0;
        for (var i = 0; i < candidates.Count; i++)
        {
            var o = candidates[i];
            if (!labels.Matches(o.Labels)) continue;
            if (!fields.IsEmpty && !fields.Matches(o.Namespace, o.Name, o.Parse)) continue;
            if (limit > 0 && items.Count == limit)
            {
                next = EncodeContinue(listRv, items[^1].Key);
                if (labels.IsEmpty && fields.IsEmpty) remaining = candidates.Count - i;
                break;
            }
            items.Add(o);
        }
        return (items, listRv, next, remaining);
    }

    private static string EncodeContinue(long rv, string startAfter)
    {
        var json = JsonSerializer.Serialize(new JsonObject { ["v"] = "meta.k8s.io/v1", ["rv"] = rv, ["start"] = startAfter });
        return Convert.ToBase64String(Encoding.UTF8.GetBytes(json)).TrimEnd('=').Replace('+', '-').Replace('/', '_');
    }

    private static (long Rv, string Start) DecodeContinue(string token)
    {
        try
        {
            var b64 = token.Replace('-', '+').Replace('_', '/');
            b64 = b64.PadRight(b64.Length + ((4 - (b64.Length % 4)) % 4), '=');
            var node = JsonNode.Parse(Convert.FromBase64String(b64))!;
            return (node["rv"]!.GetValue<long>(), node["start"]!.GetValue<string>());
        }
        catch (Exception e) when (e is FormatException or JsonException or NullReferenceException or InvalidOperationException)
        {
            throw ApiException.BadRequest("continue key is not valid: " + e.Message);
        }
    }

    // ---------------------------------------------------------------- watch

    /// <summary>
    /// Subscribes to a storage. With no resourceVersion (or "0") the current objects come back as synthetic ADDED
    /// events; with one, every retained event after it; a version older than the compaction point is 410 Gone.
    /// </summary>
    public (Watcher Watcher, List<WatchEvent> Backlog, long ResourceVersion) Watch(ResourceType type, string? ns, long? fromRv)
    {
        lock (_lock)
        {
            var backlog = new List<WatchEvent>();
            if (fromRv is null)
            {
                if (_storages.TryGetValue(type.StorageKey, out var s))
                {
                    foreach (var o in s.Values)
                        if (ns is null || o.Namespace == ns) backlog.Add(new WatchEvent(o.ResourceVersion, type.StorageKey, "ADDED", o, null));
                }
            }
            else
            {
                if (fromRv.Value < _compactedRv)
                    throw ApiException.Gone($"too old resource version: {fromRv.Value} ({_compactedRv})");
                var start = FirstLogIndexAfter(fromRv.Value);
                for (var i = start; i < _log.Count; i++)
                {
                    var e = _log[i];
                    if (e.StorageKey == type.StorageKey && (ns is null || e.Object.Namespace == ns)) backlog.Add(e);
                }
            }
            var w = new Watcher(type.StorageKey, ns);
            if (!_watchers.TryGetValue(type.StorageKey, out var list)) _watchers[type.StorageKey] = list = [];
            list.Add(w);
            return (w, backlog, _rv);
        }
    }

    private int FirstLogIndexAfter(long rv)
    {
        int lo = 0, hi = _log.Count;
        while (lo < hi)
        {
            var mid = (lo + hi) / 2;
            if (_log[mid].ResourceVersion <= rv) lo = mid + 1;
            else hi = mid;
        }
        return lo;
    }

    public void Unwatch(Watcher w)
    {
        lock (_lock)
        {
            if (_watchers.TryGetValue(w.StorageKey, out var list)) list.Remove(w);
        }
    }

    /// <summary>Ends every open watch stream (fault injection and shutdown).</summary>
    public int DropWatches()
    {
        List<Watcher> all;
        lock (_lock)
        {
            all = _watchers.Values.SelectMany(l => l).ToList();
            foreach (var l in _watchers.Values) l.Clear();
        }
        foreach (var w in all) w.Drop();
        return all.Count;
    }

    public int WatcherCount
    {
        get { lock (_lock) return _watchers.Values.Sum(l => l.Count); }
    }

    /// <summary>Forgets the event history: every resourceVersion older than now is answered with 410 Gone / Expired.</summary>
    public void ExpireResourceVersions()
    {
        lock (_lock)
        {
            _compactedRv = _rv;
            _log.Clear();
        }
    }

    // ---------------------------------------------------------------- commit primitives (under _lock)

    private StoredObject Commit(string storageKey, JsonObject obj, string eventType, StoredObject? previous)
    {
        var meta = ApiJson.Metadata(obj);
        meta["resourceVersion"] = (++_rv).ToString(System.Globalization.CultureInfo.InvariantCulture);
        var stored = StoredObject.From(obj);
        var storage = StorageFor(storageKey);
        storage[stored.Key] = stored;
        if (previous is not null) Unindex(storageKey, previous);
        Index(storageKey, stored);
        Append(new WatchEvent(_rv, storageKey, eventType, stored, previous));
        return stored;
    }

    private StoredObject CommitRemove(string storageKey, StoredObject old)
    {
        var obj = old.Parse();
        ApiJson.Metadata(obj)["resourceVersion"] = (++_rv).ToString(System.Globalization.CultureInfo.InvariantCulture);
        var final = StoredObject.From(obj);
        StorageFor(storageKey).Remove(old.Key);
        Unindex(storageKey, old);
        Append(new WatchEvent(_rv, storageKey, "DELETED", final, old));
        return final;
    }

    private void Append(WatchEvent e)
    {
        _log.Add(e);
        if (_log.Count > _maxLog * 2)
        {
            var drop = _log.Count - _maxLog;
            _compactedRv = _log[drop - 1].ResourceVersion;
            _log.RemoveRange(0, drop);
        }
        if (_watchers.TryGetValue(e.StorageKey, out var list))
            foreach (var w in list) w.Publish(e);
    }

    private void Index(string storage, StoredObject o)
    {
        if (o.Uid.Length > 0) _byUid[o.Uid] = (storage, o.Key);
        foreach (var owner in o.OwnerUids)
        {
            if (!_dependents.TryGetValue(owner, out var set)) _dependents[owner] = set = [];
            set.Add((storage, o.Key));
        }
    }

    private void Unindex(string storage, StoredObject o)
    {
        if (o.Uid.Length > 0) _byUid.Remove(o.Uid);
        foreach (var owner in o.OwnerUids)
        {
            if (_dependents.TryGetValue(owner, out var set))
            {
                set.Remove((storage, o.Key));
                if (set.Count == 0) _dependents.Remove(owner);
            }
        }
    }

    private bool NamespaceExists(string ns) =>
        _storages.TryGetValue(NamespacesStorage, out var s) && s.ContainsKey(ns);

    private static string NewUid() => Guid.NewGuid().ToString();

    private static string RandomSuffix()
    {
        const string alphabet = "bcdfghjklmnpqrstvwxz2456789";
        Span<char> chars = stackalloc char[5];
        for (var i = 0; i < chars.Length; i++) chars[i] = alphabet[RandomNumberGenerator.GetInt32(alphabet.Length)];
        return new string(chars);
    }
}
