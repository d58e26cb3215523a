using System.Diagnostics.Metrics;
using LoadBalancer.Speaker.Announcing;
using LoadBalancer.Speaker.DataPlane;
using LoadBalancer.TestKit.Time;
using Microsoft.Extensions.Logging.Abstractions;
using static LoadBalancer.Speaker.Tests.DataPlane.DataPlaneFixtures;

namespace LoadBalancer.Speaker.Tests.DataPlane;

public sealed class NftDataPlaneTests : IAsyncDisposable
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(10);
    private readonly ManualTimeProvider _time = new();
    private readonly FakeNftExecutor _nft = new();
    private readonly Meter _meter = new("test.dataplane." + Guid.NewGuid());
    private NftDataPlane? _plane;

    private NftDataPlane Create(Action<NftDataPlaneOptions>? configure = null)
    {
        var options = new NftDataPlaneOptions { MinSyncInterval = TimeSpan.FromSeconds(1), CounterInterval = TimeSpan.FromSeconds(15) };
        configure?.Invoke(options);
        return _plane = new NftDataPlane(NullLogger.Instance, _time, new DataPlaneMetrics(_meter), options, null, () => _nft);
    }

    private static DataPlaneService A(int endpoints = 1) => Svc("a", ["203.0.113.10"], [.. Enumerable.Range(1, endpoints).Select(i => Ep($"10.1.0.{i}"))]);
    private static DataPlaneService B() => Svc("b", ["203.0.113.11"], [Ep("10.1.0.9")]);

    /// <summary>Advances the manual clock in small steps until <paramref name="condition"/> holds (bounded).</summary>
    private async Task StepUntil(Func<bool> condition, TimeSpan step)
    {
        var deadline = DateTime.UtcNow + Bound;
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, "condition not reached in time");
            _time.Advance(step);
            await Task.Delay(5);
        }
    }

    [Fact]
    public async Task FirstSync_ReplacesTheWholeTable_ThenOnlyChangesAreSent()
    {
        var plane = Create();
        await plane.SyncAsync(Snapshot(A()), CancellationToken.None).AsTask().WaitAsync(Bound);
        Assert.StartsWith("table inet lb\ndelete table inet lb\ntable inet lb {", _nft.Runs[0]);
        Assert.True(plane.InSync);

        var second = plane.SyncAsync(Snapshot(A(), B()), CancellationToken.None).AsTask();
        await StepUntil(() => second.IsCompleted, TimeSpan.FromMilliseconds(100));
        Assert.Equal(2, _nft.Runs.Count);
        Assert.DoesNotContain("delete table", _nft.Runs[1]);
        Assert.Contains("add element inet lb lb4 { 203.0.113.11 . tcp . 80 }", _nft.Runs[1]);
        Assert.DoesNotContain("ns1/a", _nft.Runs[1]);
        Assert.Equal(2, plane.AppliedGeneration);
    }

    [Fact]
    public async Task SnapshotsWithinMinSyncInterval_AreCoalescedIntoOneTransaction()
    {
        var plane = Create();
        await plane.SyncAsync(Snapshot(A()), CancellationToken.None).AsTask().WaitAsync(Bound);
        var s2 = plane.SyncAsync(Snapshot(A(2)), CancellationToken.None).AsTask();
        var s3 = plane.SyncAsync(Snapshot(A(3)), CancellationToken.None).AsTask();
        await StepUntil(() => s2.IsCompleted && s3.IsCompleted, TimeSpan.FromMilliseconds(100));
        // One apply for both (its phases: make, then break, as the shape changes from one endpoint to three).
        Assert.Equal(2, plane.AppliedTransactions);
        Assert.Equal(3, _nft.Runs.Count);
        Assert.Contains("10.1.0.3", _nft.Runs[1]);
        Assert.DoesNotContain("10.1.0.2 . 8080 }", _nft.Runs[2]);
        Assert.Equal(3, plane.AppliedGeneration);
    }

    [Fact]
    public async Task FailedApply_IsKeptAndCounted_NeverThrows_AndIsRetriedAsFullReplace()
    {
        long errors = 0;
        using var listener = new MeterListener();
        listener.InstrumentPublished = (i, l) => { if (i.Meter == _meter && i.Name == "loadbalancer.dataplane.sync_errors_total") l.EnableMeasurementEvents(i); };
        listener.SetMeasurementEventCallback<long>((_, v, _, _) => Interlocked.Add(ref errors, v));
        listener.Start();

        var plane = Create();
        await plane.SyncAsync(Snapshot(A()), CancellationToken.None).AsTask().WaitAsync(Bound);
        _nft.Fail = text => !text.StartsWith("table inet lb\n", StringComparison.Ordinal); // incremental fails, full works
        var failing = plane.SyncAsync(Snapshot(A(), B()), CancellationToken.None).AsTask();
        await StepUntil(() => failing.IsCompleted, TimeSpan.FromMilliseconds(100));
        Assert.Contains("No such file or directory", plane.LastError);
        Assert.False(plane.InSync);
        Assert.Equal(1, Interlocked.Read(ref errors));

        await StepUntil(() => plane.InSync, TimeSpan.FromMilliseconds(250));
        Assert.StartsWith("table inet lb\ndelete table inet lb", _nft.Runs[^1]);
        Assert.Null(plane.LastError);
    }

    [Fact]
    public async Task ProxyHealth_TurnsFalse_OnlyAfterFailingForHealthTimeout()
    {
        var plane = Create(o => o.HealthTimeout = TimeSpan.FromSeconds(60));
        _nft.Fail = _ => true;
        var first = plane.SyncAsync(Snapshot(A()), CancellationToken.None).AsTask();
        await first.WaitAsync(Bound);
        Assert.True(plane.IsHealthy);
        _time.Advance(TimeSpan.FromSeconds(30));
        Assert.True(plane.IsHealthy);
        _time.Advance(TimeSpan.FromSeconds(31));
        Assert.False(plane.IsHealthy);
        _nft.Fail = _ => false;
        await StepUntil(() => plane.IsHealthy, TimeSpan.FromSeconds(1));
    }

    [Fact]
    public async Task ModeOff_RemovesOurTableOnce_AndProgramsNothing()
    {
        var plane = Create(o => o.Mode = DataPlaneMode.Off);
        await plane.SyncAsync(Snapshot(A()), CancellationToken.None).AsTask().WaitAsync(Bound);
        var next = plane.SyncAsync(Snapshot(A(), B()), CancellationToken.None).AsTask();
        await StepUntil(() => next.IsCompleted, TimeSpan.FromMilliseconds(100));
        Assert.Equal(["table inet lb\ndelete table inet lb\n"], _nft.Runs);
    }

    [Fact]
    public async Task Counters_AreReadPeriodically_AndExportedPerService()
    {
        var measurements = new List<(string Name, long Value, string? Service)>();
        using var listener = new MeterListener();
        listener.InstrumentPublished = (i, l) => { if (i.Meter == _meter) l.EnableMeasurementEvents(i); };
        listener.SetMeasurementEventCallback<long>((i, v, tags, _) =>
        {
            string? service = null;
            foreach (var t in tags) if (t.Key == "service") service = t.Value as string;
            lock (measurements) measurements.Add((i.Name, v, service));
        });
        listener.Start();
        var plane = Create();
        await plane.SyncAsync(Snapshot(A()), CancellationToken.None).AsTask().WaitAsync(Bound);
        await StepUntil(() => plane.Traffic.Count > 0, TimeSpan.FromSeconds(5));
        listener.RecordObservableInstruments();
        lock (measurements)
        {
            Assert.Contains(("loadbalancer.dataplane.packets_total", 7L, "ns1/a"), measurements);
            Assert.Contains(("loadbalancer.dataplane.bytes_total", 700L, "ns1/a"), measurements);
            Assert.Contains(("loadbalancer.dataplane.connections_total", 2L, "ns1/a"), measurements);
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_plane is not null) await _plane.DisposeAsync();
        _meter.Dispose();
    }
}
