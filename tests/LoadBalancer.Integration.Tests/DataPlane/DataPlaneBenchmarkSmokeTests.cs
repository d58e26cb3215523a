using LoadBalancer.Benchmarks.DataPlane;

namespace LoadBalancer.Integration.Tests.DataPlane;

/// <summary>Runs the data plane benchmark's cores at tiny size so the benchmark keeps working (numbers are not checked).</summary>
[Collection("dataplane-kernel")]
[Trait("Category", "Privileged")]
public sealed class DataPlaneBenchmarkSmokeTests
{
    [Fact]
    public async Task Programming_AtTinySize()
    {
        var r = await DataPlaneScenario.ProgrammingAsync(20, TextWriter.Null).WaitAsync(TimeSpan.FromSeconds(120));
        Assert.True(r.OursFullMs > 0 && r.OursUpdateMs > 0 && r.CliFullMs > 0 && r.CliUpdateMs > 0 && r.CliReloadMs > 0 && r.OursCountChangeMs > 0 && r.OursNewShapeMs > 0);
        Assert.Equal("netlink", r.OursUpdatePath);
        Assert.Equal("netlink", r.OursUpdatePath); // every 1-Service update went out as a netlink batch
    }

    [Fact]
    public async Task Forwarding_ForAFractionOfASecond()
    {
        var r = await DataPlaneScenario.ForwardingAsync(TimeSpan.FromMilliseconds(200), TextWriter.Null).WaitAsync(TimeSpan.FromSeconds(120));
        Assert.True(r.DirectGbps > 0 && r.VipGbps > 0 && r.DirectCps > 0 && r.VipCps > 0);
    }
}
