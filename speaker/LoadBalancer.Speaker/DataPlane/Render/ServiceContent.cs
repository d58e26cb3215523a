using System.Collections.Immutable;
using LoadBalancer.Speaker.Announcing;

namespace LoadBalancer.Speaker.DataPlane.Render;

/// <summary>
/// Whether two <see cref="DataPlaneService"/> values say the same thing. The planner builds new instances on every
/// plan, and record equality compares its arrays and dictionaries by reference, so the incremental render compares
/// content: an unchanged Service is reused as rendered, whoever built it. O(size of the Service), allocation-free.
/// </summary>
internal static class ServiceContent
{
    public static bool Same(DataPlaneService a, DataPlaneService b)
    {
        if (ReferenceEquals(a, b)) return true;
        return a.Key == b.Key && a.ExternalTrafficPolicy == b.ExternalTrafficPolicy && a.InternalTrafficPolicy == b.InternalTrafficPolicy
            && a.SessionAffinityTimeout == b.SessionAffinityTimeout && a.HealthCheckNodePort == b.HealthCheckNodePort
            && a.PreferClose == b.PreferClose && a.LoadBalancing == b.LoadBalancing
            && Seq(a.LoadBalancerIps, b.LoadBalancerIps, static (x, y) => x.Equals(y))
            && Seq(a.Ports, b.Ports, static (x, y) => x == y)
            && Seq(a.SourceRanges, b.SourceRanges, static (x, y) => x.Equals(y))
            && Seq(a.Endpoints, b.Endpoints, SameEndpoint);
    }

    private static bool SameEndpoint(EndpointSpec x, EndpointSpec y)
    {
        if (ReferenceEquals(x, y)) return true;
        if (!x.Address.Equals(y.Address) || x.NodeName != y.NodeName || x.Zone != y.Zone || x.Ready != y.Ready
            || x.Serving != y.Serving || x.Terminating != y.Terminating
            || !Seq(x.ZoneHints, y.ZoneHints, static (p, q) => p == q)) return false;
        if (ReferenceEquals(x.PortsByName, y.PortsByName)) return true;
        if (x.PortsByName is null || y.PortsByName is null || x.PortsByName.Count != y.PortsByName.Count) return x.PortsByName is null && y.PortsByName is null;
        foreach (var (name, port) in x.PortsByName)
            if (!y.PortsByName.TryGetValue(name, out var other) || other != port) return false;
        return true;
    }

    private static bool Seq<T>(ImmutableArray<T> a, ImmutableArray<T> b, Func<T, T, bool> same)
    {
        var x = a.IsDefault ? [] : a;
        var y = b.IsDefault ? [] : b;
        if (x.Length != y.Length) return false;
        for (var i = 0; i < x.Length; i++) if (!same(x[i], y[i])) return false;
        return true;
    }
}
