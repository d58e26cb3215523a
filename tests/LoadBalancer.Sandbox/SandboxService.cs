namespace LoadBalancer.Sandbox;

/// <summary>How a sandbox Service is announced.</summary>
public enum Announce
{
    Layer2,
    Bgp,
}

/// <summary>
/// A Service the sandbox creates, backed by the pods listed (all pods when null), from the sandbox's pool for its
/// mode unless <paramref name="PoolName"/> names another, asking for <paramref name="RequestedIp"/> when given.
/// </summary>
public sealed record SandboxService(string Name, Announce Mode, bool LocalPolicy, IReadOnlyList<string>? PodNames = null,
    string? PoolName = null, string? RequestedIp = null)
{
    public const string Namespace = "demo";
    public string Pool => PoolName ?? (Mode == Announce.Layer2 ? KubeObjects.L2Pool : KubeObjects.BgpPool);
    public string Policy => LocalPolicy ? "Local" : "Cluster";

    /// <summary>The demo's four Services: Layer 2 and BGP, each under Cluster and Local.</summary>
    public static IReadOnlyList<SandboxService> Demo { get; } =
    [
        new("l2-cluster", Announce.Layer2, false), new("l2-local", Announce.Layer2, true),
        new("bgp-cluster", Announce.Bgp, false), new("bgp-local", Announce.Bgp, true),
    ];
}
