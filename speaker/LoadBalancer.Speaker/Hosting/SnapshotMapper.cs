using System.Collections.Immutable;
using System.Net;
using System.Net.Sockets;
using System.Text;
using LoadBalancer.Kube;
using LoadBalancer.Kube.Api;
using LoadBalancer.Model.Config;
using LoadBalancer.Model.Crds;
using LoadBalancer.Speaker.Announcing;
using LoadBalancer.Speaker.Planning;

namespace LoadBalancer.Speaker.Hosting;

/// <summary>The objects the speaker watches, as its caches hold them at one moment.</summary>
internal sealed record ClusterObjects(
    IReadOnlyList<V1Service> Services,
    IReadOnlyList<V1EndpointSlice> EndpointSlices,
    IReadOnlyList<V1Node> Nodes,
    IReadOnlyList<V1Secret> Secrets)
{
    public static ClusterObjects Empty { get; } = new([], [], [], []);
}

/// <summary>Options that shape the mapping.</summary>
/// <param name="LoadBalancerClass">Services with this <c>spec.loadBalancerClass</c>, or none, are ours.</param>
internal sealed record MapperOptions(string LoadBalancerClass = MapperOptions.DefaultClass, bool Layer2 = true, bool Bgp = true)
{
    public const string DefaultClass = "lb.baremetal.dev/loadbalancer";
}

/// <summary>
/// Maps Kubernetes objects and the validated configuration to the planner's inputs. Pure and total: a malformed field
/// (an unparsable IP, a missing port) drops that item and adds a line to <see cref="MapResult.Problems"/> naming the
/// object and field; everything else still maps.
/// </summary>
internal static class SnapshotMapper
{
    public sealed record MapResult(PlannerSnapshot Snapshot, IReadOnlyList<string> Problems);

    public static MapResult Map(ClusterObjects objects, LoadBalancerConfig config, IEnumerable<string> liveSpeakers, MapperOptions options)
    {
        var problems = new List<string>();
        var services = objects.Services.Select(s => MapService(s, options, problems)).OfType<ServiceInput>().ToImmutableArray();
        var ours = services.Select(s => s.Key).ToHashSet();
        var slices = objects.EndpointSlices.Select(s => MapSlice(s, problems)).OfType<EndpointSliceInput>().Where(s => ours.Contains(s.Service)).ToImmutableArray();
        var nodes = objects.Nodes.Select(MapNode).OfType<NodeInput>().ToImmutableArray();
        var cfg = MapConfig(config, objects.Secrets, problems);
        return new MapResult(new PlannerSnapshot(services, slices, nodes, cfg, [.. liveSpeakers], options.Layer2, options.Bgp), problems);
    }

    public static bool IsOurs(V1Service svc, string loadBalancerClass)
        => svc.Spec?.Type == "LoadBalancer" && (svc.Spec.LoadBalancerClass is null || svc.Spec.LoadBalancerClass == loadBalancerClass);

    public static ServiceInput? MapService(V1Service svc, MapperOptions options, List<string> problems)
    {
        if (!IsOurs(svc, options.LoadBalancerClass) || svc.Metadata.Name is null) return null;
        var key = new ServiceKey(svc.Metadata.Namespace ?? "default", svc.Metadata.Name);
        var ips = ImmutableArray.CreateBuilder<IPAddress>();
        var ingress = svc.Status?.LoadBalancer?.Ingress ?? [];
        for (var i = 0; i < ingress.Count; i++)
        {
            if (ingress[i].Ip is not { } text) continue;
            if (IPAddress.TryParse(text, out var ip) && ip.AddressFamily is AddressFamily.InterNetwork or AddressFamily.InterNetworkV6) ips.Add(ip);
            else problems.Add($"Service {key}: status.loadBalancer.ingress[{i}].ip: \"{text}\" is not an IP address");
        }
        if (ips.Count == 0) return null;
        var spec = svc.Spec!;
        var ports = (spec.Ports ?? []).Select(p => new ServicePortSpec(p.Name ?? "", p.Protocol ?? "TCP", p.Port)).ToImmutableArray();
        var ranges = ImmutableArray.CreateBuilder<IPNetwork>();
        foreach (var r in spec.LoadBalancerSourceRanges ?? [])
        {
            if (IPNetwork.TryParse(r.Trim(), out var n)) ranges.Add(n);
            else problems.Add($"Service {key}: spec.loadBalancerSourceRanges: \"{r}\" is not a CIDR");
        }
        TimeSpan? affinity = spec.SessionAffinity == "ClientIP"
            ? TimeSpan.FromSeconds(spec.SessionAffinityConfig?.ClientIP?.TimeoutSeconds ?? 10800)
            : null;
        var labels = (svc.Metadata.Labels ?? []).ToImmutableDictionary(StringComparer.Ordinal);
        return new ServiceInput(key, labels, ips.ToImmutable(),
            ServiceAnnotations.Get(svc.Metadata.Annotations, "ip-allocated-from-pool"),
            Policy(spec.ExternalTrafficPolicy), Policy(spec.InternalTrafficPolicy), ports, affinity, ranges.ToImmutable(),
            spec.HealthCheckNodePort, spec.TrafficDistribution is "PreferClose" or "PreferSameZone");
    }

    private static TrafficPolicy Policy(string? p) => p == "Local" ? TrafficPolicy.Local : TrafficPolicy.Cluster;

