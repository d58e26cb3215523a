namespace LoadBalancer.TestKit.ApiServer;

/// <summary>Failures and latency injected into matching requests (verb and a substring of path+query).</summary>
internal sealed class FaultInjector
{
    private sealed class Rule
    {
        public required int Remaining;
        public required int Code;
        public required string? Verb;
        public required string? PathContains;
        public int? RetryAfterSeconds;
    }

    private readonly Lock _gate = new();
    private readonly List<Rule> _rules = [];
    private readonly TimeProvider _time;
    private TimeSpan _latency;
    private string? _latencyPath;

    public FaultInjector(TimeProvider time) => _time = time;

    public void Fail(int count, int code, string? verb, string? pathContains, int? retryAfterSeconds)
    {
        lock (_gate) _rules.Add(new Rule { Remaining = count, Code = code, Verb = verb, PathContains = pathContains, RetryAfterSeconds = retryAfterSeconds });
    }

    public void SetLatency(TimeSpan latency, string? pathContains)
    {
        lock (_gate)
        {
            _latency = latency;
            _latencyPath = pathContains;
        }
    }

    public void Clear()
    {
        lock (_gate)
        {
            _rules.Clear();
            _latency = TimeSpan.Zero;
            _latencyPath = null;
        }
    }

    /// <summary>Counts every request: method and path with query.</summary>
    public long RequestCount;

    public async Task BeforeRequestAsync(string method, string pathAndQuery, CancellationToken ct)
    {
        Interlocked.Increment(ref RequestCount);
        TimeSpan latency;
        Rule? hit = null;
        lock (_gate)
        {
            latency = _latencyPath is null || pathAndQuery.Contains(_latencyPath, StringComparison.Ordinal) ? _latency : TimeSpan.Zero;
            foreach (var r in _rules)
            {
                if (r.Remaining <= 0) continue;
                if (r.Verb is not null && !string.Equals(r.Verb, method, StringComparison.OrdinalIgnoreCase)) continue;
                if (r.PathContains is not null && !pathAndQuery.Contains(r.PathContains, StringComparison.Ordinal)) continue;
                r.Remaining--;
                hit = r;
                break;
            }
            _rules.RemoveAll(r => r.Remaining <= 0);
        }
        if (latency > TimeSpan.Zero) await Task.Delay(latency, _time, ct).ConfigureAwait(false);
        if (hit is not null)
        {
            var (reason, message) = hit.Code switch
            {
                429 => ("TooManyRequests", "the server has received too many requests and has asked us to try again later"),
                500 => ("InternalError", "Internal error occurred: injected fault"),
                503 => ("ServiceUnavailable", "the server is currently unable to handle the request"),
                504 => ("Timeout", "the server was unable to return a response in the time allotted"),
                _ => ("InternalError", "injected fault"),
            };
            throw new ApiException(hit.Code, reason, message) { RetryAfterSeconds = hit.RetryAfterSeconds ?? (hit.Code == 429 ? 1 : null) };
        }
    }
}
