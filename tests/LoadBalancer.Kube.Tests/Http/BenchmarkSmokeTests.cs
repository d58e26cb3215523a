using LoadBalancer.Benchmarks.Kube;
using LoadBalancer.TestKit.ApiServer;

namespace LoadBalancer.Kube.Tests.Http;

/// <summary>Runs the cores of tests/LoadBalancer.Benchmarks/Kube at a tiny size.</summary>
public class BenchmarkSmokeTests
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task Informer_initial_sync_and_watch_throughput_cores_run()
    {
        await using var server = await KubeApiServer.StartAsync(new KubeApiServerOptions { ExtraNamespaces = [KubeScenarios.WatchNamespace] });
        Assert.Equal(50, KubeScenarios.SeedServices(server, 50));
        var from = KubeScenarios.MakeWatchHistory(server, 40, "w-");
        using var client = KubeScenarios.Client(server);
        Assert.Equal(50, await KubeScenarios.InitialSyncAsync(client, 7).WaitAsync(Bound));
        Assert.Equal(50, await KubeScenarios.InitialSyncAsync(client, 0).WaitAsync(Bound));
        Assert.Equal(40, await KubeScenarios.ConsumeWatchAsync(client, from, 40).WaitAsync(Bound));
    }
}
