using LoadBalancer.Model.Config;
using LoadBalancer.Model.Net;

namespace LoadBalancer.Controller.Allocation;

/// <summary>
/// IP address management: a pure, deterministic, in-memory state machine (no clock, no client, no I/O) after MetalLB's
/// allocator. Pools keep their free addresses as ordered intervals (<see cref="FreeRangeSet"/>), so finding the lowest
/// free address costs O(log n) whatever the pool size (a /8 or a /64) and the number of assignments.
/// </summary>
/// <remarks>
/// Rules: pools are tried pinned-first (serviceAllocation selects the Service, by priority, lower first, 0 last, then
/// by name), then the pools without serviceAllocation (by name); autoAssign=false pools only on request. Inside a pool
/// the CIDRs are walked in the order listed and the lowest address that is free, or already used by Services the
/// new one may share with, wins. Sharing needs the same non-empty sharing key, the same backend key and no common
/// (protocol, port).
/// </remarks>
internal sealed class Allocator
{
    private sealed class PoolState(PoolConfig config)
    {
        public PoolConfig Config { get; } = config;
        public FreeRangeSet V4 { get; } = new();
        public FreeRangeSet V6 { get; } = new();
        public long AssignedV4 { get; set; }
        public long AssignedV6 { get; set; }
        /// <summary>IPs of this pool used by Services with a sharing key, per key, in address order.</summary>
        public Dictionary<string, SortedSet<IPKey>> Shared { get; } = new(StringComparer.Ordinal);
        public FreeRangeSet Free(IPFamily f) => f == IPFamily.IPv6 ? V6 : V4;
    }

    private sealed class IpState(string pool)
    {
        public string Pool { get; set; } = pool;
        public List<Assignment> Users { get; } = new(1);
    }

    private readonly Dictionary<string, PoolState> _pools = new(StringComparer.Ordinal);
    private readonly Dictionary<string, Assignment> _services = new(StringComparer.Ordinal);
    private readonly Dictionary<IPKey, IpState> _ips = [];
    private List<PoolState> _autoOrder = [];

    public LoadBalancerConfig Config { get; private set; } = LoadBalancerConfig.Empty;

    public int ServiceCount => _services.Count;

    public int AddressCount => _ips.Count;

    /// <summary>
    /// Installs a new set of pools. Existing assignments move to the pool that now holds their IPs; those whose IPs left
    /// every pool are unassigned and returned (sorted), so the caller can find them new ones.
    /// </summary>
    public IReadOnlyList<Assignment> SetPools(LoadBalancerConfig config)
    {
        ArgumentNullException.ThrowIfNull(config);
        var old = _services.Values.OrderBy(a => a.Service, StringComparer.Ordinal).ToList();
        Config = config;
        _pools.Clear();
        _services.Clear();
        _ips.Clear();
        foreach (var p in config.Pools)
        {
            var state = new PoolState(p);
            foreach (var r in p.Ranges) state.Free(r.Family).AddRange(r.Start, r.End);
            _pools[p.Name] = state;
        }
        _autoOrder = [.. _pools.Values.Where(p => p.Config.AutoAssign && p.Config.Allocation is null).OrderBy(p => p.Config.Name, StringComparer.Ordinal)];
        var evicted = new List<Assignment>();
        foreach (var a in old)
        {
            var pool = FindPoolForAll(a.IPs, a.Pool);
            if (pool is null) { evicted.Add(a); continue; }
            Commit(a with { Pool = pool.Config.Name });
        }
        return evicted;
    }

    private PoolState? FindPoolForAll(IReadOnlyList<IPKey> ips, string? preferred)
    {
        if (ips.Count == 0) return null;
        PoolState? pool = null;
        if (preferred is not null && _pools.TryGetValue(preferred, out var p) && p.Config.Contains(ips[0])) pool = p;
        pool ??= Config.FindPool(ips[0]) is { } cfg ? _pools[cfg.Name] : null;
        if (pool is null) return null;
        foreach (var ip in ips)
        {
            if (!pool.Config.Contains(ip)) return null;
            if (pool.Config.AvoidBuggyIPs && ip.IsBuggy) return null;
        }
        return pool;
    }

    public Assignment? GetAssignment(string service) => _services.GetValueOrDefault(service);

    public IReadOnlyList<string> UsersOf(IPKey ip)
        => _ips.TryGetValue(ip, out var s) ? [.. s.Users.Select(u => u.Service).Order(StringComparer.Ordinal)] : [];

    /// <summary>Releases what the Service holds. Returns false when it held nothing.</summary>
    public bool Unassign(string service)
    {
        if (!_services.Remove(service, out var a)) return false;
        Release(a);
        return true;
    }

