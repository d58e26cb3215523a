using LoadBalancer.TestKit.ApiServer;

namespace LoadBalancer.Kube.Tests.Emulator;

/// <summary>The emulator benchmarks' cores at tiny size, so they keep working (the benchmarks themselves are not run in CI).</summary>
public sealed class EmulatorLoadSmokeTests : EmulatorTest
{
    [Fact]
    public async Task Seed_and_paged_initial_list()
    {
        Assert.Equal(120, EmulatorLoad.Seed(Server, 120).Count);
        var list = await EmulatorLoad.InitialListAsync(Server, pageSize: 50).WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Equal(120, list.Count);
        Assert.True(list.PerSecond > 0);
    }

    [Fact]
    public async Task Watch_throughput_with_fan_out()
    {
        var r = await EmulatorLoad.WatchThroughputAsync(Server, events: 100, watchers: 3).WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Equal(300, r.Count);
    }
}
