using System.Reflection;
using BenchmarkDotNet.Running;

namespace LoadBalancer.Benchmarks;

/// <summary>
/// `dotnet run -c Release --project tests/LoadBalancer.Benchmarks -- --filter '*'` runs the BenchmarkDotNet suites;
/// scenario benchmarks (through the emulator, in namespaces) run with `-- scenario &lt;name&gt; [args]`: the public static
/// class named `&lt;Name&gt;Scenario` (any namespace in this assembly) with `public static int Run(string[] args)`.
/// </summary>
public static class BenchmarkEntry
{
    public static int Main(string[] args)
    {
        if (args.Length >= 2 && args[0] == "scenario") return RunScenario(args[1], args[2..]);
        BenchmarkSwitcher.FromAssembly(typeof(BenchmarkEntry).Assembly).Run(args);
        return 0;
    }

    private static int RunScenario(string name, string[] args)
    {
        var type = typeof(BenchmarkEntry).Assembly.GetTypes()
            .FirstOrDefault(t => string.Equals(t.Name, name + "Scenario", StringComparison.OrdinalIgnoreCase));
        var run = type?.GetMethod("Run", BindingFlags.Public | BindingFlags.Static, [typeof(string[])]);
        if (run is null)
        {
            Console.Error.WriteLine($"no scenario \"{name}\" (a public static class {name}Scenario with static int Run(string[]))");
            return 2;
        }
        return (int)run.Invoke(null, [args])!;
    }
}
