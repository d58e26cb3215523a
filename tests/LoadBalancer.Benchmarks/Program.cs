using BenchmarkDotNet.Running;

namespace LoadBalancer.Benchmarks;

/// <summary>
/// `dotnet run -c Release --project tests/LoadBalancer.Benchmarks -- --filter '*'` runs the BenchmarkDotNet suites;
/// scenario benchmarks (through the emulator, in namespaces) run with `-- scenario &lt;name&gt;`.
/// </summary>
public static class BenchmarkEntry
{
    public static int Main(string[] args)
    {
        if (args is ["scenario", "bgp-convergence", .. var rest]) return Bgp.BgpConvergenceScenario.MainAsync(rest).GetAwaiter().GetResult();
        BenchmarkSwitcher.FromAssembly(typeof(BenchmarkEntry).Assembly).Run(args);
        return 0;
    }
}
