namespace LoadBalancer.Kube;

/// <summary>
/// Lease leader election settings (client-go's defaults: 15 s lease, 10 s renew deadline, 2 s retry period).
/// A candidate takes over a lease that nobody renewed for <see cref="LeaseDuration"/> (measured on its own clock
/// from when it last saw the lease change, so clock skew between nodes does not matter). A leader that cannot
/// renew within <see cref="RenewDeadline"/> stops leading at once, before anyone else can take over.
/// </summary>
public sealed record LeaderElectionOptions
{
    public required string LeaseNamespace { get; init; }
    public required string LeaseName { get; init; }
    /// <summary>This candidate's identity (pod name), written to <c>spec.holderIdentity</c>.</summary>
    public required string Identity { get; init; }
    public TimeSpan LeaseDuration { get; init; } = TimeSpan.FromSeconds(15);
    public TimeSpan RenewDeadline { get; init; } = TimeSpan.FromSeconds(10);
    public TimeSpan RetryPeriod { get; init; } = TimeSpan.FromSeconds(2);
    /// <summary>A candidate waits RetryPeriod * (1 + random * JitterFactor) between attempts to acquire.</summary>
    public double JitterFactor { get; init; } = 1.2;
    /// <summary>On a clean stop, give the lease up (empty holder) so another candidate takes over at once.</summary>
    public bool ReleaseOnCancel { get; init; } = true;
    /// <summary>Runs while leading; its token is cancelled the moment leadership is lost or the elector stops.</summary>
    public Func<CancellationToken, Task>? OnStartedLeading { get; init; }
    /// <summary>Runs after leading ended (loss or stop), after the work's token was cancelled.</summary>
    public Action? OnStoppedLeading { get; init; }
    /// <summary>Runs when the observed holder changes (including to this candidate).</summary>
    public Action<string>? OnNewLeader { get; init; }
    /// <summary>Seed for the jitter (tests); null for a random one.</summary>
    public int? RandomSeed { get; init; }

    internal void Validate()
    {
        if (string.IsNullOrEmpty(LeaseNamespace) || string.IsNullOrEmpty(LeaseName) || string.IsNullOrEmpty(Identity))
            throw new ArgumentException("LeaderElectionOptions: LeaseNamespace, LeaseName and Identity are required");
        if (RetryPeriod <= TimeSpan.Zero) throw new ArgumentException("LeaderElectionOptions: RetryPeriod must be positive");
        if (LeaseDuration <= RenewDeadline)
            throw new ArgumentException($"LeaderElectionOptions: LeaseDuration ({LeaseDuration}) must be greater than RenewDeadline ({RenewDeadline})");
        if (RenewDeadline <= RetryPeriod * Math.Max(1.0, JitterFactor))
            throw new ArgumentException($"LeaderElectionOptions: RenewDeadline ({RenewDeadline}) must be greater than RetryPeriod * JitterFactor ({RetryPeriod * Math.Max(1.0, JitterFactor)})");
        if (LeaseDuration.TotalSeconds < 1) throw new ArgumentException("LeaderElectionOptions: LeaseDuration must be at least 1 s");
    }
}
