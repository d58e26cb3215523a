using LoadBalancer.Benchmarks.Controller;
using LoadBalancer.Controller.Tests.Integration;
using LoadBalancer.Model.Net;

namespace LoadBalancer.Controller.Tests.Benchmarks;

/// <summary>Each benchmark's core at a tiny size, so the benchmark code keeps working in CI.</summary>
[Collection("controller-integration")]
public class BenchmarkSmokeTests
{
    [Theory]
    [InlineData(IPFamily.IPv4)]
    [InlineData(IPFamily.IPv6)]
    public void AllocatorWorkload_Tiny(IPFamily family)
    {
        var w = AllocatorWorkload.Create(family, 300);
        Assert.Equal(300, w.Assigned);
        for (var i = 0; i < 100; i++) Assert.True(w.AllocateAndRelease());
        Assert.Equal(300, w.Assigned);
    }

    [Fact]
    public async Task ControllerScaleScenario_Tiny()
    {
        var r = await ControllerScaleScenario.RunAsync(50, ControllerHarness.RepoRoot(), timeoutSeconds: 60).WaitAsync(TimeSpan.FromSeconds(120));
        Assert.Equal(0, r.IpsChangedByRestart);
        Assert.Equal(0, r.ObjectsWrittenByRestart);
    }
}
