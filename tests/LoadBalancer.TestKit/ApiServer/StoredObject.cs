using System.Text.Json;
using System.Text.Json.Nodes;

namespace LoadBalancer.TestKit.ApiServer;

/// <summary>An immutable stored object: its serialized JSON plus the fields the store indexes.</summary>
internal sealed class StoredObject
{
    private static readonly Dictionary<string, string> NoLabels = [];

    private StoredObject(string apiVersion, string ns, string name, string uid, long resourceVersion, byte[] json,
        IReadOnlyDictionary<string, string> labels, string[] ownerUids, bool hasFinalizers, bool deleting)
    {
        ApiVersion = apiVersion;
        Namespace = ns;
        Name = name;
        Uid = uid;
        ResourceVersion = resourceVersion;
        Json = json;
        Labels = labels;
        OwnerUids = ownerUids;
        HasFinalizers = hasFinalizers;
        Deleting = deleting;
    }

    public string ApiVersion { get; }

    public string Namespace { get; }

    public string Name { get; }

    public string Key => Namespace.Length == 0 ? Name : Namespace + "/" + Name;

    public string Uid { get; }

    public long ResourceVersion { get; }

    /// <summary>UTF-8 JSON of the object in its storage form.</summary>
    public byte[] Json { get; }

    public IReadOnlyDictionary<string, string> Labels { get; }

    public string[] OwnerUids { get; }

    public bool HasFinalizers { get; }

    public bool Deleting { get; }

    /// <summary>A fresh mutable copy.</summary>
    public JsonObject Parse() => JsonNode.Parse(Json)!.AsObject();

    public static StoredObject From(JsonObject obj)
    {
        var meta = obj["metadata"] as JsonObject ?? [];
        var labels = NoLabels as IReadOnlyDictionary<string, string>;
        if (meta["labels"] is JsonObject l && l.Count > 0)
        {
            var d = new Dictionary<string, string>(l.Count, StringComparer.Ordinal);
            foreach (var (k, v) in l) d[k] = v is JsonValue jv && jv.TryGetValue<string>(out var s) ? s : v?.ToJsonString() ?? "";
            labels = d;
        }
        var owners = meta["ownerReferences"] is JsonArray refs
            ? refs.Select(r => r?["uid"]?.GetValue<string>()).Where(u => u is not null).Select(u => u!).ToArray()
            : [];
        var rv = long.TryParse(meta["resourceVersion"]?.GetValue<string>(), out var r) ? r : 0;
        return new StoredObject(
            obj["apiVersion"]?.GetValue<string>() ?? "",
            meta["namespace"]?.GetValue<string>() ?? "",
            meta["name"]?.GetValue<string>() ?? "",
            meta["uid"]?.GetValue<string>() ?? "",
            rv,
            JsonSerializer.SerializeToUtf8Bytes(obj, ApiJson.Options),
            labels,
            owners,
            meta["finalizers"] is JsonArray f && f.Count > 0,
            meta["deletionTimestamp"] is not null);
    }
}
