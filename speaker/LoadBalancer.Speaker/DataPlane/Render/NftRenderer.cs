using System.Collections.Immutable;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using LoadBalancer.Speaker.Announcing;

namespace LoadBalancer.Speaker.DataPlane.Render;

/// <summary>
/// The pure ruleset generator: (node, Services, endpoints, options) to the desired content of our table.
/// No I/O, no clock. See docs/dataplane.md for the layout and why it is shaped this way; in short, a Service is
/// <b>elements only</b>: the table has a fixed handful of chains and rules, and each Service port contributes
/// elements to global sets and maps (dispatch, policy, endpoint rings, source ranges, counters). Every kernel commit
/// costs O(chains in the table) and a commit that adds a rule with a jump or NAT re-validates the whole jump graph,
/// so a chain per Service made one Service change cost O(all Services); with elements only it costs O(that Service).
/// <list type="bullet">
/// <item>policy per LB IP:port is membership in small sets (<c>rej</c>, <c>xdrop</c>, <c>xmasq</c>, <c>xloc</c>,
/// <c>idrop</c>, <c>iloc</c>), read by the fixed chains <c>dp4</c>/<c>int4</c> (and v6);</item>
/// <item>endpoint choice indexes a ring map (<c>cep4-tcp</c>: cluster endpoints, <c>lep4-tcp</c>: local ones; one per
/// family and protocol) with <c>LB IP . port . slot</c>, the slot drawn by the rule of the ring's shape (<see cref="NftShapes"/>);</item>
/// <item>sessionAffinity: ClientIP Services keep kube-proxy's per-endpoint chains and client sets (reached through the
/// <c>svc4</c> verdict map): the affinity record needs the chosen endpoint, which no global rule can name.</item>
/// </list>
/// Services unchanged since <c>previous</c> (same content, <see cref="ServiceContent"/>; same node) are reused as
/// they are, so a sync of one changed Service costs O(that Service) in the kernel.
/// </summary>
internal static class NftRenderer
{
    public static NftRuleset Render(DataPlaneSnapshot snapshot, NftRenderOptions options, NftRuleset? previous = null)
    {
        var reuse = previous is not null && previous.Options.Equals(options) && previous.NodeName == snapshot.NodeName
            && previous.NodeZone == snapshot.NodeZone;
        if (reuse) return RenderChanges(snapshot, options, previous!);
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
            var plan = Plan(svc, snapshot.NodeName, snapshot.NodeZone, claimed.Add, own);
            problems.AddRange(own);
            if (plan is not null) plans.Add(new ServicePlan(svc, null, plan, own));
        }

