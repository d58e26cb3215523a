using System.Collections.Immutable;
using System.Net;
using System.Net.Sockets;
using LoadBalancer.Speaker.Announcing;

namespace LoadBalancer.Speaker.Planning;

/// <summary>
/// Decides, for one node, which Service IPs it announces and how. Pure and total: the same snapshot gives the same
/// plan on every node, and no input (duplicate keys, unknown pools, missing nodes, odd aggregation lengths) throws.
/// </summary>
/// <remarks>
/// Eligibility of a node for an IP of a Service (checked in this order; the first failure is the reason):
/// 1. its speaker is alive (<see cref="PlannerSnapshot.LiveSpeakers"/>) and it is not opted out (label
///    <c>node.kubernetes.io/exclude-from-external-load-balancers</c>, condition NetworkUnavailable=True): else
///    <see cref="WithdrawReason.NodeExcluded"/>;
/// 2. the IP lies in a pool and an advertisement selects that pool (by name or selector; none = all pools), the node
///    (nodeSelectors) and the Service (serviceSelectors): else <see cref="WithdrawReason.NotAdvertised"/>;
/// 3. the Service has a usable endpoint of the IP's family somewhere: ready ones, or, while no endpoint is ready,
///    serving terminating ones (the fallback kube-proxy uses, so a rolling update does not drop the IP): else
///    <see cref="WithdrawReason.NoEndpoints"/>;
/// 4. under externalTrafficPolicy Local, this node holds one of those usable endpoints: else
///    <see cref="WithdrawReason.NoLocalEndpoints"/>;
/// 5. Layer 2 only: this node wins the election among all eligible nodes: else <see cref="WithdrawReason.LeaderMoved"/>.
/// Services sharing an IP elect one owner for it: the candidates are the union of the nodes eligible for any of them
/// (see docs/speaker.md for why union, and how MetalLB differs).
/// </remarks>
internal static class AnnouncementPlanner
{
    public static AnnouncementPlan Plan(string nodeName, PlannerSnapshot snapshot)
    {
        var ctx = new Context(nodeName, snapshot);
        return ctx.Run();
    }

    private sealed class Context
    {
        private readonly string _self;
        private readonly PlannerSnapshot _s;
        private readonly NodeInput[] _nodes;
        private readonly int _selfIndex;
        private readonly bool[] _baseEligible;
        private readonly Dictionary<string, PoolInput> _pools = new(StringComparer.Ordinal);
        private readonly ServiceInput[] _services;
        private readonly Dictionary<ServiceKey, List<EndpointSliceInput>> _slices = [];
        private readonly Dictionary<string, PeerInput> _peers = new(StringComparer.Ordinal);
        private readonly HashSet<string> _selfPeers = new(StringComparer.Ordinal);
        // Per advertisement: which nodes (by index) it selects, among eligible ones.
        private readonly Dictionary<IAdvertisement, bool[]> _adNodes = new(ReferenceEqualityComparer.Instance);

        public Context(string self, PlannerSnapshot s)
        {
            _self = self;
            _s = s;
            var seen = new HashSet<string>(StringComparer.Ordinal);
            _nodes = Safe(s.Nodes).Where(n => n is not null && seen.Add(n.Name)).OrderBy(n => n.Name, StringComparer.Ordinal).ToArray();
            _selfIndex = Array.FindIndex(_nodes, n => n.Name == self);
            var live = s.LiveSpeakers ?? [];
            _baseEligible = _nodes.Select(n => live.Contains(n.Name) && !n.Excluded).ToArray();
            foreach (var p in Safe(s.Config?.Pools)) _pools.TryAdd(p.Name, p);
            var keys = new HashSet<ServiceKey>();
            _services = Safe(s.Services).Where(x => x is not null && keys.Add(x.Key)).OrderBy(x => x.Key.ToString(), StringComparer.Ordinal).ToArray();
            foreach (var slice in Safe(s.EndpointSlices))
            {
                if (slice is null) continue;
                if (!_slices.TryGetValue(slice.Service, out var list)) _slices[slice.Service] = list = [];
                list.Add(slice);
            }
            foreach (var p in Safe(s.Config?.Peers))
            {
                if (p?.Spec is null || !_peers.TryAdd(p.Spec.Name, p)) continue;
                if (_selfIndex >= 0 && Selector.MatchesAny(p.NodeSelectors, _nodes[_selfIndex].Labels)) _selfPeers.Add(p.Spec.Name);
            }
            foreach (IAdvertisement ad in Safe(s.Config?.L2Advertisements).Cast<IAdvertisement>().Concat(Safe(s.Config?.BgpAdvertisements)))
            {
                var sel = new bool[_nodes.Length];
                for (var i = 0; i < _nodes.Length; i++) sel[i] = _baseEligible[i] && Selector.MatchesAny(ad.NodeSelectors, _nodes[i].Labels);
                _adNodes.TryAdd(ad, sel);
            }
        }