    /// <summary>
    /// Gives the Service exactly these IPs (requested by the user, or read back from its status after a restart).
    /// Idempotent. With <paramref name="checkPoolSelection"/> the pool's serviceAllocation must select the Service
    /// (a new request); restoring an existing assignment skips that check, so a selector edit moves no IP.
    /// </summary>
    public AllocationResult Assign(AllocationRequest req, IReadOnlyList<IPKey> ips, bool checkPoolSelection = true)
    {
        ArgumentNullException.ThrowIfNull(req);
        if (ips.Count == 0) return AllocationResult.Fail(AllocationErrorKind.InvalidRequest, "no IP requested");
        if (ips.Count > 2 || ips.Select(i => i.Family).Distinct().Count() != ips.Count)
            return AllocationResult.Fail(AllocationErrorKind.InvalidRequest, $"at most one IP per family may be requested, got {Join(ips)}");
        var primary = req.Families.Count > 0 ? req.Families[0] : IPFamily.IPv4;
        foreach (var ip in ips)
        {
            var allowed = req.Policy == FamilyPolicy.SingleStack ? ip.Family == primary : req.Families.Contains(ip.Family) || req.Families.Count < 2;
            if (!allowed)
                return AllocationResult.Fail(AllocationErrorKind.FamilyMismatch,
                    $"family mismatch: {ip} is {ip.Family.ToName()} but the Service is {Describe(req)}");
        }
        if (req.Policy == FamilyPolicy.RequireDualStack && ips.Count != 2)
            return AllocationResult.Fail(AllocationErrorKind.FamilyMismatch, $"family mismatch: RequireDualStack needs one IPv4 and one IPv6 address, got {Join(ips)}");
        var cfg = Config.FindPool(ips[0]);
        if (cfg is null) return AllocationResult.Fail(AllocationErrorKind.NotInPool, $"{ips[0]} is not in any IPAddressPool");
        foreach (var ip in ips.Skip(1))
        {
            var other = Config.FindPool(ip);
            if (other is null) return AllocationResult.Fail(AllocationErrorKind.NotInPool, $"{ip} is not in any IPAddressPool");
            if (other.Name != cfg.Name)
                return AllocationResult.Fail(AllocationErrorKind.NotInPool, $"{ips[0]} (pool \"{cfg.Name}\") and {ip} (pool \"{other.Name}\") are in different pools; a dual-stack Service needs one pool with both families");
        }
        if (req.Pool is not null && req.Pool != cfg.Name)
            return AllocationResult.Fail(AllocationErrorKind.NotInPool, $"{ips[0]} is in pool \"{cfg.Name}\", not in the requested pool \"{req.Pool}\"");
        if (cfg.AvoidBuggyIPs)
        {
            foreach (var ip in ips)
            {
                if (ip.IsBuggy) return AllocationResult.Fail(AllocationErrorKind.NotInPool, $"{ip} ends in .0 or .255 and pool \"{cfg.Name}\" sets avoidBuggyIPs");
            }
        }
        if (checkPoolSelection && !cfg.Selects(req.Namespace, req.Labels))
            return AllocationResult.Fail(AllocationErrorKind.NoMatchingPool, $"pool \"{cfg.Name}\" holds {ips[0]} but its serviceAllocation does not select this Service");
        foreach (var ip in ips)
        {
            if (CheckSharing(req, ip) is { } conflict) return conflict;
        }
        var ordered = ips.OrderBy(i => FamilyRank(req, i.Family)).ToList();
        if (_services.Remove(req.Service, out var previous)) Release(previous);
        Commit(new Assignment(req.Service, cfg.Name, ordered, req.SharingKey, req.BackendKey, req.Ports));
        return AllocationResult.Ok(cfg.Name, ordered);
    }

