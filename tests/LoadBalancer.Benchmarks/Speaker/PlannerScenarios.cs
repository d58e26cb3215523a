using System.Collections.Immutable;
using System.Net;
using System.Net.Sockets;
using LoadBalancer.Speaker.Announcing;
using LoadBalancer.Speaker.Planning;

namespace LoadBalancer.Benchmarks.Speaker;

/// <summary>
/// Planner inputs at scale, shared by <c>PlannerBenchmarks</c> and the smoke test in LoadBalancer.Speaker.Tests
/// (linked there, so this file must not depend on BenchmarkDotNet). The IPs are data only, never sent.
/// </summary>
/// <remarks>
/// One pool "public" (203.0.113.0/24, then 198.18.0.0/15 when more IPs are needed), <paramref name="services"/>
/// Services with one IPv4 each, even indexes externalTrafficPolicy Cluster, odd ones Local; one EndpointSlice per
/// Service with 3 ready endpoints on distinct random nodes (seeded); all nodes alive; one L2Advertisement and one
/// BGPAdvertisement selecting every pool, and 2 BGP peers on every node.
/// </remarks>
internal static class PlannerScenarios
{
    public const string PoolName = "public";

    public static string NodeName(int i) => $"n{i:D3}";

    public static PlannerSnapshot Build(int services, int nodes, int endpointsPerService = 3, int seed = 42)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(services);
        ArgumentOutOfRangeException.ThrowIfLessThan(nodes, 1);
        var rng = new Random(seed);
        var nodeNames = Enumerable.Range(0, nodes).Select(NodeName).ToArray();
        var nodeInputs = nodeNames
            .Select((n, i) => new NodeInput(n, Labels(("kubernetes.io/hostname", n), (NodeInput.ZoneLabel, $"zone-{i % 3}"))))
            .ToImmutableArray();

        var svcs = ImmutableArray.CreateBuilder<ServiceInput>(services);
        var slices = ImmutableArray.CreateBuilder<EndpointSliceInput>(services);
        var perSlice = Math.Min(endpointsPerService, nodes);
        for (var i = 0; i < services; i++)
        {
            var key = new ServiceKey($"ns-{i % 50}", $"svc-{i}");
            var policy = i % 2 == 0 ? TrafficPolicy.Cluster : TrafficPolicy.Local;
            svcs.Add(new ServiceInput(key, Labels(("app", key.Name)), [ServiceIp(i)], PoolName, policy,
                Ports: [new ServicePortSpec("http", "TCP", 80)]));

            var chosen = new HashSet<int>();
            while (chosen.Count < perSlice) chosen.Add(rng.Next(nodes));
            var endpoints = chosen.Select((n, j) => new EndpointInput([PodIp(i, j)], nodeNames[n], true, true, false))
                .ToImmutableArray();
            slices.Add(new EndpointSliceInput(key, key.Name + "-v4", AddressFamily.InterNetwork, endpoints,
                [new EndpointPortInput("http", "TCP", 8080)]));
        }

        var pool = new PoolInput(PoolName, Labels(("tier", PoolName)),
            [IPNetwork.Parse("203.0.113.0/24"), IPNetwork.Parse("198.18.0.0/15")]);
        var config = new PlannerConfig(
            [pool],
            [new L2AdvertisementInput("l2-all")],
            [new BgpAdvertisementInput("bgp-all")],
            [new PeerInput(Peer("tor-a", "192.0.2.1")), new PeerInput(Peer("tor-b", "192.0.2.2"))]);
        return new PlannerSnapshot(svcs.MoveToImmutable(), slices.MoveToImmutable(), nodeInputs, config, [.. nodeNames]);
    }

    /// <summary>The i-th Service IP: 203.0.113.1-254 first, then 198.18.0.0/15 in order.</summary>
    public static IPAddress ServiceIp(int i)
    {
        if (i < 254) return new IPAddress([203, 0, 113, (byte)(i + 1)]);
        var n = i - 254;
        if (n >= 1 << 17) throw new ArgumentOutOfRangeException(nameof(i), "at most 254 + 131072 Services");
        return new IPAddress([198, (byte)(18 + (n >> 16)), (byte)((n >> 8) & 0xFF), (byte)(n & 0xFF)]);
    }

    private static IPAddress PodIp(int service, int endpoint)
    {
        var n = (service * 4) + endpoint;
        return new IPAddress([10, (byte)((n >> 16) & 0xFF), (byte)((n >> 8) & 0xFF), (byte)(n & 0xFF)]);
    }

    private static BgpPeerSpec Peer(string name, string address)
        => new(name, IPAddress.Parse(address), 179, 64500, 64501, null, null, TimeSpan.FromSeconds(90), null,
            TimeSpan.FromSeconds(10), null, false, false);

    private static ImmutableDictionary<string, string> Labels(params (string Key, string Value)[] labels)
        => labels.ToImmutableDictionary(l => l.Key, l => l.Value, StringComparer.Ordinal);
}
