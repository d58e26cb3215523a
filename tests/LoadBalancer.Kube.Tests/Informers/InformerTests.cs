using System.Collections.Concurrent;
using LoadBalancer.Kube.Api;
using LoadBalancer.Kube.Tests.Fakes;

namespace LoadBalancer.Kube.Tests.Informers;

public class InformerTests
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(20);
    private static readonly InformerOptions Fast = new() { PageSize = 10, InitialBackoff = TimeSpan.FromMilliseconds(5), MaxBackoff = TimeSpan.FromMilliseconds(50), MinWatchDuration = TimeSpan.Zero, RandomSeed = 1 };

    private static async Task Seed(FakeKubeClient fake, int n)
    {
        for (var i = 0; i < n; i++) await fake.CreateAsync(KubeResources.Services, Objects.Service("ns" + (i % 3), "svc" + i));
    }

    [Fact]
    public async Task Paged_initial_list_fills_the_cache_then_ReadyAsync_completes()
    {
        var fake = new FakeKubeClient();
        await Seed(fake, 25);
        var added = new ConcurrentBag<string>();
        await using var inf = new Informer<V1Service>(fake, KubeResources.Services, Fast);
        inf.AddHandler(onAdded: s => added.Add(s.Metadata.Name!));
        Assert.False(inf.IsReady);
        inf.Start();
        await inf.ReadyAsync().WaitAsync(Bound);
        Assert.Equal(25, inf.Count);
        Assert.Equal(25, added.Count);
        Assert.Equal("svc7", inf.Get("ns1", "svc7")!.Metadata.Name);
        Assert.Null(inf.Get("ns0", "svc7"));
        Assert.Equal(25, inf.Snapshot().Count);
        Assert.Equal(fake.ResourceVersion.ToString(System.Globalization.CultureInfo.InvariantCulture), inf.LastSyncResourceVersion);
    }

    [Fact]
    public async Task Watch_events_update_the_cache_and_call_handlers()
    {
        var fake = new FakeKubeClient();
        await Seed(fake, 3);
        var log = new ConcurrentQueue<string>();
        await using var inf = new Informer<V1Service>(fake, KubeResources.Services, Fast);
        inf.AddHandler(s => log.Enqueue("add " + s.Metadata.Name), (o, n) => log.Enqueue($"update {n.Metadata.Name} {o.Metadata.ResourceVersion}->{n.Metadata.ResourceVersion}"), s => log.Enqueue("delete " + s.Metadata.Name));
        inf.Start();
        await inf.ReadyAsync().WaitAsync(Bound);
        await Eventually.True(() => fake.WatcherCount == 1, "informer watches");

        var created = await fake.CreateAsync(KubeResources.Services, Objects.Service("a", "new"));
        var svc = await fake.GetAsync(KubeResources.Services, "ns0", "svc0");
        svc.Metadata.Labels = new() { ["x"] = "y" };
        var updated = await fake.ReplaceAsync(KubeResources.Services, svc);
        await fake.DeleteAsync(KubeResources.Services, "ns1", "svc1");
        await Eventually.True(() => log.Count == 6, "3 adds, add, update, delete");
        Assert.Equal(["add new", $"update svc0 {svc.Metadata.ResourceVersion}->{updated.Metadata.ResourceVersion}", "delete svc1"], log.Skip(3));
        Assert.Equal("y", inf.Get("ns0", "svc0")!.Metadata.Labels!["x"]);
        Assert.NotNull(inf.Get("a", "new"));
        Assert.Null(inf.Get("ns1", "svc1"));
        Assert.Equal(created.Metadata.Uid, inf.Get("a", "new")!.Metadata.Uid);
    }

    [Fact]
    public async Task Bookmarks_advance_the_resource_version_and_a_closed_stream_resumes_from_it()
    {
        var fake = new FakeKubeClient();
        await Seed(fake, 2);
        await using var inf = new Informer<V1Service>(fake, KubeResources.Services, Fast);
        inf.Start();
        await inf.ReadyAsync().WaitAsync(Bound);
        await Eventually.True(() => fake.WatcherCount == 1, "informer watches");
        // Changes of another kind move the global resourceVersion; a bookmark carries it to the informer.
        await fake.CreateAsync(KubeResources.Nodes, new V1Node { Metadata = new ObjectMeta { Name = "n1" } });
        fake.Bookmark();
        var rv = fake.ResourceVersion.ToString(System.Globalization.CultureInfo.InvariantCulture);
        await Eventually.True(() => inf.LastSyncResourceVersion == rv, "bookmark applied");
        var lists = fake.Calls;
        fake.Compact(); // history before the bookmark is gone: resuming from the bookmark needs no relist
        fake.KillWatches();
        await fake.CreateAsync(KubeResources.Services, Objects.Service("a", "after"));
        await Eventually.True(() => inf.Get("a", "after") is not null, "event after re-watch");
    }

    [Fact]
    public async Task Expired_resource_version_relists_and_reports_what_vanished()
    {
        var fake = new FakeKubeClient();
        await Seed(fake, 5);
        var deleted = new ConcurrentBag<string>();
        var added = new ConcurrentBag<string>();
        await using var inf = new Informer<V1Service>(fake, KubeResources.Services, Fast);
        inf.AddHandler(onAdded: s => added.Add(s.Metadata.Name!), onDeleted: s => deleted.Add(s.Metadata.Name!));
        inf.Start();
        await inf.ReadyAsync().WaitAsync(Bound);
        await Eventually.True(() => fake.WatcherCount == 1, "informer watches");

        var blocked = true;
        fake.Fault = (verb, _) => verb == "watch" && Volatile.Read(ref blocked) ? KubeClient.Error(503, null, "unavailable") : null;
        fake.KillWatches();
        await fake.DeleteAsync(KubeResources.Services, "ns2", "svc2");
        await fake.CreateAsync(KubeResources.Services, Objects.Service("z", "born"));
        fake.Compact();
        Volatile.Write(ref blocked, false);

        await Eventually.True(() => deleted.Contains("svc2") && added.Contains("born"), "relist diff delivered");
        Assert.Null(inf.Get("ns2", "svc2"));
        Assert.Equal(5, inf.Count);
    }

    [Fact]
    public async Task List_errors_back_off_and_retry_until_ready()
    {
        var fake = new FakeKubeClient();
        await Seed(fake, 3);
        var failures = 0;
        fake.Fault = (verb, _) => verb == "list" && Interlocked.Increment(ref failures) <= 3 ? KubeClient.Error(500, new Status { Reason = "InternalError", Message = "boom" }, "boom") : null;
        await using var inf = new Informer<V1Service>(fake, KubeResources.Services, Fast);
        inf.Start();
        await inf.ReadyAsync().WaitAsync(Bound);
        Assert.Equal(3, inf.Count);
        Assert.Equal(4, Volatile.Read(ref failures));
    }

    [Fact]
    public async Task Handler_added_after_sync_sees_every_cached_object_and_a_throwing_handler_does_not_stop_the_informer()
    {
        var fake = new FakeKubeClient();
        await Seed(fake, 4);
        await using var inf = new Informer<V1Service>(fake, KubeResources.Services, Fast);
        inf.AddHandler(onAdded: _ => throw new InvalidOperationException("bad handler"));
        inf.Start();
        await inf.ReadyAsync().WaitAsync(Bound);
        var late = new ConcurrentBag<string>();
        using (inf.AddHandler(onAdded: s => late.Add(s.Metadata.Name!)))
        {
            Assert.Equal(4, late.Count);
            await Eventually.True(() => fake.WatcherCount == 1, "informer watches");
            await fake.CreateAsync(KubeResources.Services, Objects.Service("a", "fifth"));
            await Eventually.True(() => late.Count == 5, "late handler sees new object");
        }
        await fake.CreateAsync(KubeResources.Services, Objects.Service("a", "sixth"));
        await Eventually.True(() => inf.Count == 6, "informer still running");
        Assert.Equal(5, late.Count); // unregistered
    }

    [Fact]
    public async Task Label_selector_and_namespace_limit_the_cache()
    {
        var fake = new FakeKubeClient();
        await fake.CreateAsync(KubeResources.Services, Objects.Service("a", "web", new() { ["app"] = "web" }));
        await fake.CreateAsync(KubeResources.Services, Objects.Service("a", "db", new() { ["app"] = "db" }));
        await fake.CreateAsync(KubeResources.Services, Objects.Service("b", "web", new() { ["app"] = "web" }));
        await using var inf = new Informer<V1Service>(fake, KubeResources.Services, Fast with { Namespace = "a", LabelSelector = "app=web" });
        inf.Start();
        await inf.ReadyAsync().WaitAsync(Bound);
        Assert.Equal([new ObjectKey("a", "web")], inf.Keys());
    }

    [Fact]
    public async Task Chaos_killed_streams_and_expired_versions_end_with_the_cache_identical_to_the_store()
    {
        var fake = new FakeKubeClient();
        await Seed(fake, 30);
        await using var inf = new Informer<V1Service>(fake, KubeResources.Services, Fast);
        inf.Start();
        await inf.ReadyAsync().WaitAsync(Bound);
        var random = new Random(1234);
        for (var round = 0; round < 300; round++)
        {
            var name = "svc" + random.Next(40);
            var ns = "ns" + random.Next(3);
            try
            {
                switch (random.Next(3))
                {
                    case 0: await fake.CreateAsync(KubeResources.Services, Objects.Service(ns, name)); break;
                    case 1:
                        var s = await fake.GetAsync(KubeResources.Services, ns, name);
                        s.Metadata.Annotations = new() { ["round"] = round.ToString(System.Globalization.CultureInfo.InvariantCulture) };
                        await fake.ReplaceAsync(KubeResources.Services, s);
                        break;
                    default: await fake.DeleteAsync(KubeResources.Services, ns, name); break;
                }
            }
            catch (KubeApiException ex) when (ex is KubeNotFoundException or KubeConflictException)
            {
            }
            if (round % 17 == 0) fake.KillWatches();
            if (round % 41 == 0) fake.Compact();
            if (round % 10 == 0) await Task.Yield();
        }
        var expected = fake.All(KubeResources.Services).ToDictionary(ObjectKey.Of, s => s.Metadata.ResourceVersion);
        await Eventually.True(() =>
        {
            var actual = inf.Snapshot().ToDictionary(ObjectKey.Of, s => s.Metadata.ResourceVersion);
            return actual.Count == expected.Count && actual.All(p => expected.TryGetValue(p.Key, out var rv) && rv == p.Value);
        }, "informer cache equals the store");
    }
}