        private bool SelfEligible => _selfIndex >= 0 && _baseEligible[_selfIndex];

        public AnnouncementPlan Run()
        {
            var evals = new Dictionary<ServiceKey, List<IpEval>>();
            var byIp = new Dictionary<IPAddress, List<IpEval>>();
            foreach (var svc in _services)
            {
                foreach (var ip in Distinct(svc.Ips))
                {
                    var e = Evaluate(svc, ip);
                    if (!evals.TryGetValue(svc.Key, out var mine)) evals[svc.Key] = mine = [];
                    mine.Add(e);
                    if (!byIp.TryGetValue(ip, out var list)) byIp[ip] = list = [];
                    list.Add(e);
                }
            }

            // Layer 2 election, once per IP, over the union of candidates of every Service sharing it.
            var l2Owner = new Dictionary<IPAddress, string?>();
            foreach (var (ip, list) in byIp)
            {
                if (!list.Any(e => e.L2SelfCandidate)) continue;
                var union = new bool[_nodes.Length];
                foreach (var e in list)
                {
                    if (e.L2Candidates is null) continue;
                    for (var i = 0; i < union.Length; i++) union[i] |= e.L2Candidates[i];
                }
                l2Owner[ip] = Layer2Election.Owner(_nodes.Where((_, i) => union[i]).Select(n => n.Name), ip);
            }

            var l2 = new Dictionary<IPAddress, (SortedSet<string> Ifaces, bool All, SortedSet<ServiceKey> Svcs, TimeSpan? Garp)>();
            var routes = new Dictionary<(string Peer, IPNetwork Prefix), RouteAcc>();
            var plans = ImmutableDictionary.CreateBuilder<ServiceKey, ServicePlan>();
            foreach (var svc in _services)
            {
                var anns = ImmutableArray.CreateBuilder<IpAnnouncement>();
                WithdrawReason? best = null;
                void Consider(WithdrawReason r) { if (best is null || r > best) best = r; }
                foreach (var e in evals.GetValueOrDefault(svc.Key) ?? [])
                {
                    // Layer 2
                    var l2Reason = e.L2Reason;
                    if (l2Reason is null && l2Owner.GetValueOrDefault(e.Ip) != _self) l2Reason = WithdrawReason.LeaderMoved;
                    if (l2Reason is { } r2) Consider(r2);
                    else
                    {
                        anns.Add(new IpAnnouncement(e.Ip, AnnounceProtocol.Layer2, e.L2AllInterfaces ? [] : [.. e.L2Interfaces], []));
                        if (!l2.TryGetValue(e.Ip, out var acc)) l2[e.Ip] = acc = (new(StringComparer.Ordinal), false, new(ServiceKeyComparer.Instance), null);
                        acc.Ifaces.UnionWith(e.L2Interfaces);
                        acc.Svcs.Add(svc.Key);
                        l2[e.Ip] = acc with
                        {
                            All = acc.All || e.L2AllInterfaces,
                            Garp = Min(acc.Garp, e.L2Garp),
                        };
                    }
                    // BGP
                    if (e.BgpReason is { } rb) Consider(rb);
                    else
                    {
                        var peers = new SortedSet<string>(StringComparer.Ordinal);
                        foreach (var ad in e.BgpAds)
                        {
                            foreach (var peerName in AdPeers(ad))
                            {
                                var peer = _peers[peerName];
                                peers.Add(peerName);
                                var len = e.Ip.AddressFamily == AddressFamily.InterNetwork ? ad.AggregationLength : ad.AggregationLengthV6;
                                var prefix = Prefix(e.Ip, len);
                                if (!routes.TryGetValue((peerName, prefix), out var acc)) routes[(peerName, prefix)] = acc = new RouteAcc();
                                acc.Communities.UnionWith(Safe(ad.Communities));
                                acc.Large.UnionWith(Safe(ad.LargeCommunities));
                                if (ad.LocalPreference is { } lp && peer.Spec.MyAsn == peer.Spec.PeerAsn)
                                    acc.LocalPref = acc.LocalPref is { } cur ? Math.Max(cur, lp) : lp;
                            }
                        }
                        anns.Add(new IpAnnouncement(e.Ip, AnnounceProtocol.Bgp, [], [.. peers]));
                    }
                }
                var ips = Distinct(svc.Ips).ToImmutableArray();
                plans[svc.Key] = anns.Count > 0
                    ? new ServicePlan(svc.Key, ips, anns.ToImmutable(), null)
                    : new ServicePlan(svc.Key, ips, [], best ?? WithdrawReason.NotAdvertised);
            }

            var layer2 = l2.OrderBy(kv => kv.Key, IpComparer.Instance)
                .Select(kv => new Layer2Announcement(kv.Key, kv.Value.All ? [] : [.. kv.Value.Ifaces], [.. kv.Value.Svcs], kv.Value.Garp))
                .ToImmutableArray();
            var bgpRoutes = routes.OrderBy(kv => kv.Key.Peer, StringComparer.Ordinal).ThenBy(kv => kv.Key.Prefix.BaseAddress, IpComparer.Instance).ThenBy(kv => kv.Key.Prefix.PrefixLength)
                .Select(kv => new BgpRoute(kv.Key.Peer, kv.Key.Prefix, [.. kv.Value.Communities], [.. kv.Value.Large], kv.Value.LocalPref))
                .ToImmutableArray();
            var bgpPeers = _s.BgpEnabled
                ? _selfPeers.Order(StringComparer.Ordinal).Select(p => _peers[p].Spec).ToImmutableArray()
                : [];
            return new AnnouncementPlan(_self, layer2, bgpRoutes, bgpPeers, plans.ToImmutable(), DataPlane());
        }

