using System.Collections.Immutable;
using System.Globalization;
using System.Net;
using System.Text;
using LoadBalancer.Speaker.Announcing;
using LoadBalancer.Speaker.Planning;

namespace LoadBalancer.Speaker.Status;

/// <summary>An Event the speaker posts on a Service.</summary>
/// <param name="Type"><c>Normal</c> or <c>Warning</c>.</param>
/// <param name="Reason"><c>Announced</c>, <c>Withdrawn</c> or <c>AnnounceFailed</c>.</param>
internal sealed record ServiceEvent(ServiceKey Service, string Type, string Reason, string Message);

/// <summary>Limits for <see cref="ServiceEventTracker"/>: a token bucket per Service.</summary>
/// <param name="Burst">Events a Service may get at once.</param>
/// <param name="Refill">One more event allowed per this period.</param>
internal sealed record EventLimits(int Burst = 4, TimeSpan? Refill = null)
{
    public TimeSpan RefillPeriod => Refill ?? TimeSpan.FromMinutes(1);
}

/// <summary>
/// Turns successive plans into Service Events on transitions only (pure apart from its own memory; time is passed in).
/// It remembers, per Service, what users were last told (announced with what, or not announced) and emits an Event only
/// when the current state differs from that. Each Service has a token bucket (<see cref="EventLimits"/>): while it is
/// empty, changes are not lost but coalesced, and once a token is back one Event tells the state at that moment and how
/// many changes were folded into it. A Service whose endpoints flap every second gets <c>Burst</c> Events and then at
/// most one per refill period, however long it flaps (MetalLB #3135 posted one per reconcile: 1.1M).
/// </summary>
internal sealed class ServiceEventTracker(string nodeName, EventLimits? limits = null)
{
    private readonly EventLimits _limits = limits ?? new EventLimits();
    private readonly Dictionary<ServiceKey, Entry> _entries = [];
    private const double TokenEpsilon = 1e-9;

    private sealed class Entry
    {
        public Told Told = Told.Nothing;
        public ServicePlan? Desired;
        public bool Deleted;
        public ImmutableHashSet<(IPAddress, string)> Failures = [];
        public ImmutableHashSet<(IPAddress, string)> ToldFailures = [];
        public double Tokens;
        public DateTimeOffset LastRefill;
        public int Folded;
        /// <summary><see cref="Desired(Entry)"/> for the <see cref="Desired"/> it was computed from (texts are built once per plan).</summary>
        public ServicePlan? DescribedPlan;
        public Told Described = Told.Nothing;
    }

    /// <summary>What users were told (compared by value: the IPs and the announcement text).</summary>
    private sealed record Told(bool Announced, string Ips, string Announcements)
    {
        public static Told Nothing { get; } = new(false, "", "");
    }

    /// <summary>Takes the newest plan and the back ends' failures; returns the Events to post now.</summary>
    public IReadOnlyList<ServiceEvent> Update(DateTimeOffset now, AnnouncementPlan plan, IReadOnlyCollection<AnnounceFailure> failures)
    {
        var failuresByIp = failures.GroupBy(f => f.Ip).ToDictionary(g => g.Key, g => g.ToList());
        foreach (var (key, sp) in plan.Services)
        {
            if (!_entries.TryGetValue(key, out var e)) _entries[key] = e = new Entry { Tokens = _limits.Burst, LastRefill = now };
            var before = Desired(e);
            e.Desired = sp;
            e.Deleted = false;
            if (Desired(e) != before) e.Folded++;
            var current = FailuresOf(sp, failuresByIp);
            if (!e.ToldFailures.IsEmpty) e.ToldFailures = e.ToldFailures.Intersect(current);
            e.Failures = current;
        }
        foreach (var (key, e) in _entries)
        {
            if (!plan.Services.ContainsKey(key) && !e.Deleted)
            {
                var before = Desired(e);
                e.Deleted = true;
                e.Failures = [];
                if (Desired(e) != before) e.Folded++;
            }
        }
        return Flush(now);
    }

    // A failure counts for a Service that should announce the IP (planned) but the back end cannot.
    private static ImmutableHashSet<(IPAddress, string)> FailuresOf(ServicePlan sp, Dictionary<IPAddress, List<AnnounceFailure>> byIp)
        => byIp.Count == 0 ? [] : [.. sp.Announcements.Select(a => a.Ip).Distinct().SelectMany(ip => byIp.GetValueOrDefault(ip) ?? []).Select(f => (f.Ip, $"{f.Reason}: {f.Message}"))];

    /// <summary>The Events that are due now (changes held back by the rate limit whose token has come back).</summary>
    public IReadOnlyList<ServiceEvent> Flush(DateTimeOffset now)
    {
        var events = new List<ServiceEvent>();
        var forget = new List<ServiceKey>();
        // Only the Services with something to tell are sorted (in key order, for a stable Event order); refilling the
        // others later gives the same tokens (the bucket is linear up to its cap).
        foreach (var (key, e) in _entries.Where(kv => HasPending(kv.Value)).OrderBy(kv => kv.Key, ServiceKeyComparer.Instance))
        {
            Refill(e, now);
            var pending = Pending(key, e);
            if (pending.Count > 0)
            {
                if (e.Tokens < 1 - TokenEpsilon) continue;
                e.Tokens -= 1;
                var folded = e.Folded - 1;
                if (folded > 0)
                {
                    var last = pending[^1];
                    pending[^1] = last with { Message = last.Message + string.Create(CultureInfo.InvariantCulture, $" ({folded} earlier changes folded into this event)") };
                }
                events.AddRange(pending);
                e.Folded = 0;
                Commit(e);
            }
        }
        foreach (var (key, e) in _entries)
            if (e.Deleted && !e.Told.Announced) forget.Add(key);
        foreach (var k in forget) _entries.Remove(k);
        return events;
    }

