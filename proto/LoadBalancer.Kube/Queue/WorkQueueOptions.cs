namespace LoadBalancer.Kube;

/// <summary>Work queue settings (client-go's defaults: per-item exponential 5 ms .. 1000 s).</summary>
public sealed record WorkQueueOptions
{
    /// <summary>Name in metrics (<c>queue</c> tag).</summary>
    public string Name { get; init; } = "default";
    /// <summary>Delay of the first rate-limited retry; doubles per failure of the same key.</summary>
    public TimeSpan BaseDelay { get; init; } = TimeSpan.FromMilliseconds(5);
    /// <summary>Cap of the per-key retry delay.</summary>
    public TimeSpan MaxDelay { get; init; } = TimeSpan.FromSeconds(1000);
}

/// <summary>What <see cref="WorkQueue{TKey}.GetAsync"/> hands out: a key to process, or the end of the queue.</summary>
public readonly record struct WorkItem<TKey>(TKey Key, bool IsShutdown);