        private IEnumerable<string> AdPeers(BgpAdvertisementInput ad)
        {
            var names = ad.Peers.IsDefaultOrEmpty ? (IEnumerable<string>)_peers.Keys : ad.Peers;
            return names.Where(_selfPeers.Contains).Distinct(StringComparer.Ordinal);
        }

        private IpEval Evaluate(ServiceInput svc, IPAddress ip)
        {
            var e = new IpEval(svc, ip);
            var pool = ResolvePool(svc, ip);
            var ep = Endpoints(svc.Key, ip.AddressFamily);
            var local = svc.ExternalTrafficPolicy == TrafficPolicy.Local;

            bool PolicyAllows(string node) => !local || ep.Usable.Contains(node);

            WithdrawReason? Common(bool anyAdForSelf)
            {
                if (!SelfEligible) return WithdrawReason.NodeExcluded;
                if (!anyAdForSelf) return WithdrawReason.NotAdvertised;
                if (!ep.Any) return WithdrawReason.NoEndpoints;
                if (!PolicyAllows(_self)) return WithdrawReason.NoLocalEndpoints;
                return null;
            }

            // Layer 2
            var l2Ads = _s.Layer2Enabled && pool is not null ? Safe(_s.Config?.L2Advertisements).Where(a => a is not null && Selects(a, pool, svc)).ToArray() : [];
            var l2SelfAds = _selfIndex >= 0 ? l2Ads.Where(a => _adNodes[a][_selfIndex]).ToArray() : [];
            e.L2Reason = Common(l2SelfAds.Length > 0);
            if (l2Ads.Length > 0 && ep.Any)
            {
                var cand = new bool[_nodes.Length];
                for (var i = 0; i < cand.Length; i++)
                {
                    if (!PolicyAllows(_nodes[i].Name)) continue;
                    foreach (var a in l2Ads)
                    {
                        if (_adNodes[a][i]) { cand[i] = true; break; }
                    }
                }
                e.L2Candidates = cand;
            }
            e.L2SelfCandidate = e.L2Reason is null;
            foreach (var a in l2SelfAds)
            {
                if (a.Interfaces.IsDefaultOrEmpty) e.L2AllInterfaces = true;
                else e.L2Interfaces.UnionWith(a.Interfaces);
                e.L2Garp = Min(e.L2Garp, a.GratuitousInterval);
            }

            // BGP
            var bgpAds = _s.BgpEnabled && pool is not null && _selfIndex >= 0
                ? Safe(_s.Config?.BgpAdvertisements).Where(a => a is not null && Selects(a, pool, svc) && _adNodes[a][_selfIndex]).ToArray()
                : [];
            e.BgpReason = Common(bgpAds.Length > 0);
            e.BgpAds = bgpAds.Where(a => AdPeers(a).Any()).ToArray();
            if (e.BgpReason is null && e.BgpAds.Length == 0) e.BgpReason = WithdrawReason.NotAdvertised;
            return e;
        }

