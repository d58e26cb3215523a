namespace LoadBalancer.Kube;

/// <summary>A token bucket on an explicit clock: <c>burst</c> tokens, one more every <c>refill</c>.</summary>
internal sealed class TokenBucket(int burst, TimeSpan refill, DateTimeOffset now)
{
    private double _tokens = burst;
    private DateTimeOffset _last = now;

    public bool TryTake(DateTimeOffset now)
    {
        Refill(now);
        if (_tokens < 1) return false;
        _tokens -= 1;
        return true;
    }

    public bool IsFull(DateTimeOffset now)
    {
        Refill(now);
        return _tokens >= burst;
    }

    private void Refill(DateTimeOffset now)
    {
        if (now <= _last) return;
        _tokens = refill <= TimeSpan.Zero ? burst : Math.Min(burst, _tokens + (now - _last) / refill);
        _last = now;
    }
}
