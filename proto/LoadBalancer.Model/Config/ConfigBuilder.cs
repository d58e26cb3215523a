using System.Globalization;
using System.Net;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using LoadBalancer.Kube.Api;
using LoadBalancer.Kube;
using LoadBalancer.Model.Crds;
using LoadBalancer.Model.Net;

namespace LoadBalancer.Model.Config;

/// <summary>
/// Turns every CR into one validated <see cref="LoadBalancerConfig"/> and collects every error (it never stops at the
/// first). A bad object is excluded; if an earlier version of it was valid (<paramref name="previous"/>), that version
/// stays in force. Pure: no I/O, no clock.
/// </summary>
/// <remarks>
/// Objects are processed kind by kind in dependency order (BFD profiles, communities, pools, peers, advertisements).
/// Within a kind, objects unchanged since the previous build go first, so an edit or a new object that conflicts with
/// an established one (overlapping CIDRs, a conflicting localPref) is the one reported and excluded.
/// </remarks>
public static class ConfigBuilder
{
    public static ConfigResult Build(ClusterResources resources, ConfigResult? previous = null, ConfigBuilderOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(resources);
        var b = new Run(resources, previous, options ?? new ConfigBuilderOptions());
        b.Process(BFDProfile.KindName, resources.BfdProfiles, ModelJsonContext.Default.BFDProfile, o => o.Spec, ModelJsonContext.Default.BFDProfileSpec, b.ValidateBfd, b.Accept);
        b.Process(Community.KindName, resources.Communities, ModelJsonContext.Default.Community, o => o.Spec, ModelJsonContext.Default.CommunitySpec, b.ValidateCommunity, b.Accept);
        b.Process(IPAddressPool.KindName, resources.Pools, ModelJsonContext.Default.IPAddressPool, o => o.Spec, ModelJsonContext.Default.IPAddressPoolSpec, b.ValidatePool, b.Accept);
        b.Process(BGPPeer.KindName, resources.Peers, ModelJsonContext.Default.BGPPeer, o => o.Spec, ModelJsonContext.Default.BGPPeerSpec, b.ValidatePeer, b.Accept);
        b.Process(L2Advertisement.KindName, resources.L2Advertisements, ModelJsonContext.Default.L2Advertisement, o => o.Spec, ModelJsonContext.Default.L2AdvertisementSpec, b.ValidateL2, b.Accept);
        b.Process(BGPAdvertisement.KindName, resources.BgpAdvertisements, ModelJsonContext.Default.BGPAdvertisement, o => o.Spec, ModelJsonContext.Default.BGPAdvertisementSpec, b.ValidateBgpAd, b.Accept);
        return b.Finish();
    }

    /// <summary>Per-build state. Errors are collected as (field, message) pairs and bound to the object at the end.</summary>
    private sealed class Run(ClusterResources resources, ConfigResult? previous, ConfigBuilderOptions options)
    {
        private readonly List<PoolConfig> _pools = [];
        private readonly List<L2AdvertisementConfig> _l2 = [];
        private readonly List<BgpAdvertisementConfig> _bgpAds = [];
        private readonly List<BgpPeerConfig> _peers = [];
        private readonly List<BfdProfileConfig> _bfd = [];
        private readonly Dictionary<string, BgpCommunity> _aliases = new(StringComparer.Ordinal);
        private readonly Dictionary<string, string> _aliasOwner = new(StringComparer.Ordinal);
        private readonly List<ConfigError> _errors = [];
        private readonly Dictionary<ObjectRef, ObjectValidity> _objects = [];
        private readonly Dictionary<ObjectRef, (object Source, string Fingerprint)> _sources = [];
        private static readonly IReadOnlyDictionary<string, string> NoLabels = new Dictionary<string, string>();

