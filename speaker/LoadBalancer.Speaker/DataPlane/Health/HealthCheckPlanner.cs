using System.Collections.Immutable;
using LoadBalancer.Speaker.Announcing;
using LoadBalancer.Speaker.DataPlane.Render;

namespace LoadBalancer.Speaker.DataPlane.Health;

/// <summary>One healthCheckNodePort to serve: the Service and its count of local Ready endpoint IPs.</summary>
public sealed record HealthCheckService(ServiceKey Service, int Port, int LocalEndpoints);

/// <summary>Which healthCheckNodePorts this node serves: every externalTrafficPolicy=Local Service that has one (pure).</summary>
internal static class HealthCheckPlanner
{
    public static ImmutableArray<HealthCheckService> Plan(DataPlaneSnapshot snapshot)
        => [.. (snapshot.Services.IsDefault ? [] : snapshot.Services)
            .Where(s => s.ExternalTrafficPolicy == TrafficPolicy.Local && s.HealthCheckNodePort is > 0 and <= 65535)
            .OrderBy(s => s.Key, ServiceKeyComparer.Instance)
            .Select(s => new HealthCheckService(s.Key, s.HealthCheckNodePort!.Value, EndpointSelection.LocalReadyCount(s, snapshot.NodeName)))];
}
