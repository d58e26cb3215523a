using System.Text.Json.Nodes;
using LoadBalancer.TestKit.ApiServer;

namespace LoadBalancer.Kube.Tests.Emulator;

public sealed class EmulatorWatchTests : EmulatorTest
{
    protected override KubeApiServerOptions Options => new KubeApiServerOptions { BookmarkInterval = TimeSpan.FromMilliseconds(200) };

    private static string Type(JsonObject? e) => e?["type"]?.GetValue<string>() ?? "<end>";

    private static string Name(JsonObject? e) => e?["object"]?["metadata"]?["name"]?.GetValue<string>() ?? "";

    private static string Rv(JsonObject o) => o["metadata"]!["resourceVersion"]!.GetValue<string>();

    [Fact]
    public async Task Watch_without_resourceVersion_sends_current_objects_then_changes()
    {
        await Api.CreateAsync("/api/v1/namespaces/default/configmaps", RawApi.ConfigMap("a"));
        using var w = await Api.WatchAsync("/api/v1/namespaces/default/configmaps?watch=true");
        var first = await w.NextAsync();
        Assert.Equal(("ADDED", "a"), (Type(first), Name(first)));

        var b = await Api.CreateAsync("/api/v1/namespaces/default/configmaps", RawApi.ConfigMap("b"));
        var added = await w.NextAsync();
        Assert.Equal(("ADDED", "b"), (Type(added), Name(added)));
        Assert.Equal(Rv(b), Rv(added!["object"]!.AsObject()));

        b["data"]!["k"] = "changed";
        await Api.PutAsync("/api/v1/namespaces/default/configmaps/b", b);
        var modified = await w.NextAsync();
        Assert.Equal(("MODIFIED", "b"), (Type(modified), Name(modified)));
        Assert.Equal("changed", modified!["object"]!["data"]!["k"]!.GetValue<string>());

        await Api.DeleteAsync("/api/v1/namespaces/default/configmaps/b");
        var deleted = await w.NextAsync();
        Assert.Equal(("DELETED", "b"), (Type(deleted), Name(deleted)));
        Assert.True(long.Parse(Rv(deleted!["object"]!.AsObject())) > long.Parse(Rv(modified["object"]!.AsObject())));
    }

    [Fact]
    public async Task Watch_resumes_after_a_resourceVersion_without_repeating_or_losing_events()
    {
        var list = await Api.GetAsync("/api/v1/namespaces/default/configmaps");
        var listRv = list.Object["metadata"]!["resourceVersion"]!.GetValue<string>();
        await Api.CreateAsync("/api/v1/namespaces/default/configmaps", RawApi.ConfigMap("r1"));
        await Api.CreateAsync("/api/v1/namespaces/default/services", RawApi.Service("other-kind"));
        await Api.CreateAsync("/api/v1/namespaces/default/configmaps", RawApi.ConfigMap("r2"));

        using var w = await Api.WatchAsync($"/api/v1/namespaces/default/configmaps?watch=1&resourceVersion={listRv}");
        Assert.Equal("r1", Name(await w.NextAsync()));
        Assert.Equal("r2", Name(await w.NextAsync()));
        await Api.CreateAsync("/api/v1/namespaces/default/configmaps", RawApi.ConfigMap("r3"));
        Assert.Equal("r3", Name(await w.NextAsync()));
    }

    [Fact]
    public async Task Bookmarks_carry_a_resourceVersion_and_only_come_when_asked()
    {
        var created = await Api.CreateAsync("/api/v1/namespaces/default/configmaps", RawApi.ConfigMap("bm"));
        using var w = await Api.WatchAsync($"/api/v1/namespaces/default/configmaps?watch=true&allowWatchBookmarks=true&resourceVersion={Rv(created)}");
        var bookmark = await w.NextAsync();
        Assert.Equal("BOOKMARK", Type(bookmark));
        Assert.Equal("ConfigMap", bookmark!["object"]!["kind"]!.GetValue<string>());
        Assert.True(long.Parse(Rv(bookmark["object"]!.AsObject())) >= long.Parse(Rv(created)));

        using var plain = await Api.WatchAsync($"/api/v1/namespaces/default/configmaps?watch=true&resourceVersion={Rv(created)}&timeoutSeconds=1");
        Assert.Null(await plain.NextAsync());
    }

    [Fact]
    public async Task SendInitialEvents_ends_the_initial_list_with_an_annotated_bookmark()
    {
        await Api.CreateAsync("/api/v1/namespaces/default/configmaps", RawApi.ConfigMap("i1"));
        using var w = await Api.WatchAsync("/api/v1/namespaces/default/configmaps?watch=true&sendInitialEvents=true&allowWatchBookmarks=true&resourceVersionMatch=NotOlderThan");
        Assert.Equal(("ADDED", "i1"), (Type(await w.NextAsync()), "i1"));
        var end = await w.NextAsync();
        Assert.Equal("BOOKMARK", Type(end));
        Assert.Equal("true", end!["object"]!["metadata"]!["annotations"]!["k8s.io/initial-events-end"]!.GetValue<string>());
    }