        var result = ImmutableSortedDictionary.CreateBuilder<ServiceKey, NftServiceObjects>(ServiceKeyComparer.Instance);
        foreach (var p in plans)
        {
            if (p.Reused is not null)
            {
                result[p.Service.Key] = p.Reused;
                continue;
            }
            var before = p.Problems!.Count;
            var built = Build(p.Service, p.Plan!, options, p.Problems);
            for (var i = before; i < p.Problems.Count; i++) problems.Add(p.Problems[i]);
            result[p.Service.Key] = built;
        }
        var rendered = result.ToImmutable();
        var (shapes, shared) = Count(rendered.Values);
        var claims = new Dictionary<string, ServiceKey>(StringComparer.Ordinal);
        foreach (var o in rendered.Values) foreach (var k in o.DispatchKeys) claims[k] = o.Key;
        return new NftRuleset(options, snapshot.NodeName, rendered, problems.ToImmutable())
        {
            NodeZone = snapshot.NodeZone,
            ShapeCounts = shapes,
            SharedCounts = shared,
            Index = rendered.ToDictionary(),
            Claims = claims.ToImmutableDictionary(StringComparer.Ordinal),
        };
    }

    /// <summary>
    /// The incremental render: one pass over the snapshot finds the Services whose content differs from last time (hash
    /// lookups and a field-by-field comparison, no sort), and only those are planned and built; the sorted result, the index, the LB
    /// IP:port claims and the shape and shared counts are the previous ones with those entries replaced. An IP:port
    /// already programmed for one Service stays with it when another Service asks for it too (the newcomer gets the
    /// problem), so a change never moves traffic between Services.
    /// </summary>
    private static NftRuleset RenderChanges(DataPlaneSnapshot snapshot, NftRenderOptions options, NftRuleset previous)
    {
        var problems = ImmutableArray.CreateBuilder<RenderProblem>();
        var services = snapshot.Services.IsDefault ? [] : snapshot.Services;
        var seen = new HashSet<ServiceKey>(services.Length);
        var changed = new List<DataPlaneService>();
        foreach (var svc in services)
        {
            if (!seen.Add(svc.Key))
            {
                problems.Add(new RenderProblem(svc.Key, "the Service appears twice in the snapshot; the second copy is ignored"));
                continue;
            }
            if (previous.Index.TryGetValue(svc.Key, out var old) && old.Problems.IsEmpty && old.Source is { } source
                && ServiceContent.Same(source, svc)) continue;
            changed.Add(svc);
        }
        var touched = new List<ServiceKey>();
        // Every key seen that existed before is a key of the previous index: equal counts mean nothing was removed.
        var added = changed.Count(c => !previous.Index.ContainsKey(c.Key));
        if (seen.Count - added != previous.Index.Count)
            foreach (var key in previous.Index.Keys) if (!seen.Contains(key)) touched.Add(key);
        if (changed.Count == 0 && touched.Count == 0)
            return previous with { Problems = problems.ToImmutable(), Changes = new NftChangeSet(previous, []) };

        var result = previous.Services.ToBuilder();
        var index = new Dictionary<ServiceKey, NftServiceObjects>(previous.Index);
        var claims = previous.Claims.ToBuilder();
        var shapes = previous.ShapeCounts.ToBuilder();
        var shared = previous.SharedCounts.ToBuilder();
        void Release(ServiceKey key)
        {
            if (!index.TryGetValue(key, out var old)) return;
            foreach (var k in old.DispatchKeys) if (claims.TryGetValue(k, out var owner) && owner == key) claims.Remove(k);
            Adjust(shapes, shared, old, -1);
            result.Remove(key);
            index.Remove(key);
        }
        foreach (var key in touched) Release(key);
        changed.Sort((a, b) => ServiceKeyComparer.Instance.Compare(a.Key, b.Key));
        foreach (var svc in changed) Release(svc.Key);
        foreach (var svc in changed)
        {
            touched.Add(svc.Key);
            var own = ImmutableArray.CreateBuilder<RenderProblem>();
            bool Claim(string k)
            {
                if (claims.TryGetValue(k, out var owner) && owner != svc.Key) return false;
                claims[k] = svc.Key;
                return true;
            }
            var plan = Plan(svc, snapshot.NodeName, snapshot.NodeZone, Claim, own);
            if (plan is not null)
            {
                var built = Build(svc, plan, options, own);
                result[svc.Key] = built;
                index[svc.Key] = built;
                Adjust(shapes, shared, built, +1);
            }
            problems.AddRange(own);
        }
        return new NftRuleset(options, snapshot.NodeName, result.ToImmutable(), problems.ToImmutable())
        {
            NodeZone = snapshot.NodeZone,
            ShapeCounts = shapes.ToImmutable(),
            SharedCounts = shared.ToImmutable(),
            Index = index,
            Claims = claims.ToImmutable(),
            Changes = new NftChangeSet(previous, [.. touched]),
        };
    }

    private static (ImmutableSortedDictionary<string, int>, ImmutableDictionary<NftElement, int>) Count(IEnumerable<NftServiceObjects> services)
    {
        // Plain dictionaries while counting (a full render counts every Service), immutable ones to keep.
        var shapes = new Dictionary<string, int>(StringComparer.Ordinal);
        var shared = new Dictionary<NftElement, int>();
        foreach (var s in services)
        {
            foreach (var shape in s.Shapes) Bump(shapes, shape, +1);
            foreach (var e in s.Shared) Bump(shared, e, +1);
        }
        return (shapes.ToImmutableSortedDictionary(StringComparer.Ordinal), shared.ToImmutableDictionary());
    }

    private static void Adjust(ImmutableSortedDictionary<string, int>.Builder shapes, ImmutableDictionary<NftElement, int>.Builder shared,
        NftServiceObjects s, int delta)
    {
        foreach (var shape in s.Shapes) Bump(shapes, shape, delta);
        foreach (var e in s.Shared) Bump(shared, e, delta);
    }

    private static void Bump<TKey>(IDictionary<TKey, int> counts, TKey key, int delta)
    {
        var n = (counts.TryGetValue(key, out var c) ? c : 0) + delta;
        if (n > 0) counts[key] = n; else counts.Remove(key);
    }

    private sealed record ServicePlan(DataPlaneService Service, NftServiceObjects? Reused, List<PortFamilyPlan>? Plan,
        ImmutableArray<RenderProblem>.Builder? Problems);

    /// <summary>The most endpoints one ring uses (per Service port, family and cluster/local).</summary>
    public const int MaxEndpoints = 4096;

    /// <summary>One endpoint choice (svc-… over cluster endpoints or loc-… over local ones).</summary>
    private sealed record Choice(string Chain, ImmutableArray<PortEndpoint> Endpoints, bool ConsistentHash, bool Local);

    private sealed record PortFamilyPlan(
        string Id, string Proto, int Port, AddressFamily Family, ImmutableArray<IPAddress> Vips, ImmutableArray<IPNetwork> SourceRanges,
        CategorizedEndpoints Endpoints, Choice? Cluster, Choice? Local)
    {
        public IEnumerable<Choice> Choices => new[] { Cluster, Local }.OfType<Choice>();
    }

    private static List<PortFamilyPlan>? Plan(DataPlaneService svc, string nodeName, string? nodeZone, Func<string, bool> claim,
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
                    if (!claim(key))
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
                var cluster = usesCluster ? MakeChoice("svc-" + id, categorized.Cluster, ch, false, svc.Key, problems) : null;
                var local = usesLocal ? MakeChoice("loc-" + id, categorized.Local, ch, true, svc.Key, problems) : null;
                plan.Add(new PortFamilyPlan(id, proto, port.Port, family, [.. familyVips],
                    NormaliseRanges(ranges.Where(r => r.BaseAddress.AddressFamily == family)), categorized, cluster, local));
            }
        }
        return plan;
    }

    private static Choice? MakeChoice(string chain, ImmutableArray<PortEndpoint> endpoints, bool consistentHash, bool local, ServiceKey key,
        ImmutableArray<RenderProblem>.Builder problems)
    {
        if (endpoints.IsEmpty) return null;
        if (endpoints.Length > MaxEndpoints)
        {
            problems.Add(new RenderProblem(key, $"{chain}: {endpoints.Length} endpoints; only the first {MaxEndpoints} are used"));
            endpoints = endpoints[..MaxEndpoints];
        }
        return new Choice(chain, endpoints, consistentHash, local);
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

    private static NftServiceObjects Build(DataPlaneService svc, List<PortFamilyPlan> plan, NftRenderOptions options,
        ImmutableArray<RenderProblem>.Builder problems)
    {
        var o = new Objects();
        var packets = NftNames.PacketsCounter(svc.Key);
        var connections = NftNames.ConnectionsCounter(svc.Key);
        var affinity = svc.SessionAffinityTimeout is { } t && t > TimeSpan.Zero
            ? (long)Math.Clamp(Math.Ceiling(t.TotalSeconds), 1, 86400 * 365) : (long?)null;

        foreach (var spf in plan)
        {
            var s = NftNames.Suffix(spf.Family);
            var reachable = spf.Choices.SelectMany(c => c.Endpoints).DistinctBy(e => e.Id)
                .Select(e => new IPEndPoint(e.Address, e.Port)).ToImmutableArray();
            var keys = spf.Vips.Select(v => DispatchKey(v, spf.Proto, spf.Port)).ToList();
            if (affinity is null) BuildElements(svc, spf, keys, o);
            else BuildAffinityChains(svc, spf, keys, options, affinity.Value, o);
            foreach (var (vip, key) in spf.Vips.Zip(keys))
            {
                o.Dispatch.Add(key);
                o.Flows.Add(new NftFlow(spf.Proto, vip, spf.Port, reachable));
                o.Elements.Add(new NftElement("ctr" + s, key, $"\"{packets}\""));
                o.Elements.Add(new NftElement("conn" + s, key, $"\"{connections}\""));
                if (!spf.SourceRanges.IsEmpty)
                {
                    o.Elements.Add(new NftElement("fw" + s, key, null));
                    foreach (var r in spf.SourceRanges) o.Elements.Add(new NftElement("allow" + s, key + " . " + r, null));
                }
            }
        }

        return new NftServiceObjects(svc.Key, [.. o.Chains], [.. o.Sets], o.Dispatch.Count == 0 ? [] : [packets, connections], [.. o.Elements])
        {
            Source = svc,
            DispatchKeys = [.. o.Dispatch],
            Flows = [.. o.Flows],
            Shapes = [.. o.Shapes.Order(StringComparer.Ordinal)],
            Shared = [.. o.Shared],
            Problems = problems.ToImmutable(),
        };
    }

    private sealed class Objects
    {
        public readonly List<NftChain> Chains = [];
        public readonly List<NftSet> Sets = [];
        public readonly List<NftElement> Elements = [];
        public readonly List<string> Dispatch = [];
        public readonly List<NftFlow> Flows = [];
        public readonly HashSet<string> Shapes = new(StringComparer.Ordinal);
        public readonly HashSet<NftElement> Shared = [];
    }

    /// <summary>
    /// The elements-only form: membership in the fixed chains' policy sets, the rings and their shapes. Read with the
    /// fixed chains in <see cref="NftText.AppendBase"/>: <c>dp4</c> (reject, classify source, external policy) and
    /// <c>int4</c> (pods and the node itself), then <c>clu4</c>/<c>loc4</c> pick from the ring.
    /// </summary>
    private static void BuildElements(DataPlaneService svc, PortFamilyPlan spf, List<string> keys, Objects o)
    {
        var s = NftNames.Suffix(spf.Family);
        void Member(string set) { foreach (var k in keys) o.Elements.Add(new NftElement(set + s, k, null)); }
        Member("lb");
        if (!spf.Endpoints.HasAny)
        {
            Member("rej");
            return;
        }
        var external = svc.ExternalTrafficPolicy == TrafficPolicy.Cluster ? spf.Cluster : spf.Local;
        var @internal = svc.InternalTrafficPolicy == TrafficPolicy.Cluster ? spf.Cluster : spf.Local;
        if (external is null) Member("xdrop");
        else
        {
            if (svc.ExternalTrafficPolicy == TrafficPolicy.Cluster) Member("xmasq");
            else Member("xloc");
        }
        if (@internal is null) Member("idrop");
        else if (svc.InternalTrafficPolicy == TrafficPolicy.Local) Member("iloc");

        foreach (var ring in new[] { external, @internal }.OfType<Choice>().Distinct())
        {
            var n = ring.Endpoints.Length;
            var hash = ring.ConsistentHash && n > 1;
            var size = hash ? Maglev.TableSize(n) : n;
            var shape = NftShapes.Name(ring.Local, spf.Family, spf.Proto, hash, size);
            o.Shapes.Add(shape);
            foreach (var k in keys) o.Elements.Add(new NftElement(shape, k, null));
            var map = NftShapes.Ring(ring.Local, spf.Family, spf.Proto);
            var vipPorts = spf.Vips.Select(v => string.Create(CultureInfo.InvariantCulture, $"{v} . {spf.Port}")).ToList();
            var table = hash ? Maglev.Build([.. ring.Endpoints.Select(e => e.Id)], size) : null;
            for (var slot = 0; slot < size; slot++)
            {
                var e = ring.Endpoints[table is null ? slot : table[slot]];
                var value = string.Create(CultureInfo.InvariantCulture, $"{e.Address} . {e.Port}");
                foreach (var k in vipPorts) o.Elements.Add(new NftElement(map, string.Create(CultureInfo.InvariantCulture, $"{k} . {slot}"), value));
            }
            // Hairpin: a pod that reaches its own Service and is picked itself is masqueraded (nat-postrouting).
            foreach (var e in ring.Endpoints) o.Shared.Add(new NftElement("hp" + s, $"{e.Address} . {e.Address}", null));
        }
    }

    /// <summary>
    /// sessionAffinity: ClientIP keeps kube-proxy's layout: per endpoint a chain that records the client in a dynamic set,
    /// and a choice chain that first sends clients found in a set to their endpoint. The first choice is uniform
    /// (consistent hashing does not apply: affinity decides).
    /// </summary>
    private static void BuildAffinityChains(DataPlaneService svc, PortFamilyPlan spf, List<string> keys, NftRenderOptions options, long affinity, Objects o)
    {
        var f = NftNames.Family(spf.Family);
        var s = NftNames.Suffix(spf.Family);
        var mark = "meta mark set meta mark | " + Hex(options.MasqueradeMark);
        var endpointChains = new SortedDictionary<string, PortEndpoint>(StringComparer.Ordinal);
        foreach (var c in spf.Choices) foreach (var e in c.Endpoints) endpointChains[e.Id] = e;

        string? clusterChain = null, localChain = null;
        foreach (var choice in spf.Choices)
        {
            var rules = new List<string>();
            foreach (var e in choice.Endpoints) rules.Add($"{f} saddr @aff-{spf.Id}__{e.Id} goto ep-{spf.Id}__{e.Id}");
            // Uniform choice without any set: rule i takes endpoint i with probability 1/(n-i), the last takes what is left.
            var n = choice.Endpoints.Length;
            for (var i = 0; i < n - 1; i++)
                rules.Add(string.Create(CultureInfo.InvariantCulture, $"numgen random mod {n - i} 0 goto ep-{spf.Id}__{choice.Endpoints[i].Id}"));
            rules.Add($"goto ep-{spf.Id}__{choice.Endpoints[n - 1].Id}");
            o.Chains.Add(new NftChain(choice.Chain, [.. rules]));
            if (ReferenceEquals(choice, spf.Cluster)) clusterChain = choice.Chain; else localChain = choice.Chain;
        }

        foreach (var (id, e) in endpointChains)
        {
            var set = $"aff-{spf.Id}__{id}";
            o.Sets.Add(new NftSet(set, string.Create(CultureInfo.InvariantCulture,
                $"type {NftShapes.AddrType(spf.Family)}; flags dynamic,timeout; timeout {affinity}s;")));
            var to = spf.Family == AddressFamily.InterNetworkV6 ? $"[{e.Address}]:{e.Port}" : $"{e.Address}:{e.Port}";
            o.Chains.Add(new NftChain($"ep-{spf.Id}__{id}", [
                $"{f} saddr {e.Address} {mark}",
                $"update @{set} {{ {f} saddr }}",
                $"meta l4proto {spf.Proto} dnat {f} to {to}",
            ]));
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
            o.Chains.Add(new NftChain(ext, [.. rules]));
            verdict = "goto " + ext;
        }
        foreach (var k in keys) o.Elements.Add(new NftElement("svc" + s, k, verdict));
    }
}
