using LoadBalancer.Benchmarks.Controller;

namespace LoadBalancer.Controller.Tests.Integration;

[Collection("controller-integration")]
public class RestartTests
{
    /// <summary>
    /// 10,000 Services assigned by one controller; a new controller process-equivalent (a fresh host, fresh allocator)
    /// starts against the same API server: no IP changes, and no Service is written at all.
    /// </summary>
    [Fact]
    [Trait("Category", "Slow")]
    public async Task Restart_With10000AllocatedServices_ChangesNoIP()
    {
        var r = await ControllerScaleScenario.RunAsync(10_000, ControllerHarness.RepoRoot(), timeoutSeconds: 240).WaitAsync(TimeSpan.FromSeconds(300));
        Assert.Equal(10_000, r.Services);
        Assert.Equal(0, r.IpsChangedByRestart);
        Assert.Equal(0, r.ObjectsWrittenByRestart);
    }
}
