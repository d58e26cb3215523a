using LoadBalancer.Speaker.Announcing;

namespace LoadBalancer.Speaker.DataPlane.Render;

/// <summary>Orders Services by namespace, then name (ordinal), so rendered output is deterministic.</summary>
internal sealed class ServiceKeyComparer : IComparer<ServiceKey>
{
    public static readonly ServiceKeyComparer Instance = new();

    public int Compare(ServiceKey x, ServiceKey y)
    {
        var c = string.CompareOrdinal(x.Namespace, y.Namespace);
        return c != 0 ? c : string.CompareOrdinal(x.Name, y.Name);
    }
}
