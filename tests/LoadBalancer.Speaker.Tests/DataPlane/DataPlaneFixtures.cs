using System.Collections.Immutable;
using System.Net;
using LoadBalancer.Speaker.Announcing;

namespace LoadBalancer.Speaker.Tests.DataPlane;

/// <summary>Builders for data plane inputs. Node "n1" is this node; pods 10.x live on n1, 10.2.x on n2.</summary>
internal static class DataPlaneFixtures
{
    public const string Node = "n1";

    public static EndpointSpec Ep(string ip, string? node = Node, int port = 8080, bool ready = true, bool serving = true,
        bool terminating = false, string portName = "http", string? zone = null, string[]? hints = null)
        => new(IPAddress.Parse(ip), node, zone, ready, serving, terminating,
            ImmutableDictionary<string, int>.Empty.Add(portName, port), hints is null ? default : [.. hints]);

    public static DataPlaneService Svc(string name, string[] ips, EndpointSpec[] endpoints,
        TrafficPolicy etp = TrafficPolicy.Cluster, TrafficPolicy itp = TrafficPolicy.Cluster, TimeSpan? affinity = null,
        string[]? ranges = null, int? hc = null, bool preferClose = false, LoadBalancingMode mode = LoadBalancingMode.Random,
        ServicePortSpec[]? ports = null, string ns = "ns1")
        => new(new ServiceKey(ns, name), [.. ips.Select(IPAddress.Parse)], ports is null ? [new ServicePortSpec("http", "TCP", 80)] : [.. ports],
            etp, itp, affinity, ranges is null ? [] : [.. ranges.Select(r => IPNetwork.Parse(r))], hc, preferClose, mode, [.. endpoints]);

    public static DataPlaneSnapshot Snapshot(params DataPlaneService[] services) => new(Node, "zone-a", [.. services]);
}