    /// <summary>When the next held-back Event becomes due, or null when nothing is held back.</summary>
    public DateTimeOffset? NextDue(DateTimeOffset now)
    {
        DateTimeOffset? next = null;
        foreach (var (key, e) in _entries)
        {
            if (!HasPending(e) || Pending(key, e).Count == 0) continue;
            Refill(e, now);
            // Rounded up to the next tick, and a token counts from 1 - epsilon: a refill computed in other steps (floating
            // point, TimeSpan ticks) must still find the token back at the moment announced here.
            var due = e.Tokens >= 1 - TokenEpsilon ? now
                : e.LastRefill + TimeSpan.FromTicks((long)Math.Ceiling(_limits.RefillPeriod.Ticks * (1 - (e.Tokens - Math.Floor(e.Tokens)))));
            if (next is null || due < next) next = due;
        }
        return next;
    }

    private void Refill(Entry e, DateTimeOffset now)
    {
        if (now <= e.LastRefill) return;
        e.Tokens = Math.Min(_limits.Burst, e.Tokens + ((now - e.LastRefill) / _limits.RefillPeriod));
        e.LastRefill = now;
    }

    /// <summary>Cheap pre-check of <see cref="Pending"/>: false when what users were told is what is desired now.</summary>
    private bool HasPending(Entry e)
        => Desired(e) != e.Told || !e.Failures.IsSubsetOf(e.ToldFailures);

    private List<ServiceEvent> Pending(ServiceKey key, Entry e)
    {
        var list = new List<ServiceEvent>();
        var desired = Desired(e);
        var ipsChanged = e.Desired is not null && e.Told.Ips != IpText(e.Desired.Ips);
        if (e.Told.Announced && (!desired.Announced || ipsChanged))
        {
            var reason = e.Deleted ? WithdrawReason.ServiceDeleted
                : ipsChanged ? WithdrawReason.IpChanged
                : e.Desired?.Reason ?? WithdrawReason.NotAdvertised;
            list.Add(new ServiceEvent(key, "Normal", "Withdrawn",
                $"node \"{nodeName}\" stopped announcing {e.Told.Ips}: {reason.Name()}"));
        }
        if (desired.Announced && (!e.Told.Announced || e.Told.Announcements != desired.Announcements || ipsChanged))
            list.Add(new ServiceEvent(key, "Normal", "Announced", desired.Announcements));
        foreach (var (ip, text) in e.Failures.Except(e.ToldFailures).OrderBy(f => f.Item1, IpComparer.Instance).ThenBy(f => f.Item2, StringComparer.Ordinal))
            list.Add(new ServiceEvent(key, "Warning", "AnnounceFailed", $"cannot announce {ip} from node \"{nodeName}\": {text}"));
        return list;
    }

    private void Commit(Entry e)
    {
        e.Told = Desired(e);
        e.ToldFailures = e.Failures;
    }

    private Told Desired(Entry e)
    {
        if (e.Deleted || e.Desired is null || !e.Desired.Announced) return Told.Nothing;
        if (ReferenceEquals(e.DescribedPlan, e.Desired)) return e.Described;
        if (e.DescribedPlan is not null && e.DescribedPlan.Equals(e.Desired)) e.DescribedPlan = e.Desired; // same plan, new round
        else
        {
            e.Described = new Told(true, IpText(e.Desired.Ips), Describe(e.Desired));
            e.DescribedPlan = e.Desired;
        }
        return e.Described;
    }

    private static string IpText(IEnumerable<IPAddress> ips) => string.Join(", ", ips.Distinct().Order(IpComparer.Instance));

    /// <summary><c>announcing from node "n1": 203.0.113.10 with protocol "layer2" on eth0; 203.0.113.10 with protocol "bgp" to peers p1, p2</c>.</summary>
    private string Describe(ServicePlan sp)
    {
        var sb = new StringBuilder();
        sb.Append("announcing from node \"").Append(nodeName).Append("\": ");
        var parts = sp.Announcements
            .GroupBy(a => (a.Protocol, Where: a.Protocol == AnnounceProtocol.Layer2
                ? (a.Interfaces.IsDefaultOrEmpty ? "on all interfaces" : "on " + string.Join(", ", a.Interfaces))
                : (a.Peers.IsDefaultOrEmpty ? "to no peer" : "to peers " + string.Join(", ", a.Peers))))
            .OrderBy(g => g.Key.Protocol).ThenBy(g => g.Key.Where, StringComparer.Ordinal)
            .Select(g => $"{string.Join(", ", g.Select(a => a.Ip).Order(IpComparer.Instance))} with protocol \"{g.Key.Protocol.Name()}\" {g.Key.Where}");
        sb.AppendJoin("; ", parts);
        return sb.ToString();
    }
}