        private bool Selects(IAdvertisement ad, PoolInput pool, ServiceInput svc)
        {
            var poolOk = (ad.Pools.IsDefaultOrEmpty && ad.PoolSelectors.IsDefaultOrEmpty)
                || (!ad.Pools.IsDefaultOrEmpty && ad.Pools.Contains(pool.Name))
                || (!ad.PoolSelectors.IsDefaultOrEmpty && Selector.MatchesAny(ad.PoolSelectors, pool.Labels));
            return poolOk && Selector.MatchesAny(ad.ServiceSelectors, svc.Labels ?? ImmutableDictionary<string, string>.Empty);
        }

        private PoolInput? ResolvePool(ServiceInput svc, IPAddress ip)
        {
            if (svc.Pool is not null && _pools.TryGetValue(svc.Pool, out var named) && named.Contains(ip)) return named;
            foreach (var p in Safe(_s.Config?.Pools))
            {
                if (p is not null && p.Contains(ip)) return p;
            }
            return null;
        }

        private readonly Dictionary<(ServiceKey, AddressFamily), EndpointView> _epCache = [];

        private EndpointView Endpoints(ServiceKey key, AddressFamily family)
        {
            if (_epCache.TryGetValue((key, family), out var cached)) return cached;
            var slices = _slices.GetValueOrDefault(key) ?? [];
            var ofFamily = slices.Where(sl => sl.Family == family).ToList();
            if (ofFamily.Count == 0) ofFamily = slices.Where(sl => sl.Family is not null).ToList();
            var ready = new HashSet<string>(StringComparer.Ordinal);
            var terminating = new HashSet<string>(StringComparer.Ordinal);
            bool anyReady = false, anyTerminating = false;
            foreach (var ep in ofFamily.SelectMany(sl => Safe(sl.Endpoints)))
            {
                if (ep is null || ep.Addresses.IsDefaultOrEmpty) continue;
                if (ep.Ready)
                {
                    anyReady = true;
                    if (ep.NodeName is not null) ready.Add(ep.NodeName);
                }
                else if (ep.Serving && ep.Terminating)
                {
                    anyTerminating = true;
                    if (ep.NodeName is not null) terminating.Add(ep.NodeName);
                }
            }
            var view = anyReady ? new EndpointView(true, ready) : new EndpointView(anyTerminating, terminating);
            _epCache[(key, family)] = view;
            return view;
        }

