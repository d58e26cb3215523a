using System.Diagnostics.Metrics;
using System.Globalization;
using System.Text;

namespace LoadBalancer.Model.Diagnostics;

/// <summary>
/// Collects System.Diagnostics.Metrics measurements with a <see cref="MeterListener"/> and renders them in the
/// Prometheus text format (0.0.4). Instrument names map dots to underscores: <c>loadbalancer.allocator.addresses_total</c>
/// is exported as <c>loadbalancer_allocator_addresses_total</c>. Counters are summed, gauges and up-down counters keep
/// their value, histograms keep cumulative buckets. Thread-safe.
/// </summary>
public sealed class PrometheusMetricsCollector : IDisposable
{
    /// <summary>Default histogram bucket upper bounds (seconds-oriented, like Prometheus client defaults).</summary>
    public static IReadOnlyList<double> DefaultBuckets { get; } = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

    private readonly MeterListener _listener;
    private readonly Func<Instrument, bool> _filter;
    private readonly Lock _gate = new();
    private readonly Dictionary<Instrument, Family> _families = [];

    private sealed class Family(Instrument instrument)
    {
        public Instrument Instrument { get; } = instrument;
        public Dictionary<string, Series> Series { get; } = new(StringComparer.Ordinal);
    }

    private sealed class Series(string labels)
    {
        public string Labels { get; } = labels;
        public double Value { get; set; }
        public double Sum { get; set; }
        public long Count { get; set; }
        public long[]? Buckets { get; set; }
    }

    /// <param name="filter">Which instruments to collect, e.g. by <c>instrument.Meter.Name</c> or <c>Meter.Scope</c>.</param>
    public PrometheusMetricsCollector(Func<Instrument, bool> filter)
    {
        ArgumentNullException.ThrowIfNull(filter);
        _filter = filter;
        _listener = new MeterListener
        {
            InstrumentPublished = (instrument, listener) =>
            {
                if (_filter(instrument)) listener.EnableMeasurementEvents(instrument);
            },
        };
        _listener.SetMeasurementEventCallback<long>((i, v, tags, _) => Record(i, v, tags));
        _listener.SetMeasurementEventCallback<int>((i, v, tags, _) => Record(i, v, tags));
        _listener.SetMeasurementEventCallback<double>((i, v, tags, _) => Record(i, v, tags));
        _listener.SetMeasurementEventCallback<float>((i, v, tags, _) => Record(i, v, tags));
        _listener.MeasurementsCompleted = (instrument, _) =>
        {
            lock (_gate) _families.Remove(instrument);
        };
        _listener.Start();
    }

    private void Record(Instrument instrument, double value, ReadOnlySpan<KeyValuePair<string, object?>> tags)
    {
        var labels = FormatLabels(tags);
        lock (_gate)
        {
            if (!_families.TryGetValue(instrument, out var family)) _families[instrument] = family = new Family(instrument);
            if (!family.Series.TryGetValue(labels, out var series)) family.Series[labels] = series = new Series(labels);
            switch (instrument)
            {
                case Counter<long> or Counter<int> or Counter<double> or Counter<float>
                    or UpDownCounter<long> or UpDownCounter<int> or UpDownCounter<double> or UpDownCounter<float>:
                    series.Value += value;
                    break;
                case Histogram<long> or Histogram<int> or Histogram<double> or Histogram<float>:
                    series.Buckets ??= new long[DefaultBuckets.Count];
                    for (var i = 0; i < DefaultBuckets.Count; i++) if (value <= DefaultBuckets[i]) series.Buckets[i]++;
                    series.Sum += value;
                    series.Count++;
                    break;
                default: // observable instruments and Gauge<T> report the current value
                    series.Value = value;
                    break;
            }
        }
    }

