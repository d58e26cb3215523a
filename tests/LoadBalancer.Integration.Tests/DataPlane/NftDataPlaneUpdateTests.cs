using System.Collections.Concurrent;
using LoadBalancer.Speaker.Announcing;
using LoadBalancer.Speaker.DataPlane;
using static LoadBalancer.Integration.Tests.DataPlane.DataPlaneLab;

namespace LoadBalancer.Integration.Tests.DataPlane;

/// <summary>Updates under load: 1,000 applies (and a speaker restart) while a client keeps opening connections.</summary>
[Collection("dataplane-netns")]
[Trait("Category", "Privileged")]
public sealed class NftDataPlaneUpdateTests(DataPlaneLab lab)
{
    private const string Vip = "203.0.113.20";

    [Fact]
    public async Task ThousandUpdatesAndARestart_UnderASteadyStreamOfConnections_LoseNoConnection()
    {
        DataPlaneService[] Services(int i) =>
        [
            // The Service under load loses and regains an endpoint every other update.
            Service("stream", [Vip], i % 2 == 0 ? [P1, P2, P3] : [P1, P2]),
            // Other Services come and go, change policy and endpoints.
            .. Enumerable.Range(0, 20).Where(k => (k + i) % 3 != 0).Select(k => Service($"other{k}", [$"203.0.113.{100 + k}"],
                (k + i) % 2 == 0 ? [P1, P3] : [P2], etp: (k + i) % 4 == 0 ? TrafficPolicy.Local : TrafficPolicy.Cluster,
                affinity: k % 5 == 0 ? TimeSpan.FromSeconds(30) : null)),
        ];

        await lab.SyncAsync(Services(0));
        var failures = new ConcurrentQueue<(Outcome, int)>();
        var step = 0;
        var answered = 0;
        using var stop = new CancellationTokenSource();
        var clients = Enumerable.Range(0, 3).Select(_ => Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                var o = await lab.ClientSockets.AskAsync(Vip, 80, timeout: TimeSpan.FromSeconds(3));
                if (o.Kind == OutcomeKind.Answered) Interlocked.Increment(ref answered);
                else failures.Enqueue((o, Volatile.Read(ref step)));
            }
        })).ToArray();

        var plane = lab.Plane1;
        var before = plane.AppliedTransactions;
        await using var restarted = lab.CreatePlane(lab.N1, NftBackend.LibNftables, null, "192.0.2.11");
        try
        {
            for (var i = 1; i <= 1000; i++)
            {
                // Halfway, a new speaker process takes over the existing table: its first apply replaces it atomically.
                var current = i <= 500 ? plane : restarted;
                Volatile.Write(ref step, i);
                await current.SyncAsync(new DataPlaneSnapshot(Node1, null, [.. Services(i)]), CancellationToken.None).AsTask()
                    .WaitAsync(TimeSpan.FromSeconds(30));
                Assert.True(current.InSync, $"update {i}: {current.LastError}");
            }
        }
        finally
        {
            await stop.CancelAsync();
            await Task.WhenAll(clients).WaitAsync(TimeSpan.FromSeconds(30));
            // Plane1 no longer knows what is in the kernel: make its next apply a full replace.
            await lab.Plane1.RemoveTableAsync();
        }
        Assert.Equal(500, plane.AppliedTransactions - before);
        Assert.Equal(500, restarted.AppliedTransactions);
        Assert.True(failures.IsEmpty, $"{failures.Count} failed connections, e.g. {string.Join("; ", failures.Take(5))}");
        Assert.True(answered > 50, $"only {answered} connections were made during the updates");
    }
}