        public void Process<T, TSpec, TConfig>(string kind, IReadOnlyList<T> items, JsonTypeInfo<T> type, Func<T, TSpec> spec,
            JsonTypeInfo<TSpec> specType, Func<T, string, List<(string, string)>, TConfig?> validate, Action<TConfig> accept)
            where T : class, IKubeObject
            where TConfig : class
        {
            var prevSources = previous?.Sources;
            string Fp(T o) => JsonSerializer.Serialize(spec(o), specType) + "|" + string.Join(",", (o.Metadata.Labels ?? []).OrderBy(kv => kv.Key, StringComparer.Ordinal).Select(kv => kv.Key + "=" + kv.Value));
            var ordered = items
                .Select(o => (Obj: o, Ref: new ObjectRef(kind, o.Metadata.Namespace ?? "", o.Metadata.Name ?? ""), Fp: Fp(o)))
                .Select(x => (x.Obj, x.Ref, x.Fp, Unchanged: prevSources is not null && prevSources.TryGetValue(x.Ref, out var s) && s.Fingerprint == x.Fp))
                .OrderBy(x => x.Unchanged ? 0 : 1).ThenBy(x => x.Ref.Name, StringComparer.Ordinal).ThenBy(x => x.Ref.Namespace, StringComparer.Ordinal)
                .ToList();
            foreach (var (obj, oref, fp, _) in ordered)
            {
                var errs = new List<(string, string)>();
                CheckIdentity(obj, kind, errs);
                var cfg = errs.Count == 0 ? validate(obj, fp, errs) : null;
                if (errs.Count == 0 && cfg is not null)
                {
                    accept(cfg);
                    _sources[oref] = (Clone(obj, type), fp);
                    _objects[oref] = new ObjectValidity(oref, [], false);
                    continue;
                }
                var bound = errs.Select(e => new ConfigError(oref, e.Item1, e.Item2)).ToList();
                _errors.AddRange(bound);
                var lastGood = false;
                if (prevSources is not null && prevSources.TryGetValue(oref, out var prev) && prev.Fingerprint != fp && prev.Source is T prevObj)
                {
                    var errs2 = new List<(string, string)>();
                    var cfg2 = validate(prevObj, prev.Fingerprint, errs2);
                    if (errs2.Count == 0 && cfg2 is not null)
                    {
                        accept(cfg2);
                        _sources[oref] = prev;
                        lastGood = true;
                    }
                }
                _objects[oref] = new ObjectValidity(oref, bound, lastGood);
            }
        }

        private static T Clone<T>(T obj, JsonTypeInfo<T> type) => JsonSerializer.Deserialize(JsonSerializer.SerializeToUtf8Bytes(obj, type), type)!;

        private void CheckIdentity(IKubeObject o, string kind, List<(string, string)> errs)
        {
            if (string.IsNullOrEmpty(o.Metadata.Name)) errs.Add(("metadata.name", "is required"));
            if (options.Namespace is { } ns && o.Metadata.Namespace != ns)
                errs.Add(("metadata.namespace", $"{kind} objects must be in namespace \"{ns}\", not \"{o.Metadata.Namespace}\""));
        }

        public ConfigResult Finish()
        {
            var config = new LoadBalancerConfig(
                [.. _pools.OrderBy(p => p.Name, StringComparer.Ordinal)],
                [.. _l2.OrderBy(p => p.Name, StringComparer.Ordinal)],
                [.. _bgpAds.OrderBy(p => p.Name, StringComparer.Ordinal)],
                [.. _peers.OrderBy(p => p.Name, StringComparer.Ordinal)],
                [.. _bfd.OrderBy(p => p.Name, StringComparer.Ordinal)],
                new Dictionary<string, BgpCommunity>(_aliases, StringComparer.Ordinal));
            return new ConfigResult(config, _errors, _objects) { Sources = _sources };
        }

