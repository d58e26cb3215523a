using System.Diagnostics.Metrics;
using LoadBalancer.Speaker.Planning;

namespace LoadBalancer.Speaker.Hosting;

/// <summary>
/// The speaker's own instruments (meter <c>LoadBalancer.Speaker</c>):
/// <c>loadbalancer_speaker_announced{service,ip,protocol,node}</c> = 1 per IP this node announces (the plan),
/// <c>loadbalancer_config_stale</c> = 1 while some configuration object is invalid (its last good version, or nothing, is in force),
/// <c>loadbalancer_announce_latency_seconds</c> = from the first unhandled change to the back ends being told,
/// <c>loadbalancer_reconcile_duration_seconds</c> = one snapshot-plan-push-status round,
/// <c>loadbalancer_speaker_reconcile_errors_total</c>, <c>loadbalancer_speaker_live_speakers</c>.
/// </summary>
internal sealed class SpeakerMetrics : IDisposable
{
    public const string MeterName = "LoadBalancer.Speaker";
    private readonly Meter _meter;
    private volatile AnnouncementPlan? _plan;
    private volatile int _stale;
    private volatile int _live;

    public SpeakerMetrics(IMeterFactory factory)
    {
        _meter = factory.Create(MeterName);
        ReconcileDuration = _meter.CreateHistogram<double>("loadbalancer.reconcile.duration_seconds", "s", "Duration of one speaker reconcile round");
        AnnounceLatency = _meter.CreateHistogram<double>("loadbalancer.announce.latency_seconds", "s", "From a watched change to the back ends being told");
        ReconcileErrors = _meter.CreateCounter<long>("loadbalancer.speaker.reconcile_errors_total", "{error}", "Reconcile rounds that failed to push to a back end or to write status");
        _meter.CreateObservableGauge("loadbalancer.speaker.announced", ObserveAnnounced, "{ip}", "1 per (service, ip, protocol) this node announces");
        _meter.CreateObservableGauge("loadbalancer.config.stale", () => _stale, "{bool}", "1 while some configuration object is invalid");
        _meter.CreateObservableGauge("loadbalancer.speaker.live_speakers", () => _live, "{speaker}", "Speakers this node sees alive");
    }

    public Histogram<double> ReconcileDuration { get; }
    public Histogram<double> AnnounceLatency { get; }
    public Counter<long> ReconcileErrors { get; }

    public void SetPlan(AnnouncementPlan plan) => _plan = plan;

    public void SetConfigStale(bool stale) => _stale = stale ? 1 : 0;

    public void SetLive(int count) => _live = count;

    private IEnumerable<Measurement<int>> ObserveAnnounced()
    {
        var plan = _plan;
        if (plan is null) yield break;
        foreach (var sp in plan.Services.Values)
        {
            foreach (var a in sp.Announcements)
            {
                yield return new Measurement<int>(1,
                    new KeyValuePair<string, object?>("service", sp.Key.ToString()),
                    new KeyValuePair<string, object?>("ip", a.Ip.ToString()),
                    new KeyValuePair<string, object?>("protocol", a.Protocol.Name()),
                    new KeyValuePair<string, object?>("node", plan.NodeName));
            }
        }
    }

    public void Dispose() => _meter.Dispose();
}