    public static EndpointSliceInput? MapSlice(V1EndpointSlice slice, List<string> problems)
    {
        if (slice.Metadata.Labels?.GetValueOrDefault(V1EndpointSlice.ServiceNameLabel) is not { } svcName) return null;
        var key = new ServiceKey(slice.Metadata.Namespace ?? "default", svcName);
        AddressFamily? family = slice.AddressType switch
        {
            "IPv4" => AddressFamily.InterNetwork,
            "IPv6" => AddressFamily.InterNetworkV6,
            _ => null,
        };
        var endpoints = ImmutableArray.CreateBuilder<EndpointInput>();
        foreach (var ep in slice.Endpoints ?? [])
        {
            var addrs = ImmutableArray.CreateBuilder<IPAddress>();
            foreach (var a in ep.Addresses ?? [])
            {
                if (family is not null && IPAddress.TryParse(a, out var ip) && ip.AddressFamily == family) addrs.Add(ip);
                else if (family is not null) problems.Add($"EndpointSlice {slice.Metadata.Namespace}/{slice.Metadata.Name}: endpoints.addresses: \"{a}\" is not an {slice.AddressType} address");
            }
            var ready = ep.Conditions?.Ready ?? true;
            endpoints.Add(new EndpointInput(addrs.ToImmutable(), ep.NodeName, ready, ep.Conditions?.Serving ?? ready,
                ep.Conditions?.Terminating ?? false, ep.Zone, [.. (ep.Hints?.ForZones ?? []).Select(z => z.Name)]));
        }
        var ports = (slice.Ports ?? []).Where(p => p.Port is not null)
            .Select(p => new EndpointPortInput(p.Name ?? "", p.Protocol ?? "TCP", p.Port!.Value)).ToImmutableArray();
        return new EndpointSliceInput(key, slice.Metadata.Name ?? "", family, endpoints.ToImmutable(), ports);
    }

    public static NodeInput? MapNode(V1Node node)
    {
        if (node.Metadata.Name is null) return null;
        var unavailable = node.Status?.Conditions?.Any(c => c.Type == "NetworkUnavailable" && c.Status == "True") ?? false;
        var addrs = (node.Status?.Addresses ?? []).OrderBy(a => a.Type == "InternalIP" ? 0 : 1)
            .Where(a => a.Type is "InternalIP" or "ExternalIP")
            .Select(a => IPAddress.TryParse(a.Address, out var ip) ? ip : null).OfType<IPAddress>().ToImmutableArray();
        return new NodeInput(node.Metadata.Name, (node.Metadata.Labels ?? []).ToImmutableDictionary(StringComparer.Ordinal), unavailable, addrs);
    }

    private static ImmutableArray<Selector> Selectors(IReadOnlyList<LabelSelectorMatcher> list)
        => [.. list.Select(m => Selector.From(m.Matches))];

    public static PlannerConfig MapConfig(LoadBalancerConfig config, IReadOnlyList<V1Secret> secrets, List<string> problems)
    {
        var pools = config.Pools.Select(p => new PoolInput(p.Name, p.Labels.ToImmutableDictionary(StringComparer.Ordinal),
            [.. p.Ranges.SelectMany(r => r.ToCidrs()).Select(c => new IPNetwork(c.First.ToAddress(), c.PrefixLength ?? 0))])).ToImmutableArray();
        // The builder has already resolved pool names and selectors to a list; an empty list means "no pool" here.
        ImmutableArray<Selector> none = [Selector.Nothing];
        var l2 = config.L2Advertisements.Select(a => new L2AdvertisementInput(a.Name, [.. a.Pools], a.Pools.Count == 0 ? none : [],
            Selectors(a.NodeSelectors), Selectors(a.ServiceSelectors), [.. a.Interfaces], a.GratuitousInterval)).ToImmutableArray();
        var bgp = config.BgpAdvertisements.Select(a => new BgpAdvertisementInput(a.Name, [.. a.Pools], a.Pools.Count == 0 ? none : [],
            Selectors(a.NodeSelectors), Selectors(a.ServiceSelectors), [.. a.Peers], a.AggregationLength, a.AggregationLengthV6, a.LocalPref,
            [.. a.Communities.Where(c => !c.IsLarge).Select(c => c.StandardValue)],
            [.. a.Communities.Where(c => c.IsLarge).Select(c => (c.GlobalAdministrator, c.LocalData1, c.LocalData2))])).ToImmutableArray();
        var peers = ImmutableArray.CreateBuilder<PeerInput>();
        foreach (var p in config.Peers)
        {
            var password = p.Password;
            if (p.PasswordSecret is { } sr)
            {
                var secret = secrets.FirstOrDefault(s => s.Metadata.Namespace == sr.Namespace && s.Metadata.Name == sr.Name);
                if (secret?.Data?.GetValueOrDefault("password") is { } bytes) password = Encoding.UTF8.GetString(bytes);
                else if (secret?.StringData?.GetValueOrDefault("password") is { } text) password = text;
                else
                {
                    problems.Add($"BGPPeer {p.Name}: spec.passwordSecret: Secret {sr.Namespace}/{sr.Name} is missing or has no key \"password\"; the session is not opened");
                    continue;
                }
            }
            peers.Add(new PeerInput(new BgpPeerSpec(p.Name, p.PeerAddress, (ushort)p.PeerPort, p.MyAsn, p.PeerAsn, p.SourceAddress, p.RouterId,
                p.HoldTime, p.KeepaliveTime, p.ConnectTime ?? TimeSpan.FromSeconds(10), password, p.EbgpMultiHop, p.EnableGracefulRestart, p.BfdProfile, p.Passive),
                Selectors(p.NodeSelectors)));
        }
        return new PlannerConfig(pools, l2, bgp, peers.ToImmutable());
    }
}
