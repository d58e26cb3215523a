using LoadBalancer.Benchmarks.Speaker;

namespace LoadBalancer.Speaker.Tests.Hosting;

/// <summary>The issue #4 EndpointSlice-to-handler benchmark at a tiny size (20 Services, 10 changes), so it keeps working in CI.</summary>
[Collection("speaker-hosts")]
public class SpeakerEndpointLatencySmokeTests
{
    [Fact]
    public async Task Tiny_scenario_measures_every_change_through_a_real_speaker_host()
    {
        var r = await SpeakerEndpointLatencyScenario.RunAsync(services: 20, changes: 10, SpeakerCluster.RepoRoot(), timeoutSeconds: 60)
            .WaitAsync(TimeSpan.FromSeconds(120));
        Assert.Equal(20, r.Services);
        Assert.Equal(10, r.Changes);
        Assert.True(r.P50Ms > 0 && r.P50Ms <= r.P99Ms && r.P99Ms <= r.MaxMs, $"p50 {r.P50Ms} p99 {r.P99Ms} max {r.MaxMs}");
        Assert.True(r.ToAnnounced <= r.ToIdle);
    }
}
