using LoadBalancer.Controller.Allocation;
using LoadBalancer.Model.Config;
using LoadBalancer.Model.Net;

namespace LoadBalancer.Benchmarks.Controller;

/// <summary>
/// The core of the allocator benchmark: an allocator holding <c>assigned</c> Services in one big pool (10.0.0.0/8 or
/// 2001:db8::/64; in memory only), fragmented by releasing every third one, then one Allocate + Unassign per call.
/// </summary>
internal sealed class AllocatorWorkload
{
    private readonly Allocator _allocator = new();
    private readonly AllocationRequest _probe;

    private AllocatorWorkload(IPFamily family, int assigned)
    {
        var pool = new PoolConfig
        {
            Name = "bench",
            Ranges = [IPRange.Parse(family == IPFamily.IPv4 ? "10.0.0.0/8" : "2001:db8::/64")],
            Fingerprint = "bench",
        };
        _allocator.SetPools(new LoadBalancerConfig([pool], [], [], [], [], new Dictionary<string, BgpCommunity>()));
        var template = new AllocationRequest { Service = "", Namespace = "bench", Families = [family], Ports = [new PortKey("TCP", 80)] };
        var total = assigned + assigned / 2;
        for (var i = 0; i < total; i++)
        {
            var r = _allocator.Allocate(template with { Service = $"bench/s{i}" });
            if (!r.Success) throw new InvalidOperationException(r.Error);
        }
        // Release every third Service: holes all over the pool, about assigned/2 free intervals.
        for (var i = 0; i < total && _allocator.ServiceCount > assigned; i += 3) _allocator.Unassign($"bench/s{i}");
        _probe = template with { Service = "bench/probe" };
    }

    public static AllocatorWorkload Create(IPFamily family, int assigned) => new(family, assigned);

    public int Assigned => _allocator.ServiceCount;

    /// <summary>One allocation (the lowest free address) and its release; the state is the same afterwards.</summary>
    public bool AllocateAndRelease()
    {
        var r = _allocator.Allocate(_probe);
        _allocator.Unassign("bench/probe");
        return r.Success;
    }
}
