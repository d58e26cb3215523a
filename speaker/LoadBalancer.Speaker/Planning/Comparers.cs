using System.Net;
using LoadBalancer.Speaker.Announcing;

namespace LoadBalancer.Speaker.Planning;

/// <summary>Orders IPs: IPv4 before IPv6, then by address bytes.</summary>
internal sealed class IpComparer : IComparer<IPAddress>
{
    public static IpComparer Instance { get; } = new();

    public int Compare(IPAddress? x, IPAddress? y)
    {
        if (x is null || y is null) return x is null ? (y is null ? 0 : -1) : 1;
        var f = ((int)x.AddressFamily).CompareTo((int)y.AddressFamily);
        if (f != 0) return f;
        Span<byte> a = stackalloc byte[16], b = stackalloc byte[16];
        x.TryWriteBytes(a, out var na);
        y.TryWriteBytes(b, out var nb);
        return a[..na].SequenceCompareTo(b[..nb]);
    }
}

/// <summary>Orders Service keys by namespace, then name (ordinal).</summary>
internal sealed class ServiceKeyComparer : IComparer<ServiceKey>
{
    public static ServiceKeyComparer Instance { get; } = new();

    public int Compare(ServiceKey x, ServiceKey y)
    {
        var c = string.CompareOrdinal(x.Namespace, y.Namespace);
        return c != 0 ? c : string.CompareOrdinal(x.Name, y.Name);
    }
}