        public void Accept(PoolConfig p) => _pools.Add(p);
        public void Accept(L2AdvertisementConfig a) => _l2.Add(a);
        public void Accept(BgpAdvertisementConfig a) => _bgpAds.Add(a);
        public void Accept(BgpPeerConfig p) => _peers.Add(p);
        public void Accept(BfdProfileConfig b) => _bfd.Add(b);
        public void Accept(CommunityConfig c)
        {
            foreach (var (name, value) in c.Aliases)
            {
                _aliases[name] = value;
                _aliasOwner[name] = c.Name;
            }
        }

        // ---------------------------------------------------------------- BFDProfile
        public BfdProfileConfig? ValidateBfd(BFDProfile o, string fp, List<(string, string)> errs)
        {
            var s = o.Spec;
            static void Range(List<(string, string)> errs, string field, uint? v, uint min, uint max, string unit)
            {
                if (v is uint x && (x < min || x > max)) errs.Add((field, $"{x}{unit} is out of range {min}..{max}{unit}"));
            }
            Range(errs, "spec.receiveInterval", s.ReceiveInterval, 10, 60000, "ms");
            Range(errs, "spec.transmitInterval", s.TransmitInterval, 10, 60000, "ms");
            Range(errs, "spec.echoInterval", s.EchoInterval, 10, 60000, "ms");
            Range(errs, "spec.detectMultiplier", s.DetectMultiplier, 2, 255, "");
            Range(errs, "spec.minimumTtl", s.MinimumTtl, 1, 254, "");
            if (errs.Count > 0) return null;
            return new BfdProfileConfig
            {
                Name = o.Metadata.Name!,
                ReceiveInterval = TimeSpan.FromMilliseconds(s.ReceiveInterval ?? 300),
                TransmitInterval = TimeSpan.FromMilliseconds(s.TransmitInterval ?? 300),
                DetectMultiplier = (int)(s.DetectMultiplier ?? 3),
                EchoInterval = TimeSpan.FromMilliseconds(s.EchoInterval ?? 50),
                EchoMode = s.EchoMode ?? false,
                PassiveMode = s.PassiveMode ?? false,
                MinimumTtl = (int?)s.MinimumTtl,
                Fingerprint = $"bfd {o.Metadata.Name} {fp}",
            };
        }

        // ---------------------------------------------------------------- Community
        public CommunityConfig? ValidateCommunity(Community o, string fp, List<(string, string)> errs)
        {
            var list = o.Spec.Communities ?? [];
            var aliases = new List<(string, BgpCommunity)>();
            var seen = new HashSet<string>(StringComparer.Ordinal);
            for (var i = 0; i < list.Count; i++)
            {
                var a = list[i];
                var field = $"spec.communities[{i}]";
                if (string.IsNullOrWhiteSpace(a?.Name)) { errs.Add(($"{field}.name", "is required")); continue; }
                if (!seen.Add(a.Name)) errs.Add(($"{field}.name", $"duplicate alias \"{a.Name}\" in this object"));
                else if (_aliasOwner.TryGetValue(a.Name, out var owner))
                    errs.Add(($"{field}.name", $"alias \"{a.Name}\" is already defined by Community \"{owner}\""));
                if (!BgpCommunity.TryParse(a.Value, out var c, out var e)) errs.Add(($"{field}.value", e));
                else aliases.Add((a.Name, c));
            }
            return errs.Count > 0 ? null : new CommunityConfig(o.Metadata.Name!, aliases);
        }

