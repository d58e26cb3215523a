using System.Globalization;

namespace LoadBalancer.Sandbox;

/// <summary>Which routing daemon plays the upstream router.</summary>
public enum RouterKind
{
    Bird,
    Frr,
    GoBgp,
}

/// <summary>A "pod": a namespace behind a node, running an echo server on <see cref="Topology.PodPort"/>.</summary>
public sealed record PodInfo(string Name, string Namespace, string Address, string NodeName);

/// <summary>One sandbox node: a namespace on the segment running the real speaker.</summary>
public sealed record NodeInfo(int Index, string Name, string Namespace, string Address, string PodGateway, string PodSubnet, IReadOnlyList<PodInfo> Pods);

/// <summary>
/// The sandbox's names and addresses, computed from the options and nothing else (pure, table-tested).
/// Only documentation ranges: the node segment 192.0.2.0/24 (router .1, nodes .11..), the client subnet
/// 198.51.100.0/28 (router .1, client .2), pod subnets 198.51.100.128/25 cut into one /29 per node, Layer 2
/// Service IPs 192.0.2.200-219 (on the segment), BGP Service IPs 203.0.113.0/26 (learned by the router).
/// </summary>
public sealed class Topology
{
    public const int MaxNodes = 16;
    public const int MaxPodsPerNode = 5;
    public const int PodPort = 8080;
    public const int ServicePort = 80;
    public const long RouterAsn = 64512;
    public const long NodeAsn = 64513;
    public const string RouterSegmentAddress = "192.0.2.1";
    public const string RouterClientAddress = "198.51.100.1";
    public const string ClientAddress = "198.51.100.2";
    public const string SegmentPrefix = "192.0.2.0/24";
    public const string L2PoolRange = "192.0.2.200-192.0.2.219";
    public const string BgpPoolCidr = "203.0.113.0/26";

    public Topology(string prefix, int nodes, IReadOnlyList<int>? podsPerNode = null)
    {
        if (string.IsNullOrEmpty(prefix) || prefix.Length > 12 || !prefix.All(c => char.IsAsciiLetterLower(c) || char.IsAsciiDigit(c)))
            throw new ArgumentException("the prefix must be 1-12 lower-case letters or digits", nameof(prefix));
        if (nodes < 1 || nodes > MaxNodes) throw new ArgumentOutOfRangeException(nameof(nodes), $"1 to {MaxNodes} nodes");
        Prefix = prefix;
        var counts = podsPerNode ?? DefaultPods(nodes);
        if (counts.Count != nodes || counts.Any(c => c < 0 || c > MaxPodsPerNode))
            throw new ArgumentException($"one pod count (0-{MaxPodsPerNode}) per node", nameof(podsPerNode));
        var list = new List<NodeInfo>();
        for (var i = 1; i <= nodes; i++)
        {
            var name = "node" + i.ToString(CultureInfo.InvariantCulture);
            var baseOctet = 128 + (8 * (i - 1));
            var pods = new List<PodInfo>();
            for (var p = 0; p < counts[i - 1]; p++)
            {
                var podName = $"pod-{i}{(char)('a' + p)}";
                pods.Add(new PodInfo(podName, $"{prefix}-n{i}{(char)('a' + p)}", $"198.51.100.{baseOctet + 2 + p}", name));
            }
            list.Add(new NodeInfo(i, name, $"{prefix}-{name}", $"192.0.2.{10 + i}", $"198.51.100.{baseOctet + 1}", $"198.51.100.{baseOctet}/29", pods));
        }
        Nodes = list;
    }

    /// <summary>Default pods: two on node1, one on every other node but the last, none on the last (when N &gt; 1), so Local and Cluster differ visibly.</summary>
    public static IReadOnlyList<int> DefaultPods(int nodes)
        => [.. Enumerable.Range(1, nodes).Select(i => nodes == 1 ? 1 : i == 1 ? 2 : i == nodes ? 0 : 1)];

    public string Prefix { get; }
    public IReadOnlyList<NodeInfo> Nodes { get; }
    public IEnumerable<PodInfo> Pods => Nodes.SelectMany(n => n.Pods);
    public string SegmentNamespace => Prefix + "-seg";
    public string RouterNamespace => Prefix + "-router";
    public string ClientNamespace => Prefix + "-client";

    /// <summary>Every namespace, in creation order (deleted in reverse).</summary>
    public IEnumerable<string> Namespaces
        => [SegmentNamespace, RouterNamespace, ClientNamespace, .. Nodes.Select(n => n.Namespace), .. Pods.Select(p => p.Namespace)];

    public NodeInfo Node(string name) => Nodes.Single(n => n.Name == name);
}
