using System.Collections.Immutable;
using System.Net;
using System.Net.Sockets;
using LoadBalancer.Speaker.Announcing;
using LoadBalancer.Speaker.Planning;

namespace LoadBalancer.Speaker.Tests.Planning;

/// <summary>Small builders for planner inputs: a three-node cluster, one pool, and helpers to change them.</summary>
internal static class World
{
    public static readonly IPAddress V4 = IPAddress.Parse("203.0.113.10");
    public static readonly IPAddress V6 = IPAddress.Parse("2001:db8::10");
    public static readonly ServiceKey Web = new("default", "web");

    public static ImmutableDictionary<string, string> Labels(params (string Key, string Value)[] labels)
        => labels.ToImmutableDictionary(l => l.Key, l => l.Value, StringComparer.Ordinal);

    public static NodeInput Node(string name, params (string, string)[] labels) => new(name, Labels(labels));

    public static ServiceInput Service(ServiceKey key, TrafficPolicy policy, params IPAddress[] ips)
        => new(key, Labels(("app", key.Name)), [.. ips], "public", policy,
            Ports: [new ServicePortSpec("http", "TCP", 80)]);

    public static EndpointInput Ready(string node, string ip = "10.0.0.1") => new([IPAddress.Parse(ip)], node, true, true, false);

    public static EndpointInput NotReady(string node, string ip = "10.0.0.2") => new([IPAddress.Parse(ip)], node, false, false, false);

    public static EndpointInput Terminating(string node, string ip = "10.0.0.3") => new([IPAddress.Parse(ip)], node, false, true, true);

    public static EndpointSliceInput Slice(ServiceKey svc, params EndpointInput[] endpoints)
        => new(svc, svc.Name + "-v4", AddressFamily.InterNetwork, [.. endpoints], [new EndpointPortInput("http", "TCP", 8080)]);

    public static EndpointSliceInput Slice6(ServiceKey svc, params EndpointInput[] endpoints)
        => new(svc, svc.Name + "-v6", AddressFamily.InterNetworkV6, [.. endpoints], [new EndpointPortInput("http", "TCP", 8080)]);

    public static PoolInput Pool(string name = "public", params string[] cidrs)
        => new(name, Labels(("tier", name)), cidrs.Length == 0
            ? [IPNetwork.Parse("203.0.113.0/24"), IPNetwork.Parse("2001:db8::/64")]
            : [.. cidrs.Select(IPNetwork.Parse)]);

    public static BgpPeerSpec PeerSpec(string name, uint myAsn = 64500, uint peerAsn = 64501)
        => new(name, IPAddress.Parse("192.0.2.1"), 179, myAsn, peerAsn, null, null, TimeSpan.FromSeconds(90), null,
            TimeSpan.FromSeconds(10), null, false, false);

    /// <summary>Three live nodes, pool "public", one L2Advertisement for everything, web (Cluster) with a ready endpoint on n2.</summary>
    public static PlannerSnapshot Base(TrafficPolicy policy = TrafficPolicy.Cluster) => new(
        [Service(Web, policy, V4)],
        [Slice(Web, Ready("n2"))],
        [Node("n1"), Node("n2"), Node("n3")],
        new PlannerConfig([Pool()], [new L2AdvertisementInput("all")], [], []),
        ["n1", "n2", "n3"]);

    /// <summary>Like <see cref="Base"/> but BGP only: one advertisement, one eBGP peer for every node.</summary>
    public static PlannerSnapshot BaseBgp(TrafficPolicy policy = TrafficPolicy.Cluster) => Base(policy) with
    {
        Config = new PlannerConfig([Pool()], [], [new BgpAdvertisementInput("all")], [new PeerInput(PeerSpec("router"))]),
    };

    public static PlannerSnapshot WithConfig(this PlannerSnapshot s, Func<PlannerConfig, PlannerConfig> f) => s with { Config = f(s.Config) };

    public static PlannerSnapshot WithSlices(this PlannerSnapshot s, params EndpointSliceInput[] slices) => s with { EndpointSlices = [.. slices] };

    public static PlannerSnapshot WithNode(this PlannerSnapshot s, NodeInput node)
        => s with { Nodes = [.. s.Nodes.Where(n => n.Name != node.Name), node] };

    public static PlannerSnapshot WithServices(this PlannerSnapshot s, params ServiceInput[] services) => s with { Services = [.. services] };

    /// <summary>The owner of every Layer 2 IP across all nodes: IP to the list of nodes that announce it.</summary>
    public static Dictionary<IPAddress, List<string>> Layer2Owners(PlannerSnapshot s)
    {
        var owners = new Dictionary<IPAddress, List<string>>();
        foreach (var n in s.Nodes)
        {
            foreach (var a in AnnouncementPlanner.Plan(n.Name, s).Layer2)
            {
                if (!owners.TryGetValue(a.Ip, out var list)) owners[a.Ip] = list = [];
                list.Add(n.Name);
            }
        }
        return owners;
    }
}
