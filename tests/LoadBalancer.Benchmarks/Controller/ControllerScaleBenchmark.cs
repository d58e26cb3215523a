using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Engines;

namespace LoadBalancer.Benchmarks.Controller;

/// <summary>
/// Scenario benchmark: 10,000 Pending Services to assigned through the API server emulator with the real controller
/// host, then a restart that must change nothing. One run; the numbers (time, RSS) are printed by the scenario.
/// </summary>
[SimpleJob(RunStrategy.Monitoring, launchCount: 1, warmupCount: 0, iterationCount: 1, invocationCount: 1)]
public class ControllerScaleBenchmark
{
    [Params(10_000)]
    public int Services { get; set; }

    [Benchmark]
    public async Task PendingToAssigned()
    {
        var root = new DirectoryInfo(AppContext.BaseDirectory);
        while (root is not null && !File.Exists(Path.Combine(root.FullName, "LoadBalancer.slnx"))) root = root.Parent;
        var result = await ControllerScaleScenario.RunAsync(Services, root?.FullName ?? throw new InvalidOperationException("repository root not found"), Console.Out).ConfigureAwait(false);
        Console.WriteLine($"// scenario: {result}");
    }
}
