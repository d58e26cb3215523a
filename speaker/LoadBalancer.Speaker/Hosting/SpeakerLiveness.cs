using LoadBalancer.Kube.Api;

namespace LoadBalancer.Speaker.Hosting;

/// <summary>
/// Which speakers are alive, from their Leases (<c>speaker-&lt;node&gt;</c>, holder = node name). Expiry is measured
/// only on this node's clock, from the moment this node <em>observed</em> the Lease record change (first sight
/// included), as client-go's leader election does: a Lease is live until <c>observedAt + leaseDurationSeconds</c>.
/// The holder's renewTime is never used: it is stamped on the holder's clock before the write, so trusting it shortens
/// the Lease by the write's latency and by any clock skew, and two observers that first saw the same Lease at different
/// moments would disagree on who is alive (two Layer 2 owners for one IP). The cost: a speaker that has just started
/// counts a long-dead node alive for one more duration (a gap for the IPs it would own, never a second owner).
/// This speaker's own liveness counts from the <em>start</em> of its last successful renewal (before the write
/// committed, so before any observer saw it): it always stops counting itself alive no later than others do.
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
    private bool _released;
    private HashSet<string> _frozen = new(StringComparer.Ordinal);
    private readonly object _gate = new();

    private sealed record Observed(string? Holder, DateTimeOffset? RenewTime, string? ResourceVersion, TimeSpan Duration, DateTimeOffset ObservedAt);

    /// <summary>
    /// The expiry rule: a peer's Lease, last seen changing at <paramref name="observedAt"/> on this node's clock, is live
    /// at <paramref name="now"/> when it has a holder and less than <paramref name="duration"/> has passed since.
    /// </summary>
    public static bool IsLive(string? holder, DateTimeOffset observedAt, TimeSpan duration, DateTimeOffset now)
        => !string.IsNullOrEmpty(holder) && now - observedAt < duration;

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
                _leases[node] = new Observed(holder, renew, l.Metadata.ResourceVersion, duration, now);
            }
            foreach (var gone in _leases.Keys.Where(k => !seen.Contains(k)).ToList()) _leases.Remove(gone);
        }
    }

    /// <summary>This speaker renewed its own Lease with a write that started at <paramref name="attemptStarted"/>.</summary>
    public void OwnRenewed(DateTimeOffset attemptStarted)
    {
        lock (_gate)
        {
            if (!_released && (_ownRenewed is null || attemptStarted > _ownRenewed)) _ownRenewed = attemptStarted;
        }
    }

    /// <summary>This speaker released its Lease (shutdown): it is no longer alive, whatever the cache or a late renewal says.</summary>
    public void OwnReleased()
    {
        lock (_gate)
        {
            _released = true;
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
                    if (node != selfNode && IsLive(o.Holder, o.ObservedAt, o.Duration, now)) live.Add(node);
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
