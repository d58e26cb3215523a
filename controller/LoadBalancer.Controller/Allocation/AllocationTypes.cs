using LoadBalancer.Model.Net;

namespace LoadBalancer.Controller.Allocation;

/// <summary>A (protocol, port) a Service exposes; two Services sharing an IP must not have one in common.</summary>
internal readonly record struct PortKey(string Protocol, int Port)
{
    public override string ToString() => $"{Protocol}/{Port}";
}

internal enum FamilyPolicy
{
    SingleStack,
    PreferDualStack,
    RequireDualStack,
}

/// <summary>Everything the allocator needs to know about one Service.</summary>
internal sealed record AllocationRequest
{
    /// <summary><c>namespace/name</c>.</summary>
    public required string Service { get; init; }
    public required string Namespace { get; init; }
    public IReadOnlyDictionary<string, string>? Labels { get; init; }
    /// <summary>The Service's families in preference order (<c>spec.ipFamilies</c>); the first is the primary.</summary>
    public IReadOnlyList<IPFamily> Families { get; init; } = [IPFamily.IPv4];
    public FamilyPolicy Policy { get; init; } = FamilyPolicy.SingleStack;
    /// <summary>The <c>address-pool</c> annotation, or null.</summary>
    public string? Pool { get; init; }
    /// <summary>Empty = no sharing.</summary>
    public string SharingKey { get; init; } = "";
    /// <summary>The selector under externalTrafficPolicy Local, else empty.</summary>
    public string BackendKey { get; init; } = "";
    public IReadOnlyList<PortKey> Ports { get; init; } = [];
}

internal enum AllocationErrorKind
{
    None,
    /// <summary>No pool can serve the Service at all (none selects it, none of its family, unknown pool).</summary>
    NoMatchingPool,
    PoolExhausted,
    /// <summary>A requested IP is not in any pool (or not in the requested pool).</summary>
    NotInPool,
    /// <summary>A requested IP is used by another Service it may not share with.</summary>
    InUse,
    SharingConflict,
    FamilyMismatch,
    InvalidRequest,
}

/// <summary>The outcome of Assign/Allocate: the IPs and pool, or an error in words.</summary>
internal sealed record AllocationResult(bool Success, string? Pool, IReadOnlyList<IPKey> IPs, AllocationErrorKind ErrorKind, string? Error)
{
    public static AllocationResult Ok(string pool, IReadOnlyList<IPKey> ips) => new(true, pool, ips, AllocationErrorKind.None, null);
    public static AllocationResult Fail(AllocationErrorKind kind, string error) => new(false, null, [], kind, error);

    public override string ToString() => Success ? $"{Pool}:[{string.Join(",", IPs)}]" : $"{ErrorKind}: {Error}";
}

/// <summary>What a Service holds.</summary>
internal sealed record Assignment(string Service, string Pool, IReadOnlyList<IPKey> IPs, string SharingKey, string BackendKey, IReadOnlyList<PortKey> Ports);

/// <summary>Counts for a pool's status and metrics.</summary>
internal readonly record struct PoolUsage(long AssignedIPv4, long AssignedIPv6, long AvailableIPv4, long AvailableIPv6, long TotalIPv4, long TotalIPv6);
