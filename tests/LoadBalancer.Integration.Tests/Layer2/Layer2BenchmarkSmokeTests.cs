using LoadBalancer.Benchmarks.Layer2;

namespace LoadBalancer.Integration.Tests.Layer2;

/// <summary>Runs the Layer 2 scenario benchmark's cores at a tiny size so they keep working; numbers are not checked.</summary>
[Collection("layer2-netns")]
[Trait("Category", "Privileged")]
public sealed class Layer2BenchmarkSmokeTests
{
    [Fact]
    public void HandleFrameCost_Runs() => Assert.True(Layer2Scenario.HandleFrameCost(1000) > 0);

    [Fact]
    public async Task Scenario_RunsAtTinySize()
    {
        var result = await Layer2Scenario.RunAsync(requests: 20, floodSeconds: 1, TextWriter.Null).WaitAsync(TimeSpan.FromSeconds(120));
        Assert.True(result.AnsweredKernel > 0);
        Assert.True(result.AnsweredOurs > 0);
    }
}
