using System.Collections.Immutable;
using LoadBalancer.Speaker.Announcing;

namespace LoadBalancer.Speaker.DataPlane.Render;

/// <summary>One usable endpoint of one Service port: address, resolved target port, and where it runs.</summary>
internal sealed record PortEndpoint(System.Net.IPAddress Address, int Port, EndpointSpec Spec)
{
    /// <summary>Stable identity used in chain names and as the Maglev backend name.</summary>
    public string Id => NftNames.Address(Address) + "/" + Port.ToString(System.Globalization.CultureInfo.InvariantCulture);
}

/// <summary>Cluster and local endpoint choice, as kube-proxy's <c>CategorizeEndpoints</c> makes it.</summary>
internal sealed record CategorizedEndpoints(ImmutableArray<PortEndpoint> Cluster, ImmutableArray<PortEndpoint> Local, bool HasAny);

/// <summary>
/// kube-proxy's <c>pkg/proxy/topology.go CategorizeEndpoints</c>, for one Service port and one IP family:
/// <list type="bullet">
/// <item>Cluster: Ready endpoints (filtered by zone hints when topology applies), else serving+terminating ones (KEP-1669).</item>
/// <item>Local: this node's Ready endpoints, else this node's serving+terminating ones.</item>
/// <item>HasAny: some Ready or serving+terminating endpoint exists anywhere (otherwise traffic is rejected).</item>
/// </list>
/// Topology (zone hints) applies when the Service asks for it (<c>trafficDistribution: PreferClose</c> or the
/// topology-mode annotation, both folded into <see cref="DataPlaneService.PreferClose"/>), every Ready endpoint
/// carries hints, and at least one hint names this node's zone; then only endpoints hinted for this zone are used.
/// </summary>
internal static class EndpointSelection
{
    public static CategorizedEndpoints Categorize(IReadOnlyList<PortEndpoint> endpoints, bool preferClose, string nodeName, string? nodeZone)
    {
        var useTopology = preferClose && CanUseTopology(endpoints, nodeZone);
        var cluster = endpoints.Where(e => e.Spec.Ready && (!useTopology || HasHint(e.Spec, nodeZone!))).ToImmutableArray();
        if (cluster.IsEmpty) cluster = [.. endpoints.Where(e => e.Spec.Serving && e.Spec.Terminating)];

        var local = endpoints.Where(e => e.Spec.Ready && IsLocal(e.Spec, nodeName)).ToImmutableArray();
        if (local.IsEmpty) local = [.. endpoints.Where(e => e.Spec.Serving && e.Spec.Terminating && IsLocal(e.Spec, nodeName))];

        var hasAny = endpoints.Any(e => e.Spec.Ready || (e.Spec.Serving && e.Spec.Terminating));
        return new CategorizedEndpoints(cluster, local, hasAny);
    }

    public static bool IsLocal(EndpointSpec e, string nodeName) => e.NodeName is not null && e.NodeName == nodeName;

    private static bool HasHint(EndpointSpec e, string zone) => !e.ZoneHints.IsDefault && e.ZoneHints.Contains(zone);

    private static bool CanUseTopology(IReadOnlyList<PortEndpoint> endpoints, string? zone)
    {
        if (string.IsNullOrEmpty(zone)) return false;
        var hasEndpointForZone = false;
        foreach (var e in endpoints)
        {
            if (!e.Spec.Ready) continue;
            if (e.Spec.ZoneHints.IsDefaultOrEmpty) return false;
            if (e.Spec.ZoneHints.Contains(zone)) hasEndpointForZone = true;
        }
        return hasEndpointForZone;
    }

    /// <summary>
    /// The distinct local Ready endpoint IPs of a Service (any port), which the healthCheckNodePort reports as
    /// <c>localEndpoints</c> (kube-proxy's <c>LocalReadyEndpoints</c>; terminating endpoints are not counted).
    /// </summary>
    public static int LocalReadyCount(DataPlaneService service, string nodeName)
        => service.Endpoints.IsDefault ? 0
            : service.Endpoints.Where(e => e.Ready && IsLocal(e, nodeName)).Select(e => e.Address).Distinct().Count();
}
