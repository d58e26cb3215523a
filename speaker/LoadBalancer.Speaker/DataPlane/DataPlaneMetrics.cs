using System.Diagnostics.Metrics;

namespace LoadBalancer.Speaker.DataPlane;

/// <summary>
/// Data plane instruments (exported as Prometheus <c>loadbalancer_dataplane_*</c>):
/// <list type="bullet">
/// <item><c>loadbalancer.dataplane.sync_duration_seconds</c> histogram {kind=full|incremental, result}</item>
/// <item><c>loadbalancer.dataplane.sync_errors_total</c> counter {kind}</item>
/// <item><c>loadbalancer.dataplane.in_sync</c> gauge (1 when the kernel has the last snapshot), <c>loadbalancer.dataplane.services</c> gauge</item>
/// <item><c>loadbalancer.dataplane.packets_total</c>, <c>_bytes_total</c>, <c>_connections_total</c> observable counters {service="ns/name"},
/// read from the kernel's named counters every CounterInterval</item>
/// </list>
/// </summary>
internal sealed class DataPlaneMetrics : IDisposable
{
    public const string MeterName = "LoadBalancer.Speaker";

    private readonly Meter _meter;
    private readonly bool _ownsMeter;
    private NftDataPlane? _plane;

    public DataPlaneMetrics(Meter meter, bool ownsMeter = false)
    {
        _meter = meter;
        _ownsMeter = ownsMeter;
        SyncDuration = meter.CreateHistogram<double>("loadbalancer.dataplane.sync_duration_seconds", "s",
            "Time to render and apply one data plane transaction", advice: new InstrumentAdvice<double>
            {
                HistogramBucketBoundaries = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
            });
        SyncErrors = meter.CreateCounter<long>("loadbalancer.dataplane.sync_errors_total", "{error}", "Data plane applies that failed");
        meter.CreateObservableGauge("loadbalancer.dataplane.in_sync", () => _plane is { } p ? (p.InSync ? 1 : 0) : 0, "{bool}",
            "1 when the kernel holds the last snapshot");
        meter.CreateObservableGauge("loadbalancer.dataplane.services", () => _plane?.ProgrammedServices ?? 0, "{service}",
            "Services programmed in the kernel");
        meter.CreateObservableCounter("loadbalancer.dataplane.packets_total", () => Observe(t => t.Packets), "{packet}",
            "Packets towards each Service's LB IPs (kernel counter)");
        meter.CreateObservableCounter("loadbalancer.dataplane.bytes_total", () => Observe(t => t.Bytes), "By",
            "Bytes towards each Service's LB IPs (kernel counter)");
        meter.CreateObservableCounter("loadbalancer.dataplane.connections_total", () => Observe(t => t.Connections), "{connection}",
            "New connections to each Service's LB IPs (kernel counter)");
    }

    public Histogram<double> SyncDuration { get; }
    public Counter<long> SyncErrors { get; }

    public void Attach(NftDataPlane plane) => _plane = plane;

    private IEnumerable<Measurement<long>> Observe(Func<ServiceTraffic, long> pick)
    {
        if (_plane is not { } plane) return [];
        return plane.Traffic.Select(kv => new Measurement<long>(pick(kv.Value), new KeyValuePair<string, object?>("service", kv.Key.ToString())));
    }

    public void Dispose()
    {
        _plane = null;
        if (_ownsMeter) _meter.Dispose();
    }
}