        // ---------------------------------------------------------------- IPAddressPool
        public PoolConfig? ValidatePool(IPAddressPool o, string fp, List<(string, string)> errs)
        {
            var name = o.Metadata.Name!;
            if (_pools.Any(p => p.Name == name)) errs.Add(("metadata.name", $"another IPAddressPool named \"{name}\" exists in another namespace"));
            var addresses = o.Spec.Addresses ?? [];
            if (addresses.Count == 0) errs.Add(("spec.addresses", "at least one CIDR or A-B range is required"));
            var ranges = new List<IPRange>();
            for (var i = 0; i < addresses.Count; i++)
            {
                var field = $"spec.addresses[{i}]";
                if (!IPRange.TryParse(addresses[i], out var r, out var e)) { errs.Add((field, e)); continue; }
                for (var j = 0; j < ranges.Count; j++)
                {
                    if (ranges[j].Overlaps(r)) errs.Add((field, $"{r} overlaps {ranges[j]} (spec.addresses[{j}]) of the same pool"));
                }
                foreach (var other in _pools)
                {
                    foreach (var q in other.Ranges)
                    {
                        if (q.Overlaps(r)) errs.Add((field, $"{r} overlaps {q} of IPAddressPool \"{other.Name}\""));
                    }
                }
                ranges.Add(r);
            }
            PoolAllocationConfig? allocation = null;
            if (o.Spec.ServiceAllocation is { } sa)
            {
                if (sa.Priority is < 0) errs.Add(("spec.serviceAllocation.priority", $"{sa.Priority} must not be negative"));
                var names = sa.Namespaces ?? [];
                for (var i = 0; i < names.Count; i++)
                {
                    if (!SelectorValidation.IsDnsLabel(names[i])) errs.Add(($"spec.serviceAllocation.namespaces[{i}]", $"\"{names[i]}\" is not a valid namespace name"));
                }
                var nsSelectors = SelectorValidation.TryParseList(sa.NamespaceSelectors, "spec.serviceAllocation.namespaceSelectors", errs);
                var svcSelectors = SelectorValidation.TryParseList(sa.ServiceSelectors, "spec.serviceAllocation.serviceSelectors", errs);
                if (nsSelectors is not null && svcSelectors is not null)
                {
                    HashSet<string>? namespaces = null;
                    if (names.Count > 0 || nsSelectors.Count > 0)
                    {
                        namespaces = new HashSet<string>(names, StringComparer.Ordinal);
                        if (nsSelectors.Count > 0)
                        {
                            foreach (var ns in resources.Namespaces)
                            {
                                if (ns.Metadata.Name is { } n && nsSelectors.Any(s => s.Matches(ns.Metadata.Labels))) namespaces.Add(n);
                            }
                        }
                    }
                    allocation = new PoolAllocationConfig { Priority = sa.Priority ?? 0, Namespaces = namespaces, ServiceSelectors = svcSelectors };
                }
            }
            if (errs.Count > 0) return null;
            var labels = o.Metadata.Labels is { } l ? new Dictionary<string, string>(l, StringComparer.Ordinal) : new Dictionary<string, string>();
            var alloc = allocation is null ? "-" :
                $"prio={allocation.Priority} ns=[{(allocation.Namespaces is null ? "*" : string.Join(",", allocation.Namespaces.Order(StringComparer.Ordinal)))}] svc=[{string.Join(";", allocation.ServiceSelectors.Select(s => s.ToString()))}]";
            return new PoolConfig
            {
                Name = name,
                Ranges = ranges,
                AutoAssign = o.Spec.AutoAssign ?? true,
                AvoidBuggyIPs = o.Spec.AvoidBuggyIPs ?? false,
                Allocation = allocation,
                Labels = labels,
                Fingerprint = $"pool {name} [{string.Join(",", ranges)}] auto={o.Spec.AutoAssign ?? true} buggy={o.Spec.AvoidBuggyIPs ?? false} alloc={alloc} labels={fp.Split('|')[^1]}",
            };
        }

