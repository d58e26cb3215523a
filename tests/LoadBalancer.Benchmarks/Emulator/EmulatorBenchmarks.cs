using BenchmarkDotNet.Attributes;
using LoadBalancer.TestKit.ApiServer;

namespace LoadBalancer.Benchmarks.Emulator;

/// <summary>
/// The API server emulator under the load the other benchmarks put on it: seeding 10,000 Services, a client-go-style
/// paged initial list of them over HTTP, and watch throughput with fan-out.
/// Run: dotnet run -c Release --project tests/LoadBalancer.Benchmarks -- --filter '*EmulatorBenchmarks*' --job short
/// </summary>
[MemoryDiagnoser]
public class EmulatorBenchmarks
{
    private KubeApiServer? _listed;
    private KubeApiServer? _fresh;
    private int _offset;

    [Params(10_000)]
    public int Services { get; set; }

    [GlobalSetup]
    public async Task SetupAsync()
    {
        _listed = await KubeApiServer.StartAsync();
        EmulatorLoad.Seed(_listed, Services);
        _fresh = await KubeApiServer.StartAsync(new KubeApiServerOptions { ServiceCidr = "10.0.0.0/8" });
    }

    [GlobalCleanup]
    public async Task CleanupAsync()
    {
        if (_listed is not null) await _listed.DisposeAsync();
        if (_fresh is not null) await _fresh.DisposeAsync();
    }

    /// <summary>Initial sync of 10,000 Services: paged list (limit 500) over HTTP, parsed.</summary>
    [Benchmark]
    public Task<LoadResult> InitialList() => EmulatorLoad.InitialListAsync(_listed!);

    /// <summary>10,000 Service creations delivered to one watcher.</summary>
    [Benchmark]
    public Task<LoadResult> WatchOneWatcher() => EmulatorLoad.WatchThroughputAsync(_fresh!, Services, 1, NextOffset());

    /// <summary>10,000 Service creations fanned out to 10 watchers (100,000 deliveries).</summary>
    [Benchmark]
    public Task<LoadResult> WatchTenWatchers() => EmulatorLoad.WatchThroughputAsync(_fresh!, Services, 10, NextOffset());

    private int NextOffset() => Interlocked.Add(ref _offset, Services) + 1_000_000;
}