    [Fact]
    public async Task TimeoutSeconds_ends_the_stream_cleanly()
    {
        using var w = await Api.WatchAsync("/api/v1/namespaces/default/configmaps?watch=true&timeoutSeconds=1&resourceVersion=" + Server.ResourceVersion);
        Assert.Null(await w.NextAsync(TimeSpan.FromSeconds(10)));
    }

    [Fact]
    public async Task Too_old_resourceVersion_is_an_ERROR_event_with_410_Expired()
    {
        var a = await Api.CreateAsync("/api/v1/namespaces/default/configmaps", RawApi.ConfigMap("old"));
        await Api.CreateAsync("/api/v1/namespaces/default/configmaps", RawApi.ConfigMap("newer"));
        Server.ExpireResourceVersions();
        using var w = await Api.WatchAsync($"/api/v1/namespaces/default/configmaps?watch=true&resourceVersion={Rv(a)}");
        var e = await w.NextAsync();
        Assert.Equal("ERROR", Type(e));
        Assert.Equal(410, e!["object"]!["code"]!.GetValue<int>());
        Assert.Equal("Expired", e["object"]!["reason"]!.GetValue<string>());
        Assert.StartsWith("too old resource version: " + Rv(a), e["object"]!["message"]!.GetValue<string>());
        Assert.Null(await w.NextAsync());

        // The current resourceVersion is still fine.
        using var ok = await Api.WatchAsync($"/api/v1/namespaces/default/configmaps?watch=true&resourceVersion={Server.ResourceVersion}");
        await Api.CreateAsync("/api/v1/namespaces/default/configmaps", RawApi.ConfigMap("after"));
        Assert.Equal(("ADDED", "after"), (Type(await ok.NextAsync()), "after"));
    }

    [Fact]
    public async Task Dropped_watches_end_and_can_resume_from_the_last_event()
    {
        using var w = await Api.WatchAsync("/api/v1/namespaces/default/configmaps?watch=true&resourceVersion=" + Server.ResourceVersion);
        var x = await Api.CreateAsync("/api/v1/namespaces/default/configmaps", RawApi.ConfigMap("x"));
        var seen = await w.NextAsync();
        Assert.Equal("x", Name(seen));
        Assert.Equal(1, Server.DropWatches());
        Assert.Null(await w.NextAsync());
        await Api.CreateAsync("/api/v1/namespaces/default/configmaps", RawApi.ConfigMap("y"));
        using var resumed = await Api.WatchAsync($"/api/v1/namespaces/default/configmaps?watch=true&resourceVersion={Rv(x)}");
        Assert.Equal("y", Name(await resumed.NextAsync()));
    }

    [Fact]
    public async Task Label_selected_watch_sees_objects_enter_and_leave_the_selection()
    {
        using var w = await Api.WatchAsync("/api/v1/namespaces/default/configmaps?watch=true&labelSelector=tier%3Dfront&resourceVersion=" + Server.ResourceVersion);
        var cm = await Api.CreateAsync("/api/v1/namespaces/default/configmaps", RawApi.ConfigMap("sel"));
        var labelled = await Api.PatchAsync("/api/v1/namespaces/default/configmaps/sel",
            new JsonObject { ["metadata"] = new JsonObject { ["labels"] = new JsonObject { ["tier"] = "front" } } }, "application/merge-patch+json");
        var e1 = await w.NextAsync();
        Assert.Equal(("ADDED", "sel"), (Type(e1), Name(e1)));
        await Api.PatchAsync("/api/v1/namespaces/default/configmaps/sel",
            new JsonObject { ["metadata"] = new JsonObject { ["labels"] = new JsonObject { ["tier"] = "back" } } }, "application/merge-patch+json");
        var e2 = await w.NextAsync();
        Assert.Equal(("DELETED", "sel"), (Type(e2), Name(e2)));
        _ = (cm, labelled);
    }

    [Fact]
    public async Task All_namespace_watch_and_namespace_watch_differ()
    {
        using var ns = await Api.WatchAsync("/api/v1/namespaces/kube-system/configmaps?watch=true&resourceVersion=" + Server.ResourceVersion);
        using var all = await Api.WatchAsync("/api/v1/configmaps?watch=true&resourceVersion=" + Server.ResourceVersion);
        await Api.CreateAsync("/api/v1/namespaces/default/configmaps", RawApi.ConfigMap("d1"));
        await Api.CreateAsync("/api/v1/namespaces/kube-system/configmaps", RawApi.ConfigMap("k1", "kube-system"));
        Assert.Equal("d1", Name(await all.NextAsync()));
        Assert.Equal("k1", Name(await all.NextAsync()));
        Assert.Equal("k1", Name(await ns.NextAsync()));
    }

    [Fact]
    public async Task Watch_fan_out_delivers_every_event_to_every_watcher()
    {
        var streams = new List<WatchStream>();
        for (var i = 0; i < 5; i++) streams.Add(await Api.WatchAsync("/api/v1/namespaces/default/configmaps?watch=true&resourceVersion=" + Server.ResourceVersion));
        try
        {
            Server.Seed(Enumerable.Range(0, 200).Select(i => RawApi.ConfigMap("fan-" + i)));
            foreach (var s in streams)
            {
                for (var i = 0; i < 200; i++) Assert.Equal("ADDED", Type(await s.NextAsync()));
            }
        }
        finally
        {
            foreach (var s in streams) s.Dispose();
        }
    }
}
