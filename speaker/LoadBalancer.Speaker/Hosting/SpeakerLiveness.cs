using LoadBalancer.Kube.Api;

namespace LoadBalancer.Speaker.Hosting;

/// <summary>
/// Which speakers are alive, from their Leases (<c>speaker-&lt;node&gt;</c>, holder = node name). Expiry is measured on
/// this node's clock from the moment a renewal was <em>observed</em> (as client-go's leader election does), so clock skew
/// between nodes does not matter. A Lease seen for the first time counts from its renewTime (clamped to now), so a
/// long-dead node does not look alive for a whole duration after this speaker starts.
/// </summary>
/// <remarks>
/// When this speaker's own renewals fail for longer than a Lease duration it cannot tell a dead peer from its own lost
/// connection to the API server, so it freezes its view at the last moment it could (peers stay as they were, itself
/// included): a control-plane outage then moves no IP, instead of every speaker withdrawing everything. The cost is
/// documented in docs/speaker.md (a node cut off from the API server alone keeps what it announced until it is back).
/// </remarks>
internal sealed class SpeakerLiveness(string selfNode, TimeSpan defaultDuration)
{
    public const string LeasePrefix = "speaker-";

    private readonly Dictionary<string, Observed> _leases = new(StringComparer.Ordinal);
    private DateTimeOffset? _ownRenewed;
    private HashSet<string> _frozen = new(StringComparer.Ordinal);
    private readonly object _gate = new();

    private sealed record Observed(string? Holder, DateTimeOffset? RenewTime, string? ResourceVersion, TimeSpan Duration, DateTimeOffset ObservedAt);

    public static string LeaseName(string node) => LeasePrefix + node;

    /// <summary>Feeds the current Lease objects (any Lease not named speaker-* is ignored; a missing one is released).</summary>
    public void Observe(IEnumerable<V1Lease> leases, DateTimeOffset now)
    {
        lock (_gate)
        {
            var seen = new HashSet<string>(StringComparer.Ordinal);
            foreach (var l in leases)
            {
                var name = l.Metadata.Name;
                if (name is null || !name.StartsWith(LeasePrefix, StringComparison.Ordinal)) continue;
                var node = name[LeasePrefix.Length..];
                seen.Add(node);
                var holder = l.Spec?.HolderIdentity;
                var renew = l.Spec?.RenewTime ?? l.Spec?.AcquireTime;
                var duration = l.Spec?.LeaseDurationSeconds is > 0 and var s ? TimeSpan.FromSeconds(s) : defaultDuration;
                if (_leases.TryGetValue(node, out var old) && old.Holder == holder && old.RenewTime == renew && old.ResourceVersion == l.Metadata.ResourceVersion)
                    continue;
                var observedAt = old is null && renew is { } r ? (r > now ? now : (r < now - duration - TimeSpan.FromSeconds(1) ? now - duration - TimeSpan.FromSeconds(1) : r)) : now;
                _leases[node] = new Observed(holder, renew, l.Metadata.ResourceVersion, duration, observedAt);
            }
            foreach (var gone in _leases.Keys.Where(k => !seen.Contains(k)).ToList()) _leases.Remove(gone);
        }
    }

    /// <summary>This speaker renewed its own Lease at <paramref name="now"/>.</summary>
    public void OwnRenewed(DateTimeOffset now)
    {
        lock (_gate) _ownRenewed = now;
    }

    /// <summary>This speaker released its Lease (shutdown): it is no longer alive, whatever the cache says.</summary>
    public void OwnReleased()
    {
        lock (_gate)
        {
            _ownRenewed = null;
            _frozen.Remove(selfNode);
        }
    }

    /// <summary>Whether the view is fresh (own Lease renewed within a duration).</summary>
    public bool IsFresh(DateTimeOffset now)
    {
        lock (_gate) return _ownRenewed is { } t && now - t <= defaultDuration;
    }

    /// <summary>Live speakers at <paramref name="now"/>, minus <paramref name="unreachable"/> (never this node).</summary>
    public IReadOnlySet<string> Live(DateTimeOffset now, IReadOnlySet<string>? unreachable = null)
    {
        lock (_gate)
        {
            HashSet<string> live;
            if (_ownRenewed is { } own && now - own <= defaultDuration)
            {
                live = new HashSet<string>(StringComparer.Ordinal) { selfNode };
                foreach (var (node, o) in _leases)
                {
                    if (node != selfNode && !string.IsNullOrEmpty(o.Holder) && now - o.ObservedAt < o.Duration) live.Add(node);
                }
                _frozen = live;
            }
            else
            {
                live = _ownRenewed is null ? new HashSet<string>(StringComparer.Ordinal) : new HashSet<string>(_frozen, StringComparer.Ordinal);
                if (_ownRenewed is null) live.Remove(selfNode);
            }
            if (unreachable is not null) live.RemoveWhere(n => n != selfNode && unreachable.Contains(n));
            return live;
        }
    }

    /// <summary>The next moment a live peer's Lease runs out if not renewed (to re-plan then), or null.</summary>
    public DateTimeOffset? NextExpiry(DateTimeOffset now)
    {
        lock (_gate)
        {
            DateTimeOffset? next = null;
            foreach (var (node, o) in _leases)
            {
                var at = o.ObservedAt + o.Duration;
                if (node == selfNode || at <= now || string.IsNullOrEmpty(o.Holder)) continue;
                if (next is null || at < next) next = at;
            }
            if (_ownRenewed is { } own && own + defaultDuration > now && (next is null || own + defaultDuration < next)) next = own + defaultDuration;
            return next;
        }
    }
}
