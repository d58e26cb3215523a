using LoadBalancer.Kube.Api;

namespace LoadBalancer.Kube;

/// <summary>The identity of an object in a cache or a work queue: <c>namespace/name</c> (or <c>name</c> when cluster-scoped).</summary>
public readonly record struct ObjectKey(string? Namespace, string Name)
{
    public static ObjectKey Of(IKubeObject obj)
    {
        ArgumentNullException.ThrowIfNull(obj);
        var ns = obj.Metadata.Namespace;
        return new ObjectKey(string.IsNullOrEmpty(ns) ? null : ns, obj.Metadata.Name ?? "");
    }

    /// <summary>Parses <c>ns/name</c> or <c>name</c>.</summary>
    public static ObjectKey Parse(string key)
    {
        ArgumentNullException.ThrowIfNull(key);
        var slash = key.IndexOf('/', StringComparison.Ordinal);
        return slash < 0 ? new ObjectKey(null, key) : new ObjectKey(key[..slash], key[(slash + 1)..]);
    }

    /// <summary>Orders by namespace then name, ordinal.</summary>
    public static Comparison<ObjectKey> Ordinal { get; } = (a, b) =>
    {
        var c = string.CompareOrdinal(a.Namespace, b.Namespace);
        return c != 0 ? c : string.CompareOrdinal(a.Name, b.Name);
    };

    public override string ToString() => Namespace is null ? Name : Namespace + "/" + Name;
}
