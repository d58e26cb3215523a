using System.Collections.Concurrent;
using System.Diagnostics.Metrics;

namespace LoadBalancer.Speaker.Bgp;

/// <summary>
/// Instruments of the BGP back end (meter <c>LoadBalancer.Speaker.Bgp</c>), named so that the Prometheus form is
/// MetalLB's: <c>loadbalancer_bgp_session_up</c>, <c>loadbalancer_bgp_updates_total</c>,
/// <c>loadbalancer_bgp_announced_prefixes_total</c>, all with a <c>peer</c> tag.
/// </summary>
internal sealed class BgpMetrics
{
    public const string MeterName = "LoadBalancer.Speaker.Bgp";

    private readonly ConcurrentDictionary<string, (int Up, int Prefixes)> _peers = new();
    private readonly Counter<long> _updates;

    public BgpMetrics(Meter meter)
    {
        meter.CreateObservableGauge("loadbalancer.bgp.session_up",
            () => _peers.Select(p => new Measurement<int>(p.Value.Up, new KeyValuePair<string, object?>("peer", p.Key))),
            unit: "{session}", description: "1 when the BGP session to the peer is Established");
        meter.CreateObservableGauge("loadbalancer.bgp.announced_prefixes_total",
            () => _peers.Select(p => new Measurement<int>(p.Value.Prefixes, new KeyValuePair<string, object?>("peer", p.Key))),
            unit: "{prefix}", description: "Prefixes the peer currently holds from us");
        _updates = meter.CreateCounter<long>("loadbalancer.bgp.updates_total", unit: "{message}", description: "UPDATE messages sent to the peer");
    }

    public void SetSession(string peer, bool up, int prefixes) => _peers[peer] = (up ? 1 : 0, prefixes);

    public void RemoveSession(string peer) => _peers.TryRemove(peer, out _);

    public void UpdatesSent(string peer, int count) => _updates.Add(count, new KeyValuePair<string, object?>("peer", peer));
}
