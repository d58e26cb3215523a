using System.Diagnostics;
using System.Net;

namespace LoadBalancer.Kube.Tests.Emulator;

public sealed class EmulatorFaultTests : EmulatorTest
{
    [Fact]
    public async Task FailNext_fails_only_matching_requests_and_only_that_many_times()
    {
        Server.Create(RawApi.ConfigMap("f"));
        Server.FailNext(2, 500, verb: "GET", pathContains: "/configmaps/f");
        (await Api.GetAsync("/api/v1/namespaces/default/services")).Response.EnsureSuccessStatusCode();
        (await Api.GetAsync("/api/v1/namespaces/default/configmaps/f")).AssertStatus(500, "InternalError");
        (await Api.PutAsync("/api/v1/namespaces/default/configmaps/f", RawApi.ConfigMap("f"))).Response.EnsureSuccessStatusCode();
        (await Api.GetAsync("/api/v1/namespaces/default/configmaps/f")).AssertStatus(500, "InternalError");
        Assert.Equal(HttpStatusCode.OK, (await Api.GetAsync("/api/v1/namespaces/default/configmaps/f")).Code);
    }

    [Fact]
    public async Task Throttling_is_429_with_Retry_After()
    {
        Server.FailNext(1, 429, retryAfterSeconds: 3);
        var r = (await Api.GetAsync("/api/v1/namespaces")).AssertStatus(429, "TooManyRequests");
        Assert.Equal(TimeSpan.FromSeconds(3), r.Response.Headers.RetryAfter!.Delta);
        Assert.Equal(HttpStatusCode.OK, (await Api.GetAsync("/api/v1/namespaces")).Code);
    }

    [Fact]
    public async Task Latency_delays_matching_requests_until_cleared()
    {
        Server.SetLatency(TimeSpan.FromMilliseconds(300), "/api/v1/namespaces/default/configmaps");
        var sw = Stopwatch.StartNew();
        await Api.GetAsync("/api/v1/namespaces/default/configmaps");
        Assert.True(sw.Elapsed >= TimeSpan.FromMilliseconds(250), $"took {sw.Elapsed}");
        Server.ClearFaults();
        Assert.Equal(HttpStatusCode.OK, (await Api.GetAsync("/api/v1/namespaces/default/configmaps")).Code);
    }

    [Fact]
    public async Task Request_count_and_open_watches_are_observable()
    {
        var before = Server.RequestCount;
        await Api.GetAsync("/version");
        Assert.Equal(before + 1, Server.RequestCount);
        using var w = await Api.WatchAsync("/api/v1/configmaps?watch=true&resourceVersion=" + Server.ResourceVersion);
        Assert.Equal(1, Server.OpenWatchCount);
        Server.DropWatches();
        Assert.Null(await w.NextAsync());
        Assert.Equal(0, Server.OpenWatchCount);
    }
}