    /// <summary>Renders every collected metric (after polling observable instruments) in the text format.</summary>
    public string Collect()
    {
        _listener.RecordObservableInstruments();
        var sb = new StringBuilder();
        lock (_gate)
        {
            foreach (var family in _families.Values.OrderBy(f => f.Instrument.Name, StringComparer.Ordinal))
            {
                var name = MetricName(family.Instrument.Name);
                var type = family.Instrument switch
                {
                    Counter<long> or Counter<int> or Counter<double> or Counter<float> => "counter",
                    ObservableCounter<long> or ObservableCounter<int> or ObservableCounter<double> or ObservableCounter<float> => "counter",
                    Histogram<long> or Histogram<int> or Histogram<double> or Histogram<float> => "histogram",
                    _ => "gauge",
                };
                if (!string.IsNullOrEmpty(family.Instrument.Description)) sb.Append("# HELP ").Append(name).Append(' ').Append(EscapeHelp(family.Instrument.Description)).Append('\n');
                sb.Append("# TYPE ").Append(name).Append(' ').Append(type).Append('\n');
                foreach (var s in family.Series.Values.OrderBy(s => s.Labels, StringComparer.Ordinal))
                {
                    if (type == "histogram")
                    {
                        for (var i = 0; i < DefaultBuckets.Count; i++)
                            AppendSample(sb, name + "_bucket", AddLabel(s.Labels, "le", Format(DefaultBuckets[i])), s.Buckets![i]);
                        AppendSample(sb, name + "_bucket", AddLabel(s.Labels, "le", "+Inf"), s.Count);
                        AppendSample(sb, name + "_sum", s.Labels, s.Sum);
                        AppendSample(sb, name + "_count", s.Labels, s.Count);
                    }
                    else
                    {
                        AppendSample(sb, name, s.Labels, s.Value);
                    }
                }
            }
        }
        return sb.ToString();
    }

    /// <summary><c>loadbalancer.allocator.addresses_total</c> -> <c>loadbalancer_allocator_addresses_total</c>.</summary>
    public static string MetricName(string instrumentName)
    {
        var sb = new StringBuilder(instrumentName.Length);
        foreach (var c in instrumentName) sb.Append(char.IsAsciiLetterOrDigit(c) || c == '_' || c == ':' ? c : '_');
        if (sb.Length == 0 || char.IsAsciiDigit(sb[0])) sb.Insert(0, '_');
        return sb.ToString();
    }

    private static void AppendSample(StringBuilder sb, string name, string labels, double value)
    {
        sb.Append(name);
        if (labels.Length > 0) sb.Append('{').Append(labels).Append('}');
        sb.Append(' ').Append(Format(value)).Append('\n');
    }

    private static string AddLabel(string labels, string key, string value)
        => (labels.Length == 0 ? "" : labels + ",") + key + "=\"" + value + "\"";

    private static string FormatLabels(ReadOnlySpan<KeyValuePair<string, object?>> tags)
    {
        if (tags.Length == 0) return "";
        var pairs = new List<(string Key, string Value)>(tags.Length);
        foreach (var t in tags) pairs.Add((MetricName(t.Key), Convert.ToString(t.Value, CultureInfo.InvariantCulture) ?? ""));
        pairs.Sort((a, b) => string.CompareOrdinal(a.Key, b.Key));
        var sb = new StringBuilder();
        foreach (var (k, v) in pairs)
        {
            if (sb.Length > 0) sb.Append(',');
            sb.Append(k).Append("=\"").Append(EscapeLabel(v)).Append('"');
        }
        return sb.ToString();
    }

    private static string EscapeLabel(string v) => v.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal).Replace("\n", "\\n", StringComparison.Ordinal);

    private static string EscapeHelp(string v) => v.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\n", "\\n", StringComparison.Ordinal);

    private static string Format(double v) => double.IsPositiveInfinity(v) ? "+Inf" : double.IsNegativeInfinity(v) ? "-Inf" : double.IsNaN(v) ? "NaN" : v.ToString("R", CultureInfo.InvariantCulture);

    public void Dispose() => _listener.Dispose();
}
