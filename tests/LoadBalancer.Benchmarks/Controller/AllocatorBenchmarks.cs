using BenchmarkDotNet.Attributes;
using LoadBalancer.Model.Net;

namespace LoadBalancer.Benchmarks.Controller;

/// <summary>Pure allocator throughput: one Allocate + Unassign with 10k and 1M Services already assigned, IPv4 and IPv6.</summary>
[MemoryDiagnoser]
public class AllocatorBenchmarks
{
    private AllocatorWorkload? _workload;

    [Params(10_000, 1_000_000)]
    public int Assigned { get; set; }

    [Params(IPFamily.IPv4, IPFamily.IPv6)]
    public IPFamily Family { get; set; }

    [GlobalSetup]
    public void Setup() => _workload = AllocatorWorkload.Create(Family, Assigned);

    [Benchmark]
    public bool AllocateAndRelease() => _workload!.AllocateAndRelease();
}
