namespace LoadBalancer.Kube;

/// <summary>Settings of an <see cref="EventRecorder"/>.</summary>
public sealed record EventRecorderOptions
{
    /// <summary><c>reportingController</c> (for example <c>lb.baremetal.dev/controller</c>); shown in <c>kubectl describe</c>'s From column.</summary>
    public required string ReportingController { get; init; }
    /// <summary><c>reportingInstance</c> (pod or node name).</summary>
    public required string ReportingInstance { get; init; }
    /// <summary>Repeats within this time of the previous one join its series; later ones start a new Event (client-go: 6 min).</summary>
    public TimeSpan SeriesWindow { get; init; } = TimeSpan.FromMinutes(6);
    /// <summary>A series' count is patched at most this often (and on <see cref="EventRecorder.FlushAsync"/> and dispose).</summary>
    public TimeSpan SeriesUpdateInterval { get; init; } = TimeSpan.FromSeconds(30);
    /// <summary>New Events (not repeats) per regarding object: burst size of the token bucket (client-go spam filter: 25).</summary>
    public int BurstPerObject { get; init; } = 25;
    /// <summary>One more new Event is allowed per object after this time (client-go spam filter: 5 min).</summary>
    public TimeSpan RefillPerObject { get; init; } = TimeSpan.FromMinutes(5);
    /// <summary>
    /// Also set <c>deprecatedSource</c>, <c>deprecatedFirstTimestamp</c>, <c>deprecatedLastTimestamp</c> and
    /// <c>deprecatedCount</c>. Off by default: a real kube-apiserver rejects an events.k8s.io/v1 create that sets
    /// them (422 "needs to be unset"); kubectl describe shows reportingController and series without them.
    /// </summary>
    public bool FillDeprecatedFields { get; init; }
    /// <summary>Host written to <c>deprecatedSource.host</c> when <see cref="FillDeprecatedFields"/> is on.</summary>
    public string? Host { get; init; }
}
