using System.Collections.Immutable;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using LoadBalancer.Speaker.Announcing;

namespace LoadBalancer.Speaker.DataPlane.Render;

/// <summary>
/// The pure ruleset generator: (node, Services, endpoints, options) to the desired content of our table.
/// No I/O, no clock. See docs/dataplane.md for the layout and why it is shaped this way; in short:
/// <list type="bullet">
/// <item>dispatch is one lookup in a global verdict map per family (<c>svc4</c>/<c>svc6</c>, keyed VIP . proto . port);</item>
/// <item>random endpoint choice is a cascade of <c>numgen random mod (n-i) 0 goto ep-i</c> rules: no set at all
/// (an anonymous set per Service costs N² to load; one shared verdict map reached from every Service's chain costs N²
/// in the kernel's loop validation on every commit); consistent hashing indexes one global map (<c>pick</c>) with
/// <c>jhash … offset</c>;</item>
/// <item>source ranges, per-Service counters and connection counters are global sets/maps of elements, too.</item>
/// </list>
/// Services unchanged since <c>previous</c> (same <see cref="DataPlaneService"/> instance, same node) are reused as
/// they are, so a sync of one changed Service costs O(that Service) here as well as in the kernel.
/// </summary>
internal static class NftRenderer
{
    public static NftRuleset Render(DataPlaneSnapshot snapshot, NftRenderOptions options, NftRuleset? previous = null)
    {
        var reuse = previous is not null && previous.Options.Equals(options) && previous.NodeName == snapshot.NodeName
            && previous.NodeZone == snapshot.NodeZone;
        var problems = ImmutableArray.CreateBuilder<RenderProblem>();
        var claimed = new HashSet<string>(StringComparer.Ordinal);
        var plans = new List<ServicePlan>();
        var seen = new HashSet<ServiceKey>();
        var services = snapshot.Services.IsDefault ? [] : snapshot.Services;
        foreach (var svc in services.OrderBy(s => s.Key, ServiceKeyComparer.Instance))
        {
            if (!seen.Add(svc.Key))
            {
                problems.Add(new RenderProblem(svc.Key, "the Service appears twice in the snapshot; the second copy is ignored"));
                continue;
            }
            if (reuse && previous!.Services.TryGetValue(svc.Key, out var old) && ReferenceEquals(old.Source, svc)
                && old.Problems.IsEmpty && old.DispatchKeys.All(k => !claimed.Contains(k)))
            {
                foreach (var k in old.DispatchKeys) claimed.Add(k);
                plans.Add(new ServicePlan(svc, old, null, null));
                continue;
            }
            var own = ImmutableArray.CreateBuilder<RenderProblem>();
            var plan = Plan(svc, snapshot.NodeName, snapshot.NodeZone, claimed, own);
            problems.AddRange(own);
            if (plan is not null) plans.Add(new ServicePlan(svc, null, plan, own));
        }

        var blockKeys = new HashSet<string>(StringComparer.Ordinal);
        foreach (var p in plans)
        {
            if (p.Reused is not null) blockKeys.UnionWith(p.Reused.BlockKeys);
            else foreach (var spf in p.Plan!) foreach (var c in spf.Choices) if (c.NeedsBlock) blockKeys.Add(c.Chain);
        }
        var blocks = (reuse ? previous!.Blocks : SlotBlocks.Empty).Reassign(blockKeys, out var exhausted);
        var exhaustedSet = exhausted.ToHashSet(StringComparer.Ordinal);

        var result = ImmutableSortedDictionary.CreateBuilder<ServiceKey, NftServiceObjects>(ServiceKeyComparer.Instance);
        foreach (var p in plans)
        {
            if (p.Reused is not null)
            {
                result[p.Service.Key] = p.Reused;
                continue;
            }
            var before = p.Problems!.Count;
            var built = Build(p.Service, p.Plan!, options, blocks, exhaustedSet, p.Problems);
            for (var i = before; i < p.Problems.Count; i++) problems.Add(p.Problems[i]);
            result[p.Service.Key] = built;
        }
        return new NftRuleset(options, snapshot.NodeName, result.ToImmutable(), problems.ToImmutable(), blocks) { NodeZone = snapshot.NodeZone };
    }

    private sealed record ServicePlan(DataPlaneService Service, NftServiceObjects? Reused, List<PortFamilyPlan>? Plan,
        ImmutableArray<RenderProblem>.Builder? Problems);

