using System.Text.Json.Nodes;
using LoadBalancer.Kube.Api;
using LoadBalancer.Kube.Tests.Fakes;

namespace LoadBalancer.Kube.Tests.Http;

public class KubeClientTests : ApiServerTest
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(20);

    [Fact]
    public async Task Create_get_replace_delete_round_trip_with_server_metadata()
    {
        var created = await Client.CreateAsync(KubeResources.Services, Objects.Service("default", "web"));
        Assert.False(string.IsNullOrEmpty(created.Metadata.Uid));
        Assert.False(string.IsNullOrEmpty(created.Metadata.ResourceVersion));
        Assert.NotNull(created.Metadata.CreationTimestamp);
        Assert.False(string.IsNullOrEmpty(created.Spec!.ClusterIP));

        var got = await Client.GetAsync(KubeResources.Services, "default", "web");
        Assert.Equal(created.Metadata.Uid, got.Metadata.Uid);
        got.Metadata.Labels = new() { ["app"] = "web" };
        var replaced = await Client.ReplaceAsync(KubeResources.Services, got);
        Assert.NotEqual(got.Metadata.ResourceVersion, replaced.Metadata.ResourceVersion);
        Assert.Equal("web", replaced.Metadata.Labels!["app"]);

        await Client.DeleteAsync(KubeResources.Services, "default", "web");
        var nf = await Assert.ThrowsAsync<KubeNotFoundException>(() => Client.GetAsync(KubeResources.Services, "default", "web"));
        Assert.Equal(404, nf.StatusCode);
        Assert.Equal("NotFound", nf.Reason);
        Assert.Contains("\"web\" not found", nf.Status!.Message);
        await Assert.ThrowsAsync<KubeNotFoundException>(() => Client.DeleteAsync(KubeResources.Services, "default", "web"));
    }

    [Fact]
    public async Task Cluster_scoped_kinds_and_the_default_namespace()
    {
        var node = await Client.CreateAsync(KubeResources.Nodes, new V1Node { Metadata = new ObjectMeta { Name = "node-1" } });
        Assert.Null(node.Metadata.Namespace);
        Assert.Equal("node-1", (await Client.GetAsync(KubeResources.Nodes, null, "node-1")).Metadata.Name);
        // No namespace given: the kubeconfig context's namespace (default).
        var svc = await Client.CreateAsync(KubeResources.Services, new V1Service { Metadata = new ObjectMeta { Name = "x" }, Spec = new ServiceSpec { Ports = [new ServicePort { Port = 1 }] } });
        Assert.Equal("default", svc.Metadata.Namespace);
        Assert.Equal("default", Client.DefaultNamespace);
    }

    [Fact]
    public async Task Stale_resource_version_is_a_typed_conflict_and_existing_name_is_already_exists()
    {
        var created = await Client.CreateAsync(KubeResources.Services, Objects.Service("default", "web"));
        var first = await Client.GetAsync(KubeResources.Services, "default", "web");
        var second = await Client.GetAsync(KubeResources.Services, "default", "web");
        first.Metadata.Labels = new() { ["writer"] = "first" };
        await Client.ReplaceAsync(KubeResources.Services, first);
        second.Metadata.Labels = new() { ["writer"] = "second" };
        var conflict = await Assert.ThrowsAsync<KubeConflictException>(() => Client.ReplaceAsync(KubeResources.Services, second));
        Assert.Equal(409, conflict.StatusCode);
        Assert.False(conflict.IsAlreadyExists);
        Assert.Contains("the object has been modified", conflict.Message);

        var exists = await Assert.ThrowsAsync<KubeConflictException>(() => Client.CreateAsync(KubeResources.Services, Objects.Service("default", "web")));
        Assert.True(exists.IsAlreadyExists);
        _ = created;
    }

    [Fact]
    public async Task Invalid_object_is_a_typed_422_with_causes()
    {
        var ex = await Assert.ThrowsAsync<KubeInvalidException>(() => Client.CreateAsync(KubeResources.Services, Objects.Service("default", "Bad_Name")));
        Assert.Equal(422, ex.StatusCode);
        Assert.Equal("Invalid", ex.Reason);
        Assert.Contains(ex.Causes, c => c.Field == "metadata.name");
    }

    [Fact]
    public async Task Unknown_fields_survive_a_read_modify_write()
    {
        Server.Create(JsonNode.Parse("""
            {"apiVersion":"v1","kind":"Service","metadata":{"name":"future","namespace":"default","labels":{"a":"b"}},
             "spec":{"ports":[{"port":80}],"futureSpecField":{"x":1}},"futureTopField":"kept"}
            """)!.AsObject());
        var svc = await Client.GetAsync(KubeResources.Services, "default", "future");
        svc.Metadata.Labels!["c"] = "d";
        await Client.ReplaceAsync(KubeResources.Services, svc);
        var stored = Server.Get("v1", "Service", "default", "future")!;
        Assert.Equal(1, (int)stored["spec"]!["futureSpecField"]!["x"]!);
        Assert.Equal("kept", (string)stored["futureTopField"]!);
        Assert.Equal("d", (string)stored["metadata"]!["labels"]!["c"]!);
    }

    [Fact]
    public async Task Merge_and_strategic_merge_patch()
    {
        await Client.CreateAsync(KubeResources.Services, Objects.Service("default", "web", new() { ["a"] = "1", ["b"] = "2" }));
        var merged = await Client.PatchAsync(KubeResources.Services, "default", "web", KubePatch.Merge("""{"metadata":{"labels":{"a":null,"c":"3"}}}"""));
        Assert.Equal(new Dictionary<string, string> { ["b"] = "2", ["c"] = "3" }, merged.Metadata.Labels);

        // Merge patch replaces a list whole; strategic merge merges ports by their key.
        var smp = await Client.PatchAsync(KubeResources.Services, "default", "web",
            KubePatch.StrategicMerge("""{"spec":{"ports":[{"name":"https","port":443,"protocol":"TCP"}]}}"""));
        Assert.Equal([80, 443], smp.Spec!.Ports!.Select(p => p.Port).Order());
        var mp = await Client.PatchAsync(KubeResources.Services, "default", "web",
            KubePatch.Merge(new JsonObject { ["spec"] = new JsonObject { ["ports"] = new JsonArray(new JsonObject { ["port"] = 8080 }) } }));
        Assert.Equal([8080], mp.Spec!.Ports!.Select(p => p.Port));
        await Assert.ThrowsAsync<KubeNotFoundException>(() => Client.PatchAsync(KubeResources.Services, "default", "nope", KubePatch.Merge("{}")));
    }

    [Fact]
    public async Task Status_subresource_keeps_spec_and_status_apart()
    {
        await Client.CreateAsync(KubeResources.Services, Objects.Service("default", "web"));
        var patched = await Client.PatchStatusAsync(KubeResources.Services, "default", "web",
            KubePatch.Merge("""{"status":{"loadBalancer":{"ingress":[{"ip":"192.0.2.10"}]}},"spec":{"type":"ClusterIP"}}"""));
        Assert.Equal("192.0.2.10", patched.Status!.LoadBalancer!.Ingress![0].Ip);
        Assert.Equal("LoadBalancer", patched.Spec!.Type); // spec ignored on /status

        var svc = await Client.GetAsync(KubeResources.Services, "default", "web");
        svc.Status!.LoadBalancer!.Ingress![0].Ip = "192.0.2.11";
        svc.Spec!.Type = "ClusterIP";
        var replaced = await Client.ReplaceStatusAsync(KubeResources.Services, svc);
        Assert.Equal("192.0.2.11", replaced.Status!.LoadBalancer!.Ingress![0].Ip);
        Assert.Equal("LoadBalancer", replaced.Spec!.Type);

        // A plain update cannot write status.
        replaced.Status.LoadBalancer.Ingress[0].Ip = "192.0.2.99";
        var updated = await Client.ReplaceAsync(KubeResources.Services, replaced);
        Assert.Equal("192.0.2.11", updated.Status!.LoadBalancer!.Ingress![0].Ip);

        // Optimistic concurrency holds on /status too.
        svc.Status.LoadBalancer.Ingress[0].Ip = "192.0.2.12";
        await Assert.ThrowsAsync<KubeConflictException>(() => Client.ReplaceStatusAsync(KubeResources.Services, svc));
    }

    [Fact]
    public async Task Delete_with_a_stale_uid_precondition_is_a_conflict()
    {
        await Client.CreateAsync(KubeResources.Services, Objects.Service("default", "web"));
        await Assert.ThrowsAsync<KubeConflictException>(() =>
            Client.DeleteAsync(KubeResources.Services, "default", "web", new DeleteOptions { PreconditionUid = "not-the-uid" }));
        await Client.DeleteAsync(KubeResources.Services, "default", "web", new DeleteOptions { PropagationPolicy = "Background" });
    }

    [Fact]
    public async Task Paged_list_with_continue_then_expired_continue_token()
    {
        for (var i = 0; i < 25; i++) await Client.CreateAsync(KubeResources.Services, Objects.Service("default", $"svc-{i:00}"));
        var names = new List<string>();
        string? token = null;
        var pages = 0;
        do
        {
            var page = await Client.ListAsync(KubeResources.Services, new ListOptions { Namespace = "default", Limit = 10, Continue = token });
            names.AddRange(page.Items.Select(s => s.Metadata.Name!));
            token = page.Metadata.Continue;
            pages++;
            Assert.False(string.IsNullOrEmpty(page.Metadata.ResourceVersion));
        }
        while (!string.IsNullOrEmpty(token));
        Assert.Equal(3, pages);
        Assert.Equal(Enumerable.Range(0, 25).Select(i => $"svc-{i:00}"), names);

        var first = await Client.ListAsync(KubeResources.Services, new ListOptions { Limit = 10 });
        await Client.CreateAsync(KubeResources.Services, Objects.Service("default", "later"));
        Server.ExpireResourceVersions();
        var ex = await Assert.ThrowsAsync<KubeResourceExpiredException>(() =>
            Client.ListAsync(KubeResources.Services, new ListOptions { Limit = 10, Continue = first.Metadata.Continue }));
        Assert.Equal(410, ex.StatusCode);
    }

    [Fact]
    public async Task Label_and_field_selectors_filter_lists()
    {
        await Client.CreateAsync(KubeResources.Services, Objects.Service("default", "web", new() { ["app"] = "web", ["tier"] = "front" }));
        await Client.CreateAsync(KubeResources.Services, Objects.Service("default", "db", new() { ["app"] = "db" }));
        await Client.CreateAsync(KubeResources.Services, Objects.Service("kube-system", "dns", new() { ["app"] = "dns" }, type: "ClusterIP"));
        async Task<string[]> Names(ListOptions o) => (await Client.ListAsync(KubeResources.Services, o)).Items.Select(s => s.Metadata.Name!).Order().ToArray();
        Assert.Equal(["web"], await Names(new ListOptions { LabelSelector = "app in (web,x),tier" }));
        Assert.Equal(["db", "dns"], await Names(new ListOptions { LabelSelector = "app!=web" }));
        Assert.Equal(["db", "web"], await Names(new ListOptions { Namespace = "default" }));
        Assert.Equal(["dns"], await Names(new ListOptions { FieldSelector = "metadata.namespace=kube-system" }));
        Assert.Equal(["db"], await Names(new ListOptions { FieldSelector = "metadata.name=db" }));
        Assert.Equal(["db"], await Names(new ListOptions { LabelSelector = LabelSelectorMatcher.Parse("!tier, app = db").ToString(), Namespace = "default" }));
    }

    [Fact]
    public async Task Server_errors_are_typed_with_the_Status_message()
    {
        Server.FailNext(1, 500, verb: "GET");
        var ex = await Assert.ThrowsAsync<KubeApiException>(() => Client.ListAsync(KubeResources.Services));
        Assert.Equal(500, ex.StatusCode);
        Assert.Equal("InternalError", ex.Reason);
        Assert.True(ex.IsTransient);
        Assert.Contains("injected fault", ex.Message);
        Assert.Equal("Failure", ex.Status!.Result);
    }

    [Fact]
    public async Task Too_many_requests_with_Retry_After_is_retried_then_surfaces_typed()
    {
        Server.FailNext(2, 429, verb: "GET", retryAfterSeconds: 0);
        var list = await Client.ListAsync(KubeResources.Namespaces);
        Assert.Contains(list.Items, n => n.Metadata.Name == "default");

        Server.FailNext(10, 429, verb: "GET", retryAfterSeconds: 0);
        var ex = await Assert.ThrowsAsync<KubeApiException>(() => Client.ListAsync(KubeResources.Namespaces));
        Assert.Equal(429, ex.StatusCode);
        Assert.Equal("TooManyRequests", ex.Reason);
        Assert.Equal(TimeSpan.Zero, ex.RetryAfter);
        Server.ClearFaults();
    }

    [Fact]
    public async Task Connection_refused_is_a_transport_error_not_a_bare_HttpRequestException()
    {
        var port = Server.Port;
        await Server.DisposeAsync();
        using var client = new KubeClient(new KubeClientOptions { Server = new Uri($"http://127.0.0.1:{port}") });
        var ex = await Assert.ThrowsAsync<KubeApiException>(() => client.GetAsync(KubeResources.Services, "default", "x"));
        Assert.Equal(0, ex.StatusCode);
        Assert.Equal(KubeApiException.TransportReason, ex.Reason);
        Assert.IsType<HttpRequestException>(ex.InnerException);
        Assert.True(ex.IsTransient);
        await Assert.ThrowsAsync<KubeApiException>(async () =>
        {
            await foreach (var _ in client.WatchAsync(KubeResources.Services)) { }
        });
    }

    [Fact]
    public async Task Request_timeout_applies_to_plain_requests()
    {
        Server.SetLatency(TimeSpan.FromSeconds(3), "/api/v1/namespaces/default/services/slow");
        using var client = new KubeClient(KubeClientOptions.FromKubeConfig(KubeconfigPath) is var o ? Tweak(o, TimeSpan.FromMilliseconds(300)) : null!);
        var ex = await Assert.ThrowsAsync<KubeApiException>(() => client.GetAsync(KubeResources.Services, "default", "slow"));
        Assert.Equal("Timeout", ex.Reason);
        Server.ClearFaults();
    }

    private static KubeClientOptions Tweak(KubeClientOptions o, TimeSpan timeout)
    {
        o.RequestTimeout = timeout;
        return o;
    }

    [Fact]
    public async Task Watch_streams_added_modified_deleted_from_a_resource_version()
    {
        var list = await Client.ListAsync(KubeResources.Services);
        using var cts = new CancellationTokenSource(Bound);
        var events = new List<string>();
        var watching = Task.Run(async () =>
        {
            await foreach (var ev in Client.WatchAsync(KubeResources.Services, new WatchOptions { ResourceVersion = list.Metadata.ResourceVersion, AllowWatchBookmarks = false }, cts.Token))
            {
                events.Add($"{ev.Type} {ev.Object!.Metadata.Name}");
                if (ev.Type == WatchEventTypes.Deleted) return;
            }
        });
        var svc = await Client.CreateAsync(KubeResources.Services, Objects.Service("default", "w"));
        svc.Metadata.Labels = new() { ["x"] = "1" };
        await Client.ReplaceAsync(KubeResources.Services, svc);
        await Client.DeleteAsync(KubeResources.Services, "default", "w");
        await watching.WaitAsync(Bound);
        Assert.Equal(["ADDED w", "MODIFIED w", "DELETED w"], events);
    }

    [Fact]
    public async Task Watch_resumes_from_a_resource_version_and_replays_what_was_missed()
    {
        var created = await Client.CreateAsync(KubeResources.Services, Objects.Service("default", "a"));
        await Client.CreateAsync(KubeResources.Services, Objects.Service("default", "b"));
        await Client.CreateAsync(KubeResources.Services, Objects.Service("default", "c"));
        using var cts = new CancellationTokenSource(Bound);
        var names = new List<string>();
        await foreach (var ev in Client.WatchAsync(KubeResources.Services, new WatchOptions { ResourceVersion = created.Metadata.ResourceVersion, AllowWatchBookmarks = false }, cts.Token))
        {
            names.Add(ev.Object!.Metadata.Name!);
            if (names.Count == 2) break;
        }
        Assert.Equal(["b", "c"], names);
    }

    [Fact]
    public async Task Watch_delivers_bookmarks_with_a_resource_version()
    {
        var list = await Client.ListAsync(KubeResources.Services);
        using var cts = new CancellationTokenSource(Bound);
        await foreach (var ev in Client.WatchAsync(KubeResources.Services, new WatchOptions { ResourceVersion = list.Metadata.ResourceVersion, AllowWatchBookmarks = true }, cts.Token))
        {
            Assert.Equal(WatchEventTypes.Bookmark, ev.Type);
            Assert.True(long.Parse(ev.Object!.Metadata.ResourceVersion!, System.Globalization.CultureInfo.InvariantCulture) >= long.Parse(list.Metadata.ResourceVersion!, System.Globalization.CultureInfo.InvariantCulture));
            break;
        }
    }

    [Fact]
    public async Task Watch_from_an_expired_resource_version_throws_the_typed_expired_signal()
    {
        var list = await Client.ListAsync(KubeResources.Services);
        await Client.CreateAsync(KubeResources.Services, Objects.Service("default", "a"));
        Server.ExpireResourceVersions();
        var ex = await Assert.ThrowsAsync<KubeResourceExpiredException>(async () =>
        {
            await foreach (var _ in Client.WatchAsync(KubeResources.Services, new WatchOptions { ResourceVersion = list.Metadata.ResourceVersion })) { }
        });
        Assert.Equal(410, ex.StatusCode);
        Assert.NotNull(ex.Status);
    }

    [Fact]
    public async Task Server_timeoutSeconds_ends_the_stream_cleanly()
    {
        var started = DateTime.UtcNow;
        var count = 0;
        await foreach (var _ in Client.WatchAsync(KubeResources.Services, new WatchOptions { TimeoutSeconds = 1, AllowWatchBookmarks = false }).WithCancellation(new CancellationTokenSource(Bound).Token))
            count++;
        Assert.Equal(0, count);
        Assert.True(DateTime.UtcNow - started >= TimeSpan.FromSeconds(0.9));
    }

    [Fact]
    public async Task A_quiet_watch_outlives_the_request_timeout()
    {
        var options = KubeClientOptions.FromKubeConfig(KubeconfigPath);
        options.RequestTimeout = TimeSpan.FromMilliseconds(300);
        using var client = new KubeClient(options);
        var list = await client.ListAsync(KubeResources.Services);
        using var cts = new CancellationTokenSource(Bound);
        var watching = Task.Run(async () =>
        {
            await foreach (var ev in client.WatchAsync(KubeResources.Services, new WatchOptions { ResourceVersion = list.Metadata.ResourceVersion, AllowWatchBookmarks = false }, cts.Token))
                return ev.Object!.Metadata.Name;
            return null;
        });
        await Task.Delay(TimeSpan.FromSeconds(1)); // real time on purpose: longer than the request timeout
        Assert.False(watching.IsCompleted);
        await Client.CreateAsync(KubeResources.Services, Objects.Service("default", "late"));
        Assert.Equal("late", await watching.WaitAsync(Bound));
    }

    [Fact]
    public async Task A_dropped_watch_stream_surfaces_as_a_typed_transport_error()
    {
        var list = await Client.ListAsync(KubeResources.Services);
        using var cts = new CancellationTokenSource(Bound);
        var watching = Task.Run(async () =>
        {
            await foreach (var _ in Client.WatchAsync(KubeResources.Services, new WatchOptions { ResourceVersion = list.Metadata.ResourceVersion, AllowWatchBookmarks = false }, cts.Token)) { }
        });
        await Eventually.True(() => Server.OpenWatchCount == 1, "watch open");
        Server.DropWatches();
        try
        {
            await watching.WaitAsync(Bound);
        }
        catch (KubeApiException ex)
        {
            Assert.Equal(0, ex.StatusCode); // a reset connection; a clean end is also acceptable
        }
    }

    [Fact]
    public async Task Custom_resources_through_their_own_json_context()
    {
        Server.ApplyYaml(Widgets.Crd);
        var w = await Client.CreateAsync(Widgets.Type, new Widget { Metadata = new ObjectMeta { Name = "w1", Namespace = "default" }, Spec = new WidgetSpec { Size = 3, Color = "blue" } });
        Assert.Equal(3, w.Spec!.Size);
        var status = await Client.PatchStatusAsync(Widgets.Type, "default", "w1", KubePatch.Merge("""{"status":{"phase":"Ready"}}"""));
        Assert.Equal("Ready", status.Status!.Phase);
        var list = await Client.ListAsync(Widgets.Type, new ListOptions { Namespace = "default" });
        Assert.Equal("w1", Assert.Single(list.Items).Metadata.Name);
        await Assert.ThrowsAsync<ArgumentException>(() => Client.PatchAsync(Widgets.Type, "default", "w1", KubePatch.StrategicMerge("{}")));
        await Client.DeleteAsync(Widgets.Type, "default", "w1");
        await Assert.ThrowsAsync<KubeNotFoundException>(() => Client.GetAsync(Widgets.Type, "default", "w1"));
    }

    [Fact]
    public void Watch_line_type_is_peeked_without_materializing_the_object()
    {
        Assert.Equal("ERROR", KubeClient.PeekType("""{"object":{"kind":"Status","status":"Failure"},"type":"ERROR"}"""u8));
        Assert.Equal("ADDED", KubeClient.PeekType("""{"type":"ADDED","object":{}}"""u8));
        Assert.Null(KubeClient.PeekType("""[1,2]"""u8));
        Assert.Null(KubeClient.PeekType(""u8));
        Assert.Null(KubeClient.PeekType("{\"type\":"u8));
    }
}
