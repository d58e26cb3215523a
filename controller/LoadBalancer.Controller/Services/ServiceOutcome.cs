using LoadBalancer.Controller.Allocation;
using LoadBalancer.Kube.Api;

namespace LoadBalancer.Controller.Services;

/// <summary>What the shell should do after a decision (after MetalLB's SyncState).</summary>
internal enum SyncResult
{
    Done,
    /// <summary>An IP was freed or a sharing key changed: every Service should be looked at again.</summary>
    ReprocessAll,
}

/// <summary>An Event to record on the Service.</summary>
internal sealed record DecisionEvent(string Type, string Reason, string Message)
{
    public const string Normal = "Normal";
    public const string Warning = "Warning";
}

/// <summary>
/// The outcome of <see cref="ServiceDecision.Decide"/>: the desired status and annotation (each written only when
/// <see cref="WriteStatus"/> / <see cref="WriteAnnotation"/>), the events and the sync result.
/// </summary>
internal sealed record ServiceOutcome
{
    /// <summary>The ingress the Service should have (empty = none).</summary>
    public IReadOnlyList<LoadBalancerIngress> DesiredIngress { get; init; } = [];
    public bool WriteStatus { get; init; }
    /// <summary>The value of <c>lb.baremetal.dev/ip-allocated-from-pool</c>; null = remove it.</summary>
    public string? DesiredPool { get; init; }
    public bool WriteAnnotation { get; init; }
    public IReadOnlyList<DecisionEvent> Events { get; init; } = [];
    public SyncResult Sync { get; init; }
    /// <summary>The allocation the Service holds after the decision, if any.</summary>
    public Assignment? Assignment { get; init; }
    /// <summary>Why the Service has no IP (for logs and tests), when it is ours and has none.</summary>
    public string? Failure { get; init; }
    /// <summary>False when the Service is not ours (deleted, not LoadBalancer, another class).</summary>
    public bool Owned { get; init; }

    public static ServiceOutcome Nothing { get; } = new();
}
