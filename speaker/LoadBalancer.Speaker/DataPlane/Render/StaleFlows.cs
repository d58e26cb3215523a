using System.Net;
using LoadBalancer.Speaker.Announcing;

namespace LoadBalancer.Speaker.DataPlane.Render;

/// <summary>UDP/SCTP conntrack entries to delete: flows to <paramref name="Vip"/>:<paramref name="Port"/> that were DNATed to <paramref name="Endpoint"/>.</summary>
internal sealed record StaleFlow(ServiceKey Service, string Proto, IPAddress Vip, int Port, IPEndPoint Endpoint);

/// <summary>
/// Which conntrack entries an apply leaves stale (kube-proxy's rule): for UDP and SCTP, an endpoint that served an
/// LB IP:port before and no longer does (removed, not ready, or the port or Service gone). Conntrack pins a flow to
/// its DNAT target, and a UDP client that keeps sending never lets the entry expire, so without a flush it would keep
/// hitting a dead pod. TCP is left alone: a dead endpoint's connections end with resets or timeouts on their own.
/// Pure; O(changed Services) (unchanged Services keep their rendered objects and are skipped).
/// </summary>
internal static class StaleFlows
{
    public static List<StaleFlow> Find(NftRuleset? applied, NftRuleset desired)
    {
        var stale = new List<StaleFlow>();
        if (applied is null) return stale;
        IEnumerable<KeyValuePair<ServiceKey, NftServiceObjects>> olds = desired.ChangedSince(applied) is { } keys
            ? keys.Where(applied.Index.ContainsKey).Select(k => KeyValuePair.Create(k, applied.Index[k]))
            : applied.Services;
        foreach (var (key, old) in olds)
        {
            desired.Index.TryGetValue(key, out var now);
            if (ReferenceEquals(old, now)) continue;
            var current = new Dictionary<(string, IPAddress, int), HashSet<IPEndPoint>>();
            foreach (var f in now?.Flows ?? []) current[(f.Proto, f.Vip, f.Port)] = [.. f.Endpoints];
            foreach (var f in old.Flows)
            {
                if (f.Proto == "tcp") continue;
                current.TryGetValue((f.Proto, f.Vip, f.Port), out var still);
                foreach (var e in f.Endpoints)
                    if (still is null || !still.Contains(e)) stale.Add(new StaleFlow(key, f.Proto, f.Vip, f.Port, e));
            }
        }
        return stale;
    }
}
