using System.Collections.Concurrent;
using System.Text.Json.Nodes;
using LoadBalancer.Kube.Api;
using LoadBalancer.Kube.Tests.Fakes;

namespace LoadBalancer.Kube.Tests.Http;

public class InformerOverHttpTests : ApiServerTest
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(30);
    private static readonly InformerOptions Fast = new()
    {
        PageSize = 100,
        InitialBackoff = TimeSpan.FromMilliseconds(10),
        MaxBackoff = TimeSpan.FromMilliseconds(200),
        MinWatchDuration = TimeSpan.Zero,
        RandomSeed = 3,
    };

    protected override TestKit.ApiServer.KubeApiServerOptions ServerOptions => new()
    {
        BookmarkInterval = TimeSpan.FromMilliseconds(200),
        ExtraNamespaces = ["ns0", "ns1", "ns2", "ns3", "ns4"],
    };

    internal static JsonObject ServiceJson(string ns, string name, int round = 0) => new()
    {
        ["apiVersion"] = "v1",
        ["kind"] = "Service",
        ["metadata"] = new JsonObject { ["name"] = name, ["namespace"] = ns, ["annotations"] = new JsonObject { ["round"] = round.ToString(System.Globalization.CultureInfo.InvariantCulture) } },
        ["spec"] = new JsonObject { ["type"] = "LoadBalancer", ["ports"] = new JsonArray(new JsonObject { ["port"] = 80 }) },
    };

    private Dictionary<ObjectKey, string?> ServerState() => Server.List("v1", "Service")
        .ToDictionary(o => new ObjectKey((string?)o["metadata"]!["namespace"], (string)o["metadata"]!["name"]!), o => (string?)o["metadata"]!["resourceVersion"]);

    private static bool Same(Dictionary<ObjectKey, string?> expected, Informer<V1Service> inf)
    {
        var actual = inf.Snapshot().ToDictionary(ObjectKey.Of, s => s.Metadata.ResourceVersion);
        return actual.Count == expected.Count && actual.All(p => expected.TryGetValue(p.Key, out var rv) && rv == p.Value);
    }

    [Fact]
    public async Task Initial_sync_of_a_thousand_services_in_pages()
    {
        Server.Seed(Enumerable.Range(0, 1000).Select(i => ServiceJson("ns" + (i % 5), "svc" + i)));
        await using var inf = new Informer<V1Service>(Client, KubeResources.Services, Fast);
        inf.Start();
        await inf.ReadyAsync().WaitAsync(Bound);
        Assert.Equal(1000, inf.Count);
        Assert.True(Same(ServerState(), inf));
    }

    [Fact]
    public async Task Failing_list_backs_off_and_the_informer_becomes_ready()
    {
        Server.Seed(Enumerable.Range(0, 10).Select(i => ServiceJson("default", "svc" + i)));
        Server.FailNext(3, 500, verb: "GET", pathContains: "/services?");
        await using var inf = new Informer<V1Service>(Client, KubeResources.Services, Fast);
        inf.Start();
        await inf.ReadyAsync().WaitAsync(Bound);
        Assert.Equal(10, inf.Count);
    }

    [Fact]
    public async Task Handlers_feed_a_work_queue()
    {
        using var queue = new WorkQueue<ObjectKey>();
        await using var inf = new Informer<V1Service>(Client, KubeResources.Services, Fast);
        inf.AddHandler(s => queue.Add(ObjectKey.Of(s)), (_, s) => queue.Add(ObjectKey.Of(s)), s => queue.Add(ObjectKey.Of(s)));
        inf.Start();
        await inf.ReadyAsync().WaitAsync(Bound);
        await Client.CreateAsync(KubeResources.Services, Objects.Service("default", "a"));
        await Client.PatchAsync(KubeResources.Services, "default", "a", KubePatch.Merge("""{"metadata":{"labels":{"x":"y"}}}"""));
        var item = await queue.GetAsync().AsTask().WaitAsync(Bound);
        Assert.Equal(new ObjectKey("default", "a"), item.Key);
        queue.Done(item.Key);
        await Eventually.True(() => inf.Get(item.Key)?.Metadata.Labels?.ContainsKey("x") == true, "update seen");
    }

    [Fact]
    public async Task Chaos_dropped_streams_and_expired_versions_while_objects_change_end_with_an_identical_cache()
    {
        Server.Seed(Enumerable.Range(0, 200).Select(i => ServiceJson("ns" + (i % 4), "svc" + i)));
        var viaHandlers = new ConcurrentDictionary<ObjectKey, string?>(); // what a controller fed only by handlers believes
        await using var inf = new Informer<V1Service>(Client, KubeResources.Services, Fast with { PageSize = 37 });
        inf.AddHandler(
            s => viaHandlers[ObjectKey.Of(s)] = s.Metadata.ResourceVersion,
            (_, s) => viaHandlers[ObjectKey.Of(s)] = s.Metadata.ResourceVersion,
            s => viaHandlers.TryRemove(ObjectKey.Of(s), out _));
        inf.Start();
        await inf.ReadyAsync().WaitAsync(Bound);

        var random = new Random(2026);
        var drops = 0;
        var expiries = 0;
        for (var round = 1; round <= 600; round++)
        {
            var ns = "ns" + random.Next(4);
            var name = "svc" + random.Next(260);
            switch (random.Next(4))
            {
                case 0:
                    try { Server.Create(ServiceJson(ns, name, round)); } catch (TestKit.ApiServer.ApiException) { }
                    break;
                case 1:
                case 2:
                    try { Server.Patch("v1", "Service", ns, name, new JsonObject { ["metadata"] = new JsonObject { ["annotations"] = new JsonObject { ["round"] = round.ToString(System.Globalization.CultureInfo.InvariantCulture) } } }); }
                    catch (TestKit.ApiServer.ApiException) { }
                    break;
                default:
                    Server.Delete("v1", "Service", ns, name);
                    break;
            }
            if (round % 25 == 0) drops += Server.DropWatches();
            if (round % 60 == 0)
            {
                Server.ExpireResourceVersions();
                expiries++;
            }
            if (round % 20 == 0) await Task.Delay(5); // let the informer run between bursts
        }
        var expected = ServerState();
        await Eventually.True(() => Same(expected, inf), "informer cache equals the server", Bound);
        Assert.True(drops > 0, "streams were dropped");
        Assert.Equal(10, expiries);
        Assert.True(inf.ListCount > 1, $"relisted after expiry ({inf.ListCount} lists)");
        Assert.True(inf.WatchCount > drops / 2, $"re-watched after drops ({inf.WatchCount} watches)");
        await Eventually.True(() => viaHandlers.Count == expected.Count && viaHandlers.All(p => expected.TryGetValue(p.Key, out var rv) && rv == p.Value),
            "handlers saw every change, relist differences included", Bound);
    }
}