    /// <summary>Picks new IPs for the Service per its families, policy, pool annotation and the pools' rules.</summary>
    public AllocationResult Allocate(AllocationRequest req)
    {
        ArgumentNullException.ThrowIfNull(req);
        var primary = req.Families.Count > 0 ? req.Families[0] : IPFamily.IPv4;
        var secondary = primary == IPFamily.IPv4 ? IPFamily.IPv6 : IPFamily.IPv4;
        List<PoolState> candidates;
        if (req.Pool is not null)
        {
            if (!_pools.TryGetValue(req.Pool, out var p))
                return AllocationResult.Fail(AllocationErrorKind.NoMatchingPool, $"unknown pool \"{req.Pool}\" (requested by the address-pool annotation)");
            if (!p.Config.Selects(req.Namespace, req.Labels))
                return AllocationResult.Fail(AllocationErrorKind.NoMatchingPool, $"pool \"{req.Pool}\" does not select this Service (serviceAllocation)");
            candidates = [p];
        }
        else
        {
            candidates = [.. _pools.Values
                .Where(p => p.Config.AutoAssign && p.Config.Allocation is not null && p.Config.Selects(req.Namespace, req.Labels))
                .OrderBy(p => p.Config.Allocation!.Priority > 0 ? p.Config.Allocation.Priority : int.MaxValue)
                .ThenBy(p => p.Config.Name, StringComparer.Ordinal)];
            candidates.AddRange(_autoOrder);
            if (candidates.Count == 0)
            {
                return AllocationResult.Fail(AllocationErrorKind.NoMatchingPool, _pools.Count == 0
                    ? "no IPAddressPool is configured"
                    : "no IPAddressPool with autoAssign selects this Service");
            }
        }

        // Policy: SingleStack = the primary family; RequireDualStack = both from one pool; PreferDualStack = both from
        // the first pool that has both, else the primary family, else the other one.
        var needBoth = req.Policy != FamilyPolicy.SingleStack;
        if (needBoth)
        {
            foreach (var pool in candidates)
            {
                if (!pool.Config.HasFamily(primary) || !pool.Config.HasFamily(secondary)) continue;
                if (Pick(pool, primary, req) is { } a && Pick(pool, secondary, req) is { } b)
                    return CommitNew(req, pool, [a, b]);
            }
            if (req.Policy == FamilyPolicy.RequireDualStack)
            {
                return candidates.Any(p => p.Config.HasFamily(primary) && p.Config.HasFamily(secondary))
                    ? AllocationResult.Fail(AllocationErrorKind.PoolExhausted, $"no available IPs: dual-stack pools {Names(candidates.Where(p => p.Config.HasFamily(primary) && p.Config.HasFamily(secondary)))} have no free IPv4 and IPv6 pair for this Service")
                    : AllocationResult.Fail(AllocationErrorKind.FamilyMismatch, $"family mismatch: RequireDualStack needs a pool with both IPv4 and IPv6 addresses, and none of {Names(candidates)} has both");
            }
        }
        IPFamily[] families = req.Policy == FamilyPolicy.PreferDualStack ? [primary, secondary] : [primary];
        foreach (var family in families)
        {
            foreach (var pool in candidates)
            {
                if (!pool.Config.HasFamily(family)) continue;
                if (Pick(pool, family, req) is { } ip) return CommitNew(req, pool, [ip]);
            }
        }
        var withFamily = candidates.Where(p => families.Any(p.Config.HasFamily)).ToList();
        if (withFamily.Count == 0)
            return AllocationResult.Fail(AllocationErrorKind.FamilyMismatch, $"family mismatch: the Service needs {primary.ToName()} and none of {Names(candidates)} has {primary.ToName()} addresses");
        var shared = req.SharingKey.Length > 0 ? $" (no free IP, and no IP with sharing key \"{req.SharingKey}\" compatible with this Service)" : "";
        return AllocationResult.Fail(AllocationErrorKind.PoolExhausted, $"no available IPs: {(withFamily.Count == 1 ? "pool" : "pools")} {Names(withFamily)} exhausted{shared}");
    }

    private AllocationResult CommitNew(AllocationRequest req, PoolState pool, IReadOnlyList<IPKey> ips)
    {
        if (_services.Remove(req.Service, out var previous)) Release(previous);
        Commit(new Assignment(req.Service, pool.Config.Name, ips, req.SharingKey, req.BackendKey, req.Ports));
        return AllocationResult.Ok(pool.Config.Name, ips);
    }

    /// <summary>The lowest usable address of a family in the pool, walking the CIDRs in the order listed.</summary>
    private IPKey? Pick(PoolState pool, IPFamily family, AllocationRequest req)
    {
        var avoid = pool.Config.AvoidBuggyIPs && family == IPFamily.IPv4;
        pool.Shared.TryGetValue(req.SharingKey, out var sharedIps);
        if (req.SharingKey.Length == 0) sharedIps = null;
        foreach (var range in pool.Config.Ranges)
        {
            if (range.Family != family) continue;
            IPKey? best = pool.Free(family).TryFindFirst(range.Start, range.End, avoid, out var free) ? new IPKey(family, free) : null;
            if (sharedIps is not null)
            {
                foreach (var ip in sharedIps)
                {
                    if (best is { } b && ip >= b) break;
                    if (!range.Contains(ip)) continue;
                    if (CheckSharing(req, ip) is null) { best = ip; break; }
                }
            }
            if (best is not null) return best;
        }
        return null;
    }

