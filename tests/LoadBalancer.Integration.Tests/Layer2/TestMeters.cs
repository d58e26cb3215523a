using System.Diagnostics.Metrics;

namespace LoadBalancer.Integration.Tests.Layer2;

internal sealed class TestMeters : IMeterFactory
{
    private readonly List<Meter> _meters = [];

    public Meter Create(MeterOptions options)
    {
        var meter = new Meter(options.Name, options.Version, options.Tags, this);
        lock (_meters) _meters.Add(meter);
        return meter;
    }

    public void Dispose()
    {
        lock (_meters) foreach (var m in _meters) m.Dispose();
    }
}