        // ---------------------------------------------------------------- BGPPeer
        public BgpPeerConfig? ValidatePeer(BGPPeer o, string fp, List<(string, string)> errs)
        {
            var s = o.Spec;
            var name = o.Metadata.Name!;
            if (s.MyASN is null or 0) errs.Add(("spec.myASN", "is required (1..4294967295)"));
            if (s.DynamicASN is not null) errs.Add(("spec.dynamicASN", "is not supported; set peerASN"));
            if (s.PeerASN is null or 0) errs.Add(("spec.peerASN", "is required (1..4294967295)"));
            if (s.LocalASN is not null) errs.Add(("spec.localASN", "is not supported"));
            if (s.Interface is not null) errs.Add(("spec.interface", "unnumbered BGP is not supported; set peerAddress"));
            if (!string.IsNullOrEmpty(s.Vrf)) errs.Add(("spec.vrf", "VRFs are not supported"));
            IPAddress? peerAddress = null;
            if (string.IsNullOrWhiteSpace(s.PeerAddress)) errs.Add(("spec.peerAddress", "is required"));
            else if (!IPKey.TryParse(s.PeerAddress, out var pk)) errs.Add(("spec.peerAddress", $"\"{s.PeerAddress}\" is not an IP address"));
            else peerAddress = pk.ToAddress();
            var port = s.PeerPort ?? 179;
            if (port is < 1 or > 65535) errs.Add(("spec.peerPort", $"{port} is out of range 1..65535"));
            IPAddress? source = null;
            if (!string.IsNullOrEmpty(s.SourceAddress))
            {
                if (!IPKey.TryParse(s.SourceAddress, out var sk)) errs.Add(("spec.sourceAddress", $"\"{s.SourceAddress}\" is not an IP address"));
                else if (peerAddress is not null && sk.ToAddress().AddressFamily != peerAddress.AddressFamily)
                    errs.Add(("spec.sourceAddress", $"{s.SourceAddress} is not of the same IP family as peerAddress {s.PeerAddress}"));
                else source = sk.ToAddress();
            }
            TimeSpan? hold = ParseWholeSeconds(s.HoldTime, "spec.holdTime", errs);
            TimeSpan? keepalive = ParseWholeSeconds(s.KeepaliveTime, "spec.keepaliveTime", errs);
            if (hold is { } h && h != TimeSpan.Zero && h < TimeSpan.FromSeconds(3)) errs.Add(("spec.holdTime", $"{s.HoldTime} must be 0 or at least 3s"));
            if (hold is { } h2 && h2 > TimeSpan.FromSeconds(65535)) errs.Add(("spec.holdTime", $"{s.HoldTime} must be at most 65535s"));
            if (hold is { } h3 && keepalive is { } k && k > h3) errs.Add(("spec.keepaliveTime", $"{s.KeepaliveTime} must not be longer than holdTime {s.HoldTime}"));
            if (hold == TimeSpan.Zero && keepalive is { } k0 && k0 != TimeSpan.Zero) errs.Add(("spec.keepaliveTime", "must be 0 when holdTime is 0"));
            var resolvedHold = hold ?? (keepalive is { } ka ? ka * 3 : TimeSpan.FromSeconds(90));
            var resolvedKeepalive = keepalive ?? TimeSpan.FromSeconds(Math.Floor(resolvedHold.TotalSeconds / 3));
            if (hold is null && keepalive is { } ka2 && ka2 * 3 > TimeSpan.FromSeconds(65535)) errs.Add(("spec.keepaliveTime", $"{s.KeepaliveTime} gives a hold time (3x) above 65535s"));
            TimeSpan? connect = ParseWholeSeconds(s.ConnectTime, "spec.connectTime", errs);
            if (connect is { } c && (c < TimeSpan.FromSeconds(1) || c > TimeSpan.FromSeconds(65535))) errs.Add(("spec.connectTime", $"{s.ConnectTime} is out of range 1s..65535s"));
            IPAddress? routerId = null;
            if (!string.IsNullOrEmpty(s.RouterID))
            {
                if (!IPKey.TryParse(s.RouterID, out var rk) || rk.Family != IPFamily.IPv4) errs.Add(("spec.routerID", $"\"{s.RouterID}\" is not an IPv4 address"));
                else routerId = rk.ToAddress();
            }
            if (s.Password is not null && s.PasswordSecret is not null) errs.Add(("spec.passwordSecret", "password and passwordSecret are mutually exclusive"));
            SecretRef? secret = null;
            if (s.PasswordSecret is { } ps)
            {
                if (string.IsNullOrEmpty(ps.Name)) errs.Add(("spec.passwordSecret.name", "is required"));
                else secret = new SecretRef(string.IsNullOrEmpty(ps.Namespace) ? o.Metadata.Namespace ?? "" : ps.Namespace, ps.Name);
            }
            if (s.EbgpMultiHop == true && s.MyASN is { } m && m == s.PeerASN) errs.Add(("spec.ebgpMultiHop", "is only valid for eBGP (myASN differs from peerASN)"));
            if (!string.IsNullOrEmpty(s.BfdProfile) && !_bfd.Any(b => b.Name == s.BfdProfile)) errs.Add(("spec.bfdProfile", $"unknown BFDProfile \"{s.BfdProfile}\""));
            var nodes = SelectorValidation.TryParseList(s.NodeSelectors, "spec.nodeSelectors", errs);
            if (errs.Count > 0 || peerAddress is null || nodes is null) return null;
            if (_peers.Any(p => p.Name == name)) errs.Add(("metadata.name", $"another BGPPeer named \"{name}\" exists in another namespace"));
            foreach (var other in _peers)
            {
                if (other.PeerAddress.Equals(peerAddress) && other.PeerPort == port && NodesOverlap(other.NodeSelectors, nodes))
                    errs.Add(("spec.peerAddress", $"{peerAddress} port {port} is already the address of BGPPeer \"{other.Name}\" on overlapping nodes"));
            }
            if (errs.Count > 0) return null;
            return new BgpPeerConfig
            {
                Name = name,
                MyAsn = s.MyASN!.Value,
                PeerAsn = s.PeerASN!.Value,
                PeerAddress = peerAddress,
                PeerPort = port,
                SourceAddress = source,
                HoldTime = resolvedHold,
                KeepaliveTime = resolvedKeepalive,
                ConnectTime = connect,
                RouterId = routerId,
                NodeSelectors = nodes,
                Password = s.Password,
                PasswordSecret = secret,
                EbgpMultiHop = s.EbgpMultiHop ?? false,
                BfdProfile = string.IsNullOrEmpty(s.BfdProfile) ? null : s.BfdProfile,
                EnableGracefulRestart = s.EnableGracefulRestart ?? false,
                Passive = s.Passive ?? false,
                DualStackAddressFamily = s.DualStackAddressFamily ?? false,
                Fingerprint = $"peer {name} {fp}",
            };
        }

