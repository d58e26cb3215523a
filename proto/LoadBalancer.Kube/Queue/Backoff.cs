namespace LoadBalancer.Kube;

/// <summary>Backoff arithmetic shared by the work queue, the informer and the leader elector.</summary>
public static class Backoff
{
    /// <summary><paramref name="baseDelay"/> * 2^<paramref name="failures"/>, capped at <paramref name="maxDelay"/> (no overflow).</summary>
    public static TimeSpan Exponential(TimeSpan baseDelay, TimeSpan maxDelay, int failures)
    {
        if (failures <= 0) return baseDelay < maxDelay ? baseDelay : maxDelay;
        var exp = Math.Min(failures, 62);
        var ticks = baseDelay.Ticks * Math.Pow(2, exp);
        return ticks >= maxDelay.Ticks ? maxDelay : TimeSpan.FromTicks((long)ticks);
    }

    /// <summary>
    /// Exponential with jitter: a delay drawn uniformly from [d, d * (1 + <paramref name="jitter"/>)] where d is
    /// <see cref="Exponential"/>, still capped at <paramref name="maxDelay"/> * (1 + jitter).
    /// </summary>
    public static TimeSpan Jittered(TimeSpan baseDelay, TimeSpan maxDelay, int failures, double jitter, Random random)
    {
        ArgumentNullException.ThrowIfNull(random);
        var d = Exponential(baseDelay, maxDelay, failures);
        return jitter <= 0 ? d : d + TimeSpan.FromTicks((long)(d.Ticks * jitter * random.NextDouble()));
    }
}