    /// <summary>One endpoint-choice chain (svc-… over cluster endpoints or loc-… over local ones).</summary>
    private sealed record Choice(string Chain, ImmutableArray<PortEndpoint> Endpoints, bool ConsistentHash)
    {
        /// <summary>Only consistent hashing indexes the pick map (a Maglev ring); random choice is a rule cascade.</summary>
        public bool NeedsBlock => ConsistentHash && Endpoints.Length > 1;
    }

    private sealed record PortFamilyPlan(
        string Id, string Proto, int Port, AddressFamily Family, ImmutableArray<IPAddress> Vips, ImmutableArray<IPNetwork> SourceRanges,
        CategorizedEndpoints Endpoints, Choice? Cluster, Choice? Local)
    {
        public IEnumerable<Choice> Choices => new[] { Cluster, Local }.OfType<Choice>();
    }

    private static List<PortFamilyPlan>? Plan(DataPlaneService svc, string nodeName, string? nodeZone, HashSet<string> claimed,
        ImmutableArray<RenderProblem>.Builder problems)
    {
        if (!NftNames.IsValidName(svc.Key.Namespace) || !NftNames.IsValidName(svc.Key.Name))
        {
            problems.Add(new RenderProblem(svc.Key, "namespace/name is not a valid Kubernetes name; the Service is not programmed"));
            return null;
        }
        var vips = (svc.LoadBalancerIps.IsDefault ? [] : svc.LoadBalancerIps)
            .Where(ip => ip.AddressFamily is AddressFamily.InterNetwork or AddressFamily.InterNetworkV6)
            .Select(ip => ip.IsIPv4MappedToIPv6 ? ip.MapToIPv4() : ip).Distinct().ToImmutableArray();
        var endpoints = svc.Endpoints.IsDefault ? [] : svc.Endpoints;
        var ranges = svc.SourceRanges.IsDefault ? [] : svc.SourceRanges;
        var plan = new List<PortFamilyPlan>();
        var seenPorts = new HashSet<(string, int)>();
        foreach (var port in svc.Ports.IsDefault ? [] : svc.Ports)
        {
            var proto = NftNames.Protocol(port.Protocol);
            if (proto is null)
            {
                problems.Add(new RenderProblem(svc.Key, $"port \"{port.Name}\": protocol \"{port.Protocol}\" is not TCP, UDP or SCTP; the port is not programmed"));
                continue;
            }
            if (port.Port is < 1 or > 65535)
            {
                problems.Add(new RenderProblem(svc.Key, $"port \"{port.Name}\": port {port.Port} is out of range; the port is not programmed"));
                continue;
            }
            if (!seenPorts.Add((proto, port.Port)))
            {
                problems.Add(new RenderProblem(svc.Key, $"port \"{port.Name}\": {proto}/{port.Port} is listed twice; the second is ignored"));
                continue;
            }
            foreach (var family in (ReadOnlySpan<AddressFamily>)[AddressFamily.InterNetwork, AddressFamily.InterNetworkV6])
            {
                var familyVips = new List<IPAddress>();
                foreach (var vip in vips.Where(v => v.AddressFamily == family))
                {
                    var key = DispatchKey(vip, proto, port.Port);
                    if (!claimed.Add(key))
                    {
                        problems.Add(new RenderProblem(svc.Key, $"{vip} {proto}/{port.Port} is already forwarded for another Service; not programmed for this one"));
                        continue;
                    }
                    familyVips.Add(vip);
                }
                if (familyVips.Count == 0) continue;
                var id = NftNames.PortId(svc.Key, proto, port.Port, family);
                var portEndpoints = new Dictionary<string, PortEndpoint>(StringComparer.Ordinal);
                foreach (var e in endpoints)
                {
                    var address = e.Address.IsIPv4MappedToIPv6 ? e.Address.MapToIPv4() : e.Address;
                    if (address.AddressFamily != family) continue;
                    if (e.PortsByName is null || !e.PortsByName.TryGetValue(port.Name, out var target) || target is < 1 or > 65535) continue;
                    var pe = new PortEndpoint(address, target, e);
                    portEndpoints.TryAdd(pe.Id, pe);
                }
                var sorted = portEndpoints.Values.OrderBy(e => e.Id, StringComparer.Ordinal).ToList();
                var categorized = EndpointSelection.Categorize(sorted, svc.PreferClose, nodeName, nodeZone);
                // Only the chains some policy uses: Cluster endpoints for ETP or ITP Cluster, local ones for ETP or ITP Local.
                var usesCluster = svc.ExternalTrafficPolicy == TrafficPolicy.Cluster || svc.InternalTrafficPolicy == TrafficPolicy.Cluster;
                var usesLocal = svc.ExternalTrafficPolicy == TrafficPolicy.Local || svc.InternalTrafficPolicy == TrafficPolicy.Local;
                var ch = svc.LoadBalancing == LoadBalancingMode.ConsistentHash;
                var cluster = usesCluster ? MakeChoice("svc-" + id, categorized.Cluster, ch, svc.Key, problems) : null;
                var local = usesLocal ? MakeChoice("loc-" + id, categorized.Local, ch, svc.Key, problems) : null;
                plan.Add(new PortFamilyPlan(id, proto, port.Port, family, [.. familyVips],
                    NormaliseRanges(ranges.Where(r => r.BaseAddress.AddressFamily == family)), categorized, cluster, local));
            }
        }
        return plan;
    }