        private static TimeSpan? ParseWholeSeconds(string? text, string field, List<(string, string)> errs)
        {
            if (text is null) return null;
            if (!KubeDuration.TryParse(text, out var v, out var e)) { errs.Add((field, e)); return null; }
            if (v.Ticks % TimeSpan.TicksPerSecond != 0) { errs.Add((field, $"{text} must be a whole number of seconds")); return null; }
            return v;
        }

        private bool NodesOverlap(IReadOnlyList<LabelSelectorMatcher> a, IReadOnlyList<LabelSelectorMatcher> b)
        {
            if (a.Count == 0 || b.Count == 0) return true;
            if (a.Any(x => x.IsEverything) || b.Any(x => x.IsEverything)) return true;
            if (a.Any(x => b.Any(y => y.ToString() == x.ToString()))) return true;
            foreach (var n in resources.Nodes)
            {
                if (SelectorValidation.MatchesAny(a, n.Metadata.Labels) && SelectorValidation.MatchesAny(b, n.Metadata.Labels)) return true;
            }
            return false;
        }

        private IReadOnlyList<string>? ResolvePools(List<string>? names, List<LabelSelector>? selectors, List<(string, string)> errs)
        {
            var result = new SortedSet<string>(StringComparer.Ordinal);
            var ok = true;
            for (var i = 0; i < (names?.Count ?? 0); i++)
            {
                var n = names![i];
                if (_pools.Any(p => p.Name == n)) result.Add(n);
                else
                {
                    errs.Add(($"spec.ipAddressPools[{i}]", $"unknown IPAddressPool \"{n}\" (missing or invalid)"));
                    ok = false;
                }
            }
            var sel = SelectorValidation.TryParseList(selectors, "spec.ipAddressPoolSelectors", errs);
            if (sel is null || !ok) return null;
            if ((names?.Count ?? 0) == 0 && sel.Count == 0)
            {
                foreach (var p in _pools) result.Add(p.Name);
            }
            else
            {
                foreach (var p in _pools) if (sel.Any(s => s.Matches(p.Labels))) result.Add(p.Name);
            }
            return [.. result];
        }

