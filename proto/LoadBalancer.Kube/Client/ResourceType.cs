using System.Text.Json.Serialization.Metadata;
using LoadBalancer.Kube.Api;

namespace LoadBalancer.Kube;

/// <summary>
/// Describes one API resource: where it lives (group, version, plural, scope) and how its JSON is (de)serialized
/// (source-generated type infos, so no reflection). Built-in kinds are in <see cref="KubeResources"/>; another
/// assembly describes its own kinds (CRDs) with its own <c>JsonSerializerContext</c>:
/// <code>
/// new ResourceType&lt;IPAddressPool&gt;("lb.baremetal.dev", "v1alpha1", "ipaddresspools", "IPAddressPool", namespaced: true,
///     ModelJson.Default.IPAddressPool, ModelJson.Default.KubeListIPAddressPool, ModelJson.Default.WatchEventIPAddressPool);
/// </code>
/// </summary>
public sealed class ResourceType<T> where T : class, IKubeObject
{
    public ResourceType(string group, string version, string plural, string kind, bool namespaced,
        JsonTypeInfo<T> objectInfo, JsonTypeInfo<KubeList<T>> listInfo, JsonTypeInfo<WatchEvent<T>> watchEventInfo,
        bool supportsStrategicMerge = false)
    {
        ArgumentNullException.ThrowIfNull(group);
        ArgumentException.ThrowIfNullOrEmpty(version);
        ArgumentException.ThrowIfNullOrEmpty(plural);
        ArgumentException.ThrowIfNullOrEmpty(kind);
        ArgumentNullException.ThrowIfNull(objectInfo);
        ArgumentNullException.ThrowIfNull(listInfo);
        ArgumentNullException.ThrowIfNull(watchEventInfo);
        Group = group;
        Version = version;
        Plural = plural;
        Kind = kind;
        Namespaced = namespaced;
        ObjectInfo = objectInfo;
        ListInfo = listInfo;
        WatchEventInfo = watchEventInfo;
        SupportsStrategicMerge = supportsStrategicMerge;
        ApiVersion = group.Length == 0 ? version : group + "/" + version;
        _prefix = group.Length == 0 ? "/api/" + version : "/apis/" + group + "/" + version;
    }

    private readonly string _prefix;

    /// <summary>API group; empty for the core group (<c>v1</c>).</summary>
    public string Group { get; }
    public string Version { get; }
    /// <summary>Lower-case plural resource name in URLs (<c>services</c>).</summary>
    public string Plural { get; }
    public string Kind { get; }
    public bool Namespaced { get; }
    /// <summary><c>v1</c> or <c>group/version</c>.</summary>
    public string ApiVersion { get; }
    public JsonTypeInfo<T> ObjectInfo { get; }
    public JsonTypeInfo<KubeList<T>> ListInfo { get; }
    public JsonTypeInfo<WatchEvent<T>> WatchEventInfo { get; }
    /// <summary>True for built-in kinds: the API server accepts strategic merge patches for them (not for CRDs).</summary>
    public bool SupportsStrategicMerge { get; }

    /// <summary>The collection URL path: <c>/api/v1/namespaces/{ns}/services</c>, or across namespaces when ns is null.</summary>
    public string CollectionPath(string? @namespace)
    {
        if (!Namespaced || string.IsNullOrEmpty(@namespace)) return _prefix + "/" + Plural;
        return _prefix + "/namespaces/" + Uri.EscapeDataString(@namespace) + "/" + Plural;
    }

    /// <summary>One object's URL path (plus <c>/status</c> for the status subresource when asked).</summary>
    public string ObjectPath(string? @namespace, string name, string? subresource = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        if (Namespaced && string.IsNullOrEmpty(@namespace))
            throw new ArgumentException($"{Kind} is namespaced: a namespace is required to address '{name}'.", nameof(@namespace));
        var path = CollectionPath(Namespaced ? @namespace : null) + "/" + Uri.EscapeDataString(name);
        return subresource is null ? path : path + "/" + subresource;
    }

    public override string ToString() => $"{Plural}.{(Group.Length == 0 ? "core" : Group)}/{Version}";
}
