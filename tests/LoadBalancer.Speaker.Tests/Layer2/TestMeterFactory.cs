using System.Diagnostics.Metrics;

namespace LoadBalancer.Speaker.Tests.Layer2;

/// <summary>An <see cref="IMeterFactory"/> that hands out plain meters (tests listen with <see cref="MeterListener"/>).</summary>
internal sealed class TestMeterFactory : IMeterFactory
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

/// <summary>Sums long counters by instrument name for meters created by one factory.</summary>
internal sealed class CounterRecorder : IDisposable
{
    private readonly MeterListener _listener = new();
    private readonly Dictionary<string, long> _totals = [];

    public CounterRecorder(IMeterFactory factory)
    {
        _listener.InstrumentPublished = (instrument, listener) => { if (instrument.Meter.Scope == factory) listener.EnableMeasurementEvents(instrument); };
        _listener.SetMeasurementEventCallback<long>((instrument, value, _, _) => { lock (_totals) _totals[instrument.Name] = Get(instrument.Name) + value; });
        _listener.Start();
    }

    public long Get(string name) { lock (_totals) return _totals.GetValueOrDefault(name); }

    public void Dispose() => _listener.Dispose();
}