        // ---------------------------------------------------------------- L2Advertisement
        public L2AdvertisementConfig? ValidateL2(L2Advertisement o, string fp, List<(string, string)> errs)
        {
            var s = o.Spec;
            var pools = ResolvePools(s.IPAddressPools, s.IPAddressPoolSelectors, errs);
            var nodes = SelectorValidation.TryParseList(s.NodeSelectors, "spec.nodeSelectors", errs);
            var services = SelectorValidation.TryParseList(s.ServiceSelectors, "spec.serviceSelectors", errs);
            var interfaces = s.Interfaces ?? [];
            for (var i = 0; i < interfaces.Count; i++)
            {
                var n = interfaces[i];
                if (string.IsNullOrEmpty(n) || n.Length > 15 || n.Any(c => char.IsWhiteSpace(c) || c is '/' or ':') || n is "." or "..")
                    errs.Add(($"spec.interfaces[{i}]", $"\"{n}\" is not a valid interface name (1-15 characters, no '/', ':' or spaces)"));
            }
            TimeSpan? garp = null;
            if (!string.IsNullOrEmpty(s.GratuitousInterval))
            {
                if (!KubeDuration.TryParse(s.GratuitousInterval, out var g, out var e)) errs.Add(("spec.gratuitousInterval", e));
                else if (g != TimeSpan.Zero && (g < TimeSpan.FromSeconds(1) || g > TimeSpan.FromHours(1)))
                    errs.Add(("spec.gratuitousInterval", $"{s.GratuitousInterval} must be 0 (off) or between 1s and 1h"));
                else if (g != TimeSpan.Zero) garp = g;
            }
            if (errs.Count > 0 || pools is null || nodes is null || services is null) return null;
            return new L2AdvertisementConfig
            {
                Name = o.Metadata.Name!,
                Pools = pools,
                NodeSelectors = nodes,
                Interfaces = [.. interfaces.Distinct(StringComparer.Ordinal)],
                ServiceSelectors = services,
                GratuitousInterval = garp,
                Fingerprint = $"l2 {o.Metadata.Name} pools=[{string.Join(",", pools)}] {fp}",
            };
        }