    private static Choice? MakeChoice(string chain, ImmutableArray<PortEndpoint> endpoints, bool consistentHash, ServiceKey key,
        ImmutableArray<RenderProblem>.Builder problems)
    {
        if (endpoints.IsEmpty) return null;
        if (endpoints.Length > SlotBlocks.BlockSize)
        {
            problems.Add(new RenderProblem(key, $"{chain}: {endpoints.Length} endpoints; only the first {SlotBlocks.BlockSize} are used"));
            endpoints = endpoints[..SlotBlocks.BlockSize];
        }
        return new Choice(chain, endpoints, consistentHash);
    }

    /// <summary>Drops ranges contained in another (nft refuses overlapping intervals in a concatenated set).</summary>
    private static ImmutableArray<IPNetwork> NormaliseRanges(IEnumerable<IPNetwork> ranges)
    {
        var list = ranges.Distinct().OrderBy(r => r.PrefixLength).ToList();
        var kept = new List<IPNetwork>();
        foreach (var r in list) if (!kept.Any(k => k.Contains(r.BaseAddress))) kept.Add(r);
        return [.. kept.OrderBy(r => r.ToString(), StringComparer.Ordinal)];
    }

    private static string DispatchKey(IPAddress vip, string proto, int port) => string.Create(CultureInfo.InvariantCulture, $"{vip} . {proto} . {port}");

    private static string Hex(uint value) => "0x" + value.ToString("x8", CultureInfo.InvariantCulture);

