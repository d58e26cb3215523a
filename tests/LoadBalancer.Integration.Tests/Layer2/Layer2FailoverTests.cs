using System.Diagnostics;
using System.Globalization;
using System.Net;
using LoadBalancer.Speaker.Announcing;
using Xunit.Abstractions;

namespace LoadBalancer.Integration.Tests.Layer2;

/// <summary>
/// Failover with continuous traffic: the client sends a UDP probe to the VIP every 10 ms; both nodes serve it.
/// Clean: the owner stops cleanly (stops answering, then tells its peers "admin down"). Crash: the owner's link is
/// cut and its speaker dies without a word; the survivor notices by liveness probes. The test asserts that traffic
/// resumes through the new owner and that the client's neighbour entry moved; the gaps are printed (and written to
/// <c>LB_L2_RESULTS</c> when set) for docs/benchmarks/layer2.md, never asserted. Runs per mode: 5, or
/// <c>LB_L2_FAILOVER_RUNS</c>.
/// </summary>
[Collection("layer2-netns")]
[Trait("Category", "Privileged")]
public sealed class Layer2FailoverTests(ITestOutputHelper output) : IAsyncLifetime, IDisposable
{
    private static readonly IPAddress Vip = IPAddress.Parse("192.0.2.200");
    private const int Port = 7000;
    private readonly TestMeters _meters = new();
    private L2Lab _lab = null!;

    public async Task InitializeAsync() => _lab = await L2Lab.CreateAsync();

    public async Task DisposeAsync() => await _lab.DisposeAsync();

    public void Dispose() => _meters.Dispose();

    private static int Runs => int.TryParse(Environment.GetEnvironmentVariable("LB_L2_FAILOVER_RUNS"), NumberStyles.Integer, CultureInfo.InvariantCulture, out var n) && n > 0 ? n : 5;

    [Theory]
    [InlineData("clean")]
    [InlineData("crash")]
    public async Task Failover_TrafficResumesThroughTheNewOwner(string mode)
    {
        foreach (var node in new[] { _lab.Node1, _lab.Node2 }) await node.CheckAsync("ip", "addr", "add", "192.0.2.200/32", "dev", "lo");
        await using var echo1 = await UdpEcho.StartAsync(_lab.Node1, Vip, Port, "n1");
        await using var echo2 = await UdpEcho.StartAsync(_lab.Node2, Vip, Port, "n2");
        SpeakerPeer[] all = [new("n1", IPAddress.Parse("192.0.2.11")), new("n2", IPAddress.Parse("192.0.2.12"))];
        var namespaces = new Dictionary<string, TestKit.Net.NetNamespace> { ["n1"] = _lab.Node1, ["n2"] = _lab.Node2 };
        var macs = new Dictionary<string, string> { ["n1"] = "02:00:00:00:00:11", ["n2"] = "02:00:00:00:00:12" };
        var preference = new List<string> { "n1", "n2" };
        var speakers = new Dictionary<string, MiniSpeaker>();
        foreach (var (name, ns) in namespaces) speakers[name] = new MiniSpeaker(ns, name, Vip, preference, all, output, _meters);
        try
        {
            foreach (var s in speakers.Values) await s.ReplanAsync();
            await using var traffic = await UdpProber.StartAsync(_lab.Client, Vip, Port, TimeSpan.FromMilliseconds(10));
            var gaps = new List<double>();
            for (var run = 0; run < Runs; run++)
            {
                string owner, survivor;
                lock (preference) (owner, survivor) = (preference[0], preference[1]);
                Assert.True(await L2Lab.WaitUntilAsync(() => Task.FromResult(traffic.RecentNode(TimeSpan.FromMilliseconds(100)) == owner), TimeSpan.FromSeconds(10)),
                    $"run {run}: traffic does not reach {owner} before the failover (last: {traffic.RecentNode(TimeSpan.FromSeconds(10))})");

                var failedAt = Stopwatch.GetTimestamp();
                if (mode == "clean")
                {
                    await speakers[owner].StopCleanlyAsync();
                }
                else
                {
                    await namespaces[owner].CheckAsync("ip", "link", "set", "eth0", "down");
                    await speakers[owner].CrashAsync();
                }

                Assert.True(await L2Lab.WaitUntilAsync(() => Task.FromResult(traffic.AnswersFrom(survivor, failedAt) >= 5), TimeSpan.FromSeconds(10)),
                    $"run {run} ({mode}): traffic did not resume through {survivor}; failures: {string.Join("; ", speakers[survivor].Announcer.Failures)}");
                Assert.Equal(macs[survivor], await _lab.ClientNeighbourAsync("192.0.2.200"));
                var gap = traffic.Gap(failedAt, owner, survivor);
                Assert.NotNull(gap);
                gaps.Add(gap.Value.TotalMilliseconds);
                output.WriteLine($"run {run} {mode} {owner}->{survivor}: gap {gap.Value.TotalMilliseconds:0.0} ms");

                // Bring the old owner back as the less preferred node, so the next run fails the other way.
                lock (preference) { preference.Clear(); preference.AddRange([survivor, owner]); }
                if (mode == "crash") await namespaces[owner].CheckAsync("ip", "link", "set", "eth0", "up");
                await speakers[owner].DisposeAsync();
                speakers[owner] = new MiniSpeaker(namespaces[owner], owner, Vip, preference, all, output, _meters);
                await speakers[owner].ReplanAsync();
                Assert.False(speakers[owner].Owns);
                // Both sides must hear each other again (three-way) before the next failure, or detection would be
                // bounded by the start-up grace instead of the probes.
                Assert.True(await L2Lab.WaitUntilAsync(() => Task.FromResult(speakers[owner].Prober.Confirmed.Contains(survivor) && speakers[survivor].Prober.Confirmed.Contains(owner)),
                    TimeSpan.FromSeconds(10)), $"run {run}: {owner} and {survivor} do not hear each other again");
            }
            var sorted = gaps.Order().ToList();
            var line = string.Create(CultureInfo.InvariantCulture,
                $"{mode}: n={sorted.Count} p50={Percentile(sorted, 0.5):0.0} ms p99={Percentile(sorted, 0.99):0.0} ms max={sorted[^1]:0.0} ms all=[{string.Join(", ", gaps.Select(g => g.ToString("0.0", CultureInfo.InvariantCulture)))}]");
            output.WriteLine(line);
            if (Environment.GetEnvironmentVariable("LB_L2_RESULTS") is { Length: > 0 } file) await File.AppendAllTextAsync(file, line + Environment.NewLine);
        }
        finally
        {
            foreach (var s in speakers.Values) await s.DisposeAsync();
        }
    }

    internal static double Percentile(IReadOnlyList<double> sorted, double p)
        => sorted[Math.Clamp((int)Math.Ceiling(p * sorted.Count) - 1, 0, sorted.Count - 1)];
}