        // ---------------------------------------------------------------- BGPAdvertisement
        public BgpAdvertisementConfig? ValidateBgpAd(BGPAdvertisement o, string fp, List<(string, string)> errs)
        {
            var s = o.Spec;
            var name = o.Metadata.Name!;
            var agg = s.AggregationLength ?? 32;
            var agg6 = s.AggregationLengthV6 ?? 128;
            if (agg is < 1 or > 32) errs.Add(("spec.aggregationLength", $"{agg} is out of range 1..32"));
            if (agg6 is < 1 or > 128) errs.Add(("spec.aggregationLengthV6", $"{agg6} is out of range 1..128"));
            if ((s.ServiceSelectors?.Count ?? 0) > 0 && (agg != 32 || agg6 != 128))
                errs.Add(("spec.serviceSelectors", "cannot be combined with a non-default aggregationLength or aggregationLengthV6"));
            var communities = new SortedSet<BgpCommunity>();
            var list = s.Communities ?? [];
            for (var i = 0; i < list.Count; i++)
            {
                var text = list[i];
                if (text is not null && _aliases.TryGetValue(text, out var aliased)) communities.Add(aliased);
                else if (BgpCommunity.TryParse(text, out var c, out var e)) communities.Add(c);
                else errs.Add(($"spec.communities[{i}]", $"\"{text}\" is neither AA:NN, large:A:B:C nor the name of a Community alias"));
            }
            var pools = ResolvePools(s.IPAddressPools, s.IPAddressPoolSelectors, errs);
            var peers = s.Peers ?? [];
            for (var i = 0; i < peers.Count; i++)
            {
                if (!_peers.Any(p => p.Name == peers[i])) errs.Add(($"spec.peers[{i}]", $"unknown BGPPeer \"{peers[i]}\" (missing or invalid)"));
            }
            var nodes = SelectorValidation.TryParseList(s.NodeSelectors, "spec.nodeSelectors", errs);
            var services = SelectorValidation.TryParseList(s.ServiceSelectors, "spec.serviceSelectors", errs);
            if (pools is not null && agg is >= 1 and <= 32 && agg6 is >= 1 and <= 128)
            {
                foreach (var pn in pools)
                {
                    var pool = _pools.First(p => p.Name == pn);
                    foreach (var cidr in pool.Ranges.SelectMany(r => r.ToCidrs()))
                    {
                        var len = cidr.Family == IPFamily.IPv6 ? agg6 : agg;
                        if (cidr.PrefixLength > len)
                        {
                            var field = cidr.Family == IPFamily.IPv6 ? "spec.aggregationLengthV6" : "spec.aggregationLength";
                            errs.Add((field, $"{len} is shorter than prefix {cidr} of IPAddressPool \"{pn}\": the aggregated route would cover addresses outside the pool"));
                            break;
                        }
                    }
                }
            }
            if (errs.Count > 0 || pools is null || nodes is null || services is null) return null;
            var cfg = new BgpAdvertisementConfig
            {
                Name = name,
                Pools = pools,
                NodeSelectors = nodes,
                Peers = [.. peers.Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal)],
                AggregationLength = agg,
                AggregationLengthV6 = agg6,
                LocalPref = s.LocalPref,
                Communities = [.. communities],
                ServiceSelectors = services,
                Fingerprint = $"bgpad {name} pools=[{string.Join(",", pools)}] communities=[{string.Join(",", communities)}] {fp}",
            };
            foreach (var other in _bgpAds)
            {
                if ((other.LocalPref ?? 0) == (cfg.LocalPref ?? 0)) continue;
                var shared = other.Pools.Intersect(cfg.Pools, StringComparer.Ordinal).ToList();
                if (shared.Count == 0) continue;
                var sameAgg = shared.Any(pn =>
                {
                    var pool = _pools.First(p => p.Name == pn);
                    return (pool.HasFamily(IPFamily.IPv4) && other.AggregationLength == cfg.AggregationLength)
                        || (pool.HasFamily(IPFamily.IPv6) && other.AggregationLengthV6 == cfg.AggregationLengthV6);
                });
                var peersOverlap = other.Peers.Count == 0 || cfg.Peers.Count == 0 || other.Peers.Intersect(cfg.Peers, StringComparer.Ordinal).Any();
                if (sameAgg && peersOverlap && NodesOverlap(other.NodeSelectors, cfg.NodeSelectors))
                {
                    errs.Add(("spec.localPref", $"{cfg.LocalPref ?? 0} conflicts with localPref {other.LocalPref ?? 0} of BGPAdvertisement \"{other.Name}\" for IPAddressPool \"{shared[0]}\" (same aggregation length, overlapping peers and nodes)"));
                    return null;
                }
            }
            return cfg;
        }
    }
}

/// <summary>The aliases one Community object contributes.</summary>
internal sealed record CommunityConfig(string Name, IReadOnlyList<(string Name, BgpCommunity Value)> Aliases);