    /// <summary>Null when the Service may use the IP (free, its own, or shareable); else the reason in words.</summary>
    private AllocationResult? CheckSharing(AllocationRequest req, IPKey ip)
    {
        if (!_ips.TryGetValue(ip, out var state)) return null;
        foreach (var u in state.Users)
        {
            if (u.Service == req.Service) continue;
            if (req.SharingKey.Length == 0 || u.SharingKey.Length == 0)
            {
                return AllocationResult.Fail(AllocationErrorKind.InUse, u.SharingKey.Length == 0
                    ? $"requested IP {ip} is in use by {u.Service} (which does not allow sharing)"
                    : $"requested IP {ip} is in use by {u.Service}; to share it set the allow-shared-ip annotation to \"{u.SharingKey}\"");
            }
            if (u.SharingKey != req.SharingKey)
                return AllocationResult.Fail(AllocationErrorKind.InUse, $"requested IP {ip} is in use by {u.Service} with sharing key \"{u.SharingKey}\", not \"{req.SharingKey}\"");
            if (u.BackendKey != req.BackendKey)
            {
                return AllocationResult.Fail(AllocationErrorKind.SharingConflict,
                    $"sharing conflict on {ip} with {u.Service}: Services sharing an IP with externalTrafficPolicy Local need the same selector, and Local and Cluster Services cannot share");
            }
            foreach (var port in req.Ports)
            {
                if (u.Ports.Contains(port))
                    return AllocationResult.Fail(AllocationErrorKind.SharingConflict, $"sharing conflict on {port} with {u.Service} at {ip}");
            }
        }
        return null;
    }

    private void Commit(Assignment a)
    {
        var pool = _pools[a.Pool];
        foreach (var ip in a.IPs)
        {
            if (!_ips.TryGetValue(ip, out var state))
            {
                state = new IpState(a.Pool);
                _ips[ip] = state;
                pool.Free(ip.Family).Take(ip.Value);
                if (ip.Family == IPFamily.IPv6) pool.AssignedV6++;
                else pool.AssignedV4++;
            }
            state.Users.Add(a);
            if (a.SharingKey.Length > 0)
            {
                if (!pool.Shared.TryGetValue(a.SharingKey, out var set)) pool.Shared[a.SharingKey] = set = [];
                set.Add(ip);
            }
        }
        _services[a.Service] = a;
    }

    private void Release(Assignment a)
    {
        if (!_pools.TryGetValue(a.Pool, out var pool)) return;
        foreach (var ip in a.IPs)
        {
            if (!_ips.TryGetValue(ip, out var state)) continue;
            state.Users.RemoveAll(u => u.Service == a.Service);
            if (state.Users.Count == 0)
            {
                _ips.Remove(ip);
                pool.Free(ip.Family).Release(ip.Value);
                if (ip.Family == IPFamily.IPv6) pool.AssignedV6--;
                else pool.AssignedV4--;
            }
            if (a.SharingKey.Length > 0 && !state.Users.Any(u => u.SharingKey == a.SharingKey)
                && pool.Shared.TryGetValue(a.SharingKey, out var set))
            {
                set.Remove(ip);
                if (set.Count == 0) pool.Shared.Remove(a.SharingKey);
            }
        }
    }

    /// <summary>Assigned and available addresses per family (available saturates at long.MaxValue).</summary>
    public PoolUsage Usage(string pool)
    {
        if (!_pools.TryGetValue(pool, out var p)) return default;
        static long Clamp(UInt128 v) => v > (UInt128)long.MaxValue ? long.MaxValue : (long)v;
        var total4 = p.Config.Size(IPFamily.IPv4);
        var total6 = p.Config.Size(IPFamily.IPv6);
        return new PoolUsage(p.AssignedV4, p.AssignedV6,
            Clamp(total4 - (UInt128)p.AssignedV4), total6 == UInt128.MaxValue ? long.MaxValue : Clamp(total6 - (UInt128)p.AssignedV6),
            Clamp(total4), Clamp(total6));
    }

    private static int FamilyRank(AllocationRequest req, IPFamily f)
    {
        for (var i = 0; i < req.Families.Count; i++) if (req.Families[i] == f) return i;
        return 9;
    }

    private static string Describe(AllocationRequest req) => req.Policy switch
    {
        FamilyPolicy.SingleStack => $"{(req.Families.Count > 0 ? req.Families[0] : IPFamily.IPv4).ToName()} single-stack",
        _ => $"{req.Policy} ({string.Join(",", req.Families.Select(f => f.ToName()))})",
    };

    private static string Join(IEnumerable<IPKey> ips) => string.Join(", ", ips);

    private static string Names(IEnumerable<PoolState> pools) => string.Join(", ", pools.Select(p => $"\"{p.Config.Name}\""));
}
