namespace LoadBalancer.Sandbox;

/// <summary>How to build the sandbox.</summary>
public sealed record SandboxOptions
{
    public const string DefaultStateDir = "/run/loadbalancer-sandbox";

    /// <summary>Namespace name prefix (the demo uses "lbsb"; tests use a per-run one).</summary>
    public string Prefix { get; init; } = "lbsb";

    public int Nodes { get; init; } = 3;

    /// <summary>Pods per node; null means <see cref="Topology.DefaultPods"/>.</summary>
    public IReadOnlyList<int>? PodsPerNode { get; init; }

    public RouterKind Router { get; init; } = RouterKind.Bird;

    /// <summary>Kubeconfig, logs, pid files and daemon sockets live here.</summary>
    public string StateDir { get; init; } = DefaultStateDir;

    /// <summary>The emulator's port on 127.0.0.1 in the root namespace (relayed to the same port in every node namespace).</summary>
    public int ApiPort { get; init; } = 16443;

    /// <summary>Start the API server emulator and apply the manifests (off: network, router and pods only).</summary>
    public bool StartApi { get; init; } = true;

    /// <summary>Start the controller and speakers (off: network, router, pods and API only).</summary>
    public bool StartLoadBalancer { get; init; } = true;

    /// <summary>Create the demo Services and print the report.</summary>
    public bool DemoServices { get; init; } = true;

    /// <summary>
    /// Speakers probe each other (UDP, HMAC with a shared key written once to <c>probe-key</c> in the state directory,
    /// passed with --probe-key-file, where a real install would mount a Secret; the shipped DaemonSet does not mount
    /// one yet). Off: liveness from Leases only.
    /// </summary>
    public bool PeerProbes { get; init; } = true;

    /// <summary>The repository root (for manifests/); found from the binary's location when null.</summary>
    public string? RepoRoot { get; init; }

    /// <summary>Where LoadBalancer.{Emulator,Controller,Speaker}.dll are; the sandbox's own directory when null.</summary>
    public string? BinaryDir { get; init; }
}
