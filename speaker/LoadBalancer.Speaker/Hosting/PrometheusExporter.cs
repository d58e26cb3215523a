using System.Diagnostics.Metrics;
using System.Globalization;
using System.Text;

namespace LoadBalancer.Speaker.Hosting;

/// <summary>
/// Prometheus text exposition (format 0.0.4) of every instrument on meters whose name starts with
/// <c>LoadBalancer.</c>, fed by a <see cref="MeterListener"/> (no exporter package is available). Instrument
/// <c>loadbalancer.speaker.announced</c> is exported as <c>loadbalancer_speaker_announced</c>. Counters are summed,
/// up-down counters summed, gauges (observable) read at scrape time, histograms get fixed latency buckets.
/// </summary>
internal sealed class PrometheusExporter : IDisposable
{
    private static readonly double[] Buckets = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];
    private readonly MeterListener _listener = new();
    private readonly object _gate = new();
    private readonly Dictionary<Instrument, Dictionary<string, Series>> _series = [];
    private readonly string _meterPrefix;

    private sealed class Series
    {
        public double Value;
        public long[]? BucketCounts;
        public long Count;
        public double Sum;
    }

    public PrometheusExporter(string meterPrefix = "LoadBalancer.")
    {
        _meterPrefix = meterPrefix;
        _listener.InstrumentPublished = (instrument, listener) =>
        {
            if (instrument.Meter.Name.StartsWith(_meterPrefix, StringComparison.Ordinal)) listener.EnableMeasurementEvents(instrument);
        };
        _listener.SetMeasurementEventCallback<double>((i, v, tags, _) => Record(i, v, tags));
        _listener.SetMeasurementEventCallback<long>((i, v, tags, _) => Record(i, v, tags));
        _listener.SetMeasurementEventCallback<int>((i, v, tags, _) => Record(i, v, tags));
        _listener.Start();
    }

    private void Record(Instrument instrument, double value, ReadOnlySpan<KeyValuePair<string, object?>> tags)
    {
        var key = LabelText(tags);
        lock (_gate)
        {
            if (!_series.TryGetValue(instrument, out var byTags)) _series[instrument] = byTags = new(StringComparer.Ordinal);
            if (!byTags.TryGetValue(key, out var s)) byTags[key] = s = new Series();
            switch (instrument)
            {
                case Histogram<double> or Histogram<long> or Histogram<int>:
                    s.BucketCounts ??= new long[Buckets.Length];
                    for (var b = 0; b < Buckets.Length; b++) if (value <= Buckets[b]) s.BucketCounts[b]++;
                    s.Count++;
                    s.Sum += value;
                    break;
                case Counter<double> or Counter<long> or Counter<int> or UpDownCounter<double> or UpDownCounter<long> or UpDownCounter<int>:
                    s.Value += value;
                    break;
                default:
                    s.Value = value;
                    break;
            }
        }
    }

    private static string LabelText(ReadOnlySpan<KeyValuePair<string, object?>> tags)
    {
        if (tags.Length == 0) return "";
        var pairs = new List<KeyValuePair<string, object?>>(tags.Length);
        foreach (var t in tags) pairs.Add(t);
        pairs.Sort((a, b) => string.CompareOrdinal(a.Key, b.Key));
        var sb = new StringBuilder();
        foreach (var (k, v) in pairs)
        {
            if (sb.Length > 0) sb.Append(',');
            sb.Append(k).Append("=\"").Append(Escape(Convert.ToString(v, CultureInfo.InvariantCulture) ?? "")).Append('"');
        }
        return sb.ToString();
    }

    private static string Escape(string s) => s.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal).Replace("\n", "\\n", StringComparison.Ordinal);

    public static string MetricName(string instrument) => instrument.Replace('.', '_').Replace('-', '_');

    /// <summary>The exposition text of everything recorded so far (observable instruments are read now).</summary>
    public string Scrape()
    {
        lock (_gate)
        {
            // Observable gauges report their current state: drop the previous scrape's series first.
            foreach (var i in _series.Keys.Where(i => i.IsObservable).ToList()) _series[i].Clear();
        }
        _listener.RecordObservableInstruments();
        var sb = new StringBuilder();
        lock (_gate)
        {
            foreach (var (instrument, byTags) in _series.OrderBy(kv => kv.Key.Name, StringComparer.Ordinal))
            {
                var name = MetricName(instrument.Name);
                var type = instrument switch
                {
                    Histogram<double> or Histogram<long> or Histogram<int> => "histogram",
                    Counter<double> or Counter<long> or Counter<int> or ObservableCounter<double> or ObservableCounter<long> => "counter",
                    _ => "gauge",
                };
                if (instrument.Description is { Length: > 0 } d) sb.Append("# HELP ").Append(name).Append(' ').Append(d.Replace('\n', ' ')).Append('\n');
                sb.Append("# TYPE ").Append(name).Append(' ').Append(type).Append('\n');
                foreach (var (labels, s) in byTags.OrderBy(kv => kv.Key, StringComparer.Ordinal))
                {
                    if (type == "histogram")
                    {
                        var sep = labels.Length > 0 ? "," : "";
                        for (var b = 0; b < Buckets.Length; b++)
                            sb.Append(name).Append("_bucket{").Append(labels).Append(sep).Append("le=\"").Append(Buckets[b].ToString(CultureInfo.InvariantCulture)).Append("\"} ").Append(s.BucketCounts![b]).Append('\n');
                        sb.Append(name).Append("_bucket{").Append(labels).Append(sep).Append("le=\"+Inf\"} ").Append(s.Count).Append('\n');
                        sb.Append(name).Append("_sum").Append(Braces(labels)).Append(' ').Append(s.Sum.ToString("R", CultureInfo.InvariantCulture)).Append('\n');
                        sb.Append(name).Append("_count").Append(Braces(labels)).Append(' ').Append(s.Count).Append('\n');
                    }
                    else
                    {
                        sb.Append(name).Append(Braces(labels)).Append(' ').Append(s.Value.ToString("R", CultureInfo.InvariantCulture)).Append('\n');
                    }
                }
            }
        }
        return sb.ToString();
    }

    private static string Braces(string labels) => labels.Length == 0 ? "" : "{" + labels + "}";

    public void Dispose() => _listener.Dispose();
}