        private DataPlaneSnapshot DataPlane()
        {
            var services = ImmutableArray.CreateBuilder<DataPlaneService>();
            foreach (var svc in _services)
            {
                var ips = Distinct(svc.Ips).ToImmutableArray();
                if (ips.IsEmpty) continue;
                var endpoints = ImmutableArray.CreateBuilder<EndpointSpec>();
                var seen = new HashSet<IPAddress>();
                foreach (var slice in _slices.GetValueOrDefault(svc.Key) ?? [])
                {
                    if (slice.Family is null) continue;
                    var ports = Safe(slice.Ports).Where(p => p is not null)
                        .GroupBy(p => p.Name ?? "", StringComparer.Ordinal)
                        .ToImmutableDictionary(g => g.Key, g => g.First().Port, StringComparer.Ordinal);
                    foreach (var ep in Safe(slice.Endpoints))
                    {
                        if (ep is null) continue;
                        foreach (var a in Safe(ep.Addresses))
                        {
                            if (a is null || !seen.Add(a)) continue;
                            endpoints.Add(new EndpointSpec(a, ep.NodeName, ep.Zone, ep.Ready, ep.Serving, ep.Terminating, ports,
                                ep.ZoneHints.IsDefault ? [] : ep.ZoneHints));
                        }
                    }
                }
                services.Add(new DataPlaneService(svc.Key, ips, Safe(svc.Ports).ToImmutableArray(), svc.ExternalTrafficPolicy,
                    svc.InternalTrafficPolicy, svc.SessionAffinityTimeout, Safe(svc.SourceRanges).ToImmutableArray(),
                    svc.HealthCheckNodePort, svc.PreferClose, svc.LoadBalancing, endpoints.ToImmutable()));
            }
            return new DataPlaneSnapshot(_self, _selfIndex >= 0 ? _nodes[_selfIndex].Zone : null, services.ToImmutable());
        }
    }

    private sealed record EndpointView(bool Any, HashSet<string> Usable);

    private sealed class IpEval(ServiceInput service, IPAddress ip)
    {
        public ServiceInput Service { get; } = service;
        public IPAddress Ip { get; } = ip;
        public WithdrawReason? L2Reason { get; set; }
        public bool[]? L2Candidates { get; set; }
        public bool L2SelfCandidate { get; set; }
        public SortedSet<string> L2Interfaces { get; } = new(StringComparer.Ordinal);
        public bool L2AllInterfaces { get; set; }
        public TimeSpan? L2Garp { get; set; }
        public WithdrawReason? BgpReason { get; set; }
        public BgpAdvertisementInput[] BgpAds { get; set; } = [];
    }

    private sealed class RouteAcc
    {
        public SortedSet<uint> Communities { get; } = [];
        public SortedSet<(uint, uint, uint)> Large { get; } = [];
        public uint? LocalPref { get; set; }
    }

    /// <summary><paramref name="ip"/> masked to <paramref name="length"/> bits (clamped to the family's width).</summary>
    internal static IPNetwork Prefix(IPAddress ip, int length)
    {
        Span<byte> bytes = stackalloc byte[16];
        ip.TryWriteBytes(bytes, out var n);
        bytes = bytes[..n];
        var len = Math.Clamp(length, 0, n * 8);
        for (var i = 0; i < n; i++)
        {
            var keep = Math.Clamp(len - (i * 8), 0, 8);
            bytes[i] &= (byte)(0xFF << (8 - keep));
        }
        return new IPNetwork(new IPAddress(bytes), len);
    }

    private static TimeSpan? Min(TimeSpan? a, TimeSpan? b) => a is null ? b : b is null ? a : (a < b ? a : b);

    private static IEnumerable<IPAddress> Distinct(ImmutableArray<IPAddress> ips) => Safe(ips).Where(i => i is not null).Distinct();

    private static IEnumerable<T> Safe<T>(ImmutableArray<T> a) => a.IsDefault ? [] : a;

    private static IEnumerable<T> Safe<T>(ImmutableArray<T>? a) => a is not { IsDefault: false } v ? [] : v;
}