    private static NftServiceObjects Build(DataPlaneService svc, List<PortFamilyPlan> plan, NftRenderOptions options, SlotBlocks blocks,
        HashSet<string> exhausted, ImmutableArray<RenderProblem>.Builder problems)
    {
        var chains = new List<NftChain>();
        var sets = new List<NftSet>();
        var elements = new List<NftElement>();
        var dispatch = new List<string>();
        var flows = new List<NftFlow>();
        var blockKeys = new List<string>();
        var packets = NftNames.PacketsCounter(svc.Key);
        var connections = NftNames.ConnectionsCounter(svc.Key);
        var mark = "meta mark set meta mark | " + Hex(options.MasqueradeMark);
        var affinity = svc.SessionAffinityTimeout is { } t && t > TimeSpan.Zero
            ? (long)Math.Clamp(Math.Ceiling(t.TotalSeconds), 1, 86400 * 365) : (long?)null;

        foreach (var spf in plan)
        {
            var f = NftNames.Family(spf.Family);
            var s = NftNames.Suffix(spf.Family);
            var endpointChains = new SortedDictionary<string, PortEndpoint>(StringComparer.Ordinal);
            foreach (var c in spf.Choices) foreach (var e in c.Endpoints) endpointChains[e.Id] = e;

            string? clusterChain = null, localChain = null;
            foreach (var choice in spf.Choices)
            {
                if (choice.NeedsBlock && exhausted.Contains(choice.Chain))
                {
                    problems.Add(new RenderProblem(svc.Key, $"{choice.Chain}: no free slot block left in the pick map; not programmed"));
                    continue;
                }
                var rules = new List<string>();
                if (affinity is not null)
                    foreach (var e in choice.Endpoints) rules.Add($"{f} saddr @aff-{spf.Id}__{e.Id} goto ep-{spf.Id}__{e.Id}");
                if (choice.NeedsBlock)
                {
                    blockKeys.Add(choice.Chain);
                    var baseSlot = blocks.BaseOf(choice.Chain);
                    var size = Maglev.TableSize(choice.Endpoints.Length);
                    var table = Maglev.Build([.. choice.Endpoints.Select(e => e.Id)], size);
                    rules.Add(string.Create(CultureInfo.InvariantCulture,
                        $"jhash {f} saddr . th sport mod {size} seed {Hex(options.HashSeed)} offset {baseSlot} vmap @pick"));
                    for (var j = 0; j < size; j++)
                        elements.Add(new NftElement("pick", (baseSlot + j).ToString(CultureInfo.InvariantCulture),
                            $"goto ep-{spf.Id}__{choice.Endpoints[table[j]].Id}"));
                }
                else
                {
                    // Uniform choice without any set: rule i takes endpoint i with probability 1/(n-i), the last takes
                    // what is left (iptables' statistic cascade). A shared verdict map reached from every Service's
                    // chain would make the kernel's commit-time loop validation walk the whole map once per Service:
                    // O(N^2) per commit (measured: 28 s for one element at 10k Services). This is O(endpoints).
                    var n = choice.Endpoints.Length;
                    for (var i = 0; i < n - 1; i++)
                        rules.Add(string.Create(CultureInfo.InvariantCulture, $"numgen random mod {n - i} 0 goto ep-{spf.Id}__{choice.Endpoints[i].Id}"));
                    rules.Add($"goto ep-{spf.Id}__{choice.Endpoints[n - 1].Id}");
                }
                chains.Add(new NftChain(choice.Chain, [.. rules]));
                if (ReferenceEquals(choice, spf.Cluster)) clusterChain = choice.Chain; else localChain = choice.Chain;
            }

            foreach (var (id, e) in endpointChains)
            {
                var rules = new List<string> { $"{f} saddr {e.Address} {mark}" };
                if (affinity is not null)
                {
                    var set = $"aff-{spf.Id}__{id}";
                    sets.Add(new NftSet(set, string.Create(CultureInfo.InvariantCulture,
                        $"type {(spf.Family == AddressFamily.InterNetworkV6 ? "ipv6_addr" : "ipv4_addr")}; flags dynamic,timeout; timeout {affinity}s;")));
                    rules.Add($"update @{set} {{ {f} saddr }}");
                }
                var to = spf.Family == AddressFamily.InterNetworkV6 ? $"[{e.Address}]:{e.Port}" : $"{e.Address}:{e.Port}";
                rules.Add($"meta l4proto {spf.Proto} dnat {f} to {to}");
                chains.Add(new NftChain($"ep-{spf.Id}__{id}", [.. rules]));
            }

            string verdict;
            if (!spf.Endpoints.HasAny)
            {
                verdict = "goto " + NftNames.RejectChain;
            }
            else
            {
                var ext = "ext-" + spf.Id;
                var internalTarget = svc.InternalTrafficPolicy == TrafficPolicy.Cluster ? clusterChain : localChain;
                var rules = new List<string>();
                if (options.PodCidrsOrEmpty.Any(c => c.BaseAddress.AddressFamily == spf.Family))
                    rules.Add($"{f} saddr @pods{s} " + (internalTarget is null ? "drop" : "goto " + internalTarget));
                rules.Add("fib saddr type local " + (internalTarget is null ? "drop" : mark + " goto " + internalTarget));
                if (svc.ExternalTrafficPolicy == TrafficPolicy.Cluster)
                    rules.Add(clusterChain is null ? "drop" : mark + " goto " + clusterChain);
                else
                    rules.Add(localChain is null ? "drop" : "goto " + localChain);
                chains.Add(new NftChain(ext, [.. rules]));
                verdict = "goto " + ext;
            }

            var reachable = endpointChains.Values.Select(e => new IPEndPoint(e.Address, e.Port)).ToImmutableArray();
            foreach (var vip in spf.Vips)
            {
                var key = DispatchKey(vip, spf.Proto, spf.Port);
                dispatch.Add(key);
                flows.Add(new NftFlow(spf.Proto, vip, spf.Port, reachable));
                elements.Add(new NftElement("svc" + s, key, verdict));
                elements.Add(new NftElement("ctr" + s, key, $"\"{packets}\""));
                elements.Add(new NftElement("conn" + s, key, $"\"{connections}\""));
                if (!spf.SourceRanges.IsEmpty)
                {
                    elements.Add(new NftElement("fw" + s, key, null));
                    foreach (var r in spf.SourceRanges) elements.Add(new NftElement("allow" + s, key + " . " + r, null));
                }
            }
        }

        return new NftServiceObjects(svc.Key, [.. chains], [.. sets], dispatch.Count == 0 ? [] : [packets, connections], [.. elements])
        {
            Source = svc,
            DispatchKeys = [.. dispatch],
            Flows = [.. flows],
            BlockKeys = [.. blockKeys],
            Problems = problems.ToImmutable(),
        };
    }
}
