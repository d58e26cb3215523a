namespace LoadBalancer.Kube;

/// <summary>What an <see cref="Informer{T}"/> watches and how it recovers.</summary>
public sealed record InformerOptions
{
    /// <summary>Namespace to watch; null for all namespaces (or a cluster-scoped kind).</summary>
    public string? Namespace { get; init; }
    public string? LabelSelector { get; init; }
    public string? FieldSelector { get; init; }
    /// <summary>Page size of the initial list and of every relist (0 = unpaged).</summary>
    public int PageSize { get; init; } = 500;
    /// <summary>Server-side watch duration (the stream is re-opened from the last resourceVersion after it). Each watch
    /// asks for a random value between this and twice this, as client-go does, so clients do not re-watch in step.</summary>
    public int WatchTimeoutSeconds { get; init; } = 300;
    /// <summary>First delay after an error; doubles per consecutive error.</summary>
    public TimeSpan InitialBackoff { get; init; } = TimeSpan.FromMilliseconds(800);
    public TimeSpan MaxBackoff { get; init; } = TimeSpan.FromSeconds(30);
    /// <summary>Fraction of random extra delay added to each backoff.</summary>
    public double Jitter { get; init; } = 0.5;
    /// <summary>A watch that ends with no event within this time counts as an error (avoids a hot loop on a server
    /// that closes streams at once).</summary>
    public TimeSpan MinWatchDuration { get; init; } = TimeSpan.FromSeconds(1);
    /// <summary>Seed for the jitter (tests); null for a random one.</summary>
    public int? RandomSeed { get; init; }
}
