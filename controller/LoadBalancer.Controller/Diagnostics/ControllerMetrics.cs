using System.Diagnostics.Metrics;
using LoadBalancer.Controller.Allocation;

namespace LoadBalancer.Controller.Diagnostics;

/// <summary>
/// The controller's instruments (meter <c>LoadBalancer.Controller</c>): allocator pool sizes and usage per pool,
/// config staleness, reconcile latency. Observable values come from a snapshot the reconciler publishes after each
/// work item, so a scrape never touches the allocator from another thread.
/// </summary>
internal sealed class ControllerMetrics
{
    public const string MeterName = "LoadBalancer.Controller";

    private readonly Histogram<double> _reconcileDuration;
    private readonly Counter<long> _reconciles;
    private IReadOnlyDictionary<string, PoolUsage> _usage = new Dictionary<string, PoolUsage>();
    private int _stale;

    public ControllerMetrics(IMeterFactory meterFactory)
    {
        ArgumentNullException.ThrowIfNull(meterFactory);
        var meter = meterFactory.Create(MeterName);
        meter.CreateObservableGauge("loadbalancer.allocator.addresses_total", () => Per(u => u.TotalIPv4 == long.MaxValue || u.TotalIPv6 == long.MaxValue ? long.MaxValue : u.TotalIPv4 + u.TotalIPv6),
            "{address}", "The number of addresses a pool holds (saturated at 2^63-1)");
        meter.CreateObservableGauge("loadbalancer.allocator.ipv4_addresses_total", () => Per(u => u.TotalIPv4), "{address}", "IPv4 addresses in a pool");
        meter.CreateObservableGauge("loadbalancer.allocator.ipv6_addresses_total", () => Per(u => u.TotalIPv6), "{address}", "IPv6 addresses in a pool (saturated at 2^63-1)");
        meter.CreateObservableGauge("loadbalancer.allocator.addresses_in_use_total", () => Per(u => u.AssignedIPv4 + u.AssignedIPv6), "{address}", "Addresses of a pool assigned to Services");
        meter.CreateObservableGauge("loadbalancer.allocator.ipv4_addresses_in_use_total", () => Per(u => u.AssignedIPv4), "{address}", "IPv4 addresses of a pool in use");
        meter.CreateObservableGauge("loadbalancer.allocator.ipv6_addresses_in_use_total", () => Per(u => u.AssignedIPv6), "{address}", "IPv6 addresses of a pool in use");
        meter.CreateObservableGauge("loadbalancer.config.stale", () => Volatile.Read(ref _stale), null, "1 when the last configuration had errors and the last good version of some objects is in force, or objects are ignored");
        _reconcileDuration = meter.CreateHistogram<double>("loadbalancer.reconcile.duration_seconds", "s", "Time to reconcile one work item (Service, configuration or status)");
        _reconciles = meter.CreateCounter<long>("loadbalancer.reconcile.total", "{reconcile}", "Work items processed, by kind and result");
    }

    private IEnumerable<Measurement<long>> Per(Func<PoolUsage, long> pick)
    {
        foreach (var (pool, usage) in Volatile.Read(ref _usage))
            yield return new Measurement<long>(pick(usage), new KeyValuePair<string, object?>("pool", pool));
    }

    public void PublishUsage(IReadOnlyDictionary<string, PoolUsage> usage) => Volatile.Write(ref _usage, usage);

    public void SetStale(bool stale) => Volatile.Write(ref _stale, stale ? 1 : 0);

    public void RecordReconcile(string kind, string result, TimeSpan elapsed)
    {
        _reconcileDuration.Record(elapsed.TotalSeconds, new KeyValuePair<string, object?>("kind", kind));
        _reconciles.Add(1, new KeyValuePair<string, object?>("kind", kind), new KeyValuePair<string, object?>("result", result));
    }
}
