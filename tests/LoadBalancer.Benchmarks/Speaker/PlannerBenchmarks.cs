using BenchmarkDotNet.Attributes;
using LoadBalancer.Speaker.Planning;

namespace LoadBalancer.Benchmarks.Speaker;

/// <summary>
/// Issue #4, "planner time for 10k Services x 100 nodes": one <see cref="AnnouncementPlanner.Plan"/> call for one node
/// over a <see cref="PlannerScenarios.Build"/> snapshot (half Cluster, half Local, 3 endpoints each, L2 + BGP with 2 peers).
/// </summary>
[MemoryDiagnoser]
public class PlannerBenchmarks
{
    private PlannerSnapshot? _snapshot;
    private string _node = "";

    [Params(1_000, 10_000)]
    public int Services { get; set; }

    [Params(100)]
    public int Nodes { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _snapshot = PlannerScenarios.Build(Services, Nodes);
        _node = PlannerScenarios.NodeName(Nodes / 2);
    }

    [Benchmark]
    public object Plan() => AnnouncementPlanner.Plan(_node, _snapshot!);
}
