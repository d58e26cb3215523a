using System.Collections.Concurrent;
using System.Text.Json.Nodes;

namespace LoadBalancer.TestKit.ApiServer;

/// <summary>
/// Server-side apply, simplified: the configuration each field manager last applied is remembered per object; an
/// apply sets every field it carries and removes the fields the same manager applied last time and dropped now.
/// No managedFields, no conflicts between managers (force is implied).
/// </summary>
internal sealed class ServerSideApply
{
    private readonly ConcurrentDictionary<string, JsonObject> _lastApplied = new(StringComparer.Ordinal);

    private static string Key(ResourceType type, string ns, string name, string manager) => type.StorageKey + "|" + ns + "|" + name + "|" + manager;

    public JsonObject? LastApplied(ResourceType type, string ns, string name, string manager) =>
        _lastApplied.TryGetValue(Key(type, ns, name, manager), out var o) ? o : null;

    public void Remember(ResourceType type, string ns, string name, string manager, JsonObject applied) =>
        _lastApplied[Key(type, ns, name, manager)] = (JsonObject)applied.DeepClone();
}
