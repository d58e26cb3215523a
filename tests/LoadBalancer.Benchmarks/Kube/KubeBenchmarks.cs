using BenchmarkDotNet.Attributes;
using LoadBalancer.Kube;
using LoadBalancer.TestKit.ApiServer;

namespace LoadBalancer.Benchmarks.Kube;

/// <summary>
/// Informer initial sync of 10,000 Services and watch throughput against the in-process API server emulator
/// (real HTTP on 127.0.0.1). Run:
/// <c>dotnet run -c Release --project tests/LoadBalancer.Benchmarks -- --filter '*KubeBenchmarks*' --job short</c>
/// </summary>
[MemoryDiagnoser]
public class KubeBenchmarks
{
    public const int Services = 10_000;
    public const int WatchEvents = 10_000;

    private KubeApiServer? _server;
    private KubeClient? _client;
    private string _watchFrom = "";

    [GlobalSetup]
    public void Setup()
    {
        _server = KubeApiServer.StartAsync(new KubeApiServerOptions { WatchHistory = 50_000, ExtraNamespaces = [KubeScenarios.WatchNamespace] }).GetAwaiter().GetResult();
        KubeScenarios.SeedServices(_server, Services);
        _watchFrom = KubeScenarios.MakeWatchHistory(_server, WatchEvents, "watched-");
        _client = KubeScenarios.Client(_server);
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _client?.Dispose();
        _server?.DisposeAsync().AsTask().GetAwaiter().GetResult();
    }

    /// <summary>List (pages of 500) the 10,000 Services of "default" into a fresh informer cache.</summary>
    [Benchmark]
    public Task<int> InformerInitialSync_10kServices_Page500() => KubeScenarios.InitialSyncAsync(_client!, 500);

    /// <summary>Same, unpaged (one response).</summary>
    [Benchmark]
    public Task<int> InformerInitialSync_10kServices_Unpaged() => KubeScenarios.InitialSyncAsync(_client!, 0);

    /// <summary>One watch replaying 10,000 ADDED events from history; per-operation time / 10,000 = time per event.</summary>
    [Benchmark(OperationsPerInvoke = WatchEvents)]
    public Task<int> WatchThroughput_PerEvent() => KubeScenarios.ConsumeWatchAsync(_client!, _watchFrom, WatchEvents);
}
