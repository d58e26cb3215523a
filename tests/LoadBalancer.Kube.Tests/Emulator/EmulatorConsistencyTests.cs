using System.Net;
using System.Text.Json.Nodes;

namespace LoadBalancer.Kube.Tests.Emulator;

/// <summary>
/// A minimal list+watch reflector over raw HTTP, run while objects change and the emulator drops watch streams and
/// expires resourceVersions in a loop: its cache must end identical to the server (nothing lost, nothing stale).
/// Proves the emulator's resume / 410 / continue semantics hold together; the client library's informer has its
/// own version of this test.
/// </summary>
public sealed class EmulatorConsistencyTests : EmulatorTest
{
    private const string Path = "/api/v1/namespaces/default/configmaps";

    private sealed class Reflector(RawApi api)
    {
        public Dictionary<string, string> Cache { get; } = [];

        public long LastRv { get; private set; }

        public int Relists { get; private set; }

        public int Rewatches { get; private set; }

        public readonly Lock Gate = new();

        private async Task ListAsync()
        {
            var fresh = new Dictionary<string, string>();
            string? token = null;
            long rv = 0;
            do
            {
                var r = await api.GetAsync(Path + "?limit=7" + (token is null ? "" : "&continue=" + Uri.EscapeDataString(token)));
                if (r.Code == HttpStatusCode.Gone)
                {
                    token = null;
                    fresh.Clear();
                    continue;
                }
                Assert.Equal(HttpStatusCode.OK, r.Code);
                foreach (var item in r.Object["items"]!.AsArray())
                    fresh[item!["metadata"]!["name"]!.GetValue<string>()] = item["metadata"]!["resourceVersion"]!.GetValue<string>();
                rv = long.Parse(r.Object["metadata"]!["resourceVersion"]!.GetValue<string>());
                token = r.Object["metadata"]!["continue"]?.GetValue<string>();
            }
            while (token is not null);
            lock (Gate)
            {
                Cache.Clear();
                foreach (var (k, v) in fresh) Cache[k] = v;
                LastRv = rv;
            }
            Relists++;
        }

        public async Task RunAsync(CancellationToken ct)
        {
            await ListAsync();
            while (!ct.IsCancellationRequested)
            {
                WatchStream w;
                try
                {
                    w = await api.WatchAsync($"{Path}?watch=true&allowWatchBookmarks=true&timeoutSeconds=5&resourceVersion={LastRv}");
                }
                catch (HttpRequestException)
                {
                    // Dropped before the response started: the connection was reset, as a real network can do.
                    Rewatches++;
                    continue;
                }
                using var stream = w;
                Rewatches++;
                while (!ct.IsCancellationRequested)
                {
                    var e = await w.NextAsync();
                    if (e is null) break;
                    var type = e["type"]!.GetValue<string>();
                    var obj = e["object"]!;
                    if (type == "ERROR")
                    {
                        Assert.Equal(410, obj["code"]!.GetValue<int>());
                        await ListAsync();
                        break;
                    }
                    var rv = long.Parse(obj["metadata"]!["resourceVersion"]!.GetValue<string>());
                    lock (Gate)
                    {
                        if (type != "BOOKMARK")
                        {
                            Assert.True(rv > LastRv, $"event {type} at {rv} not after {LastRv}");
                            var name = obj["metadata"]!["name"]!.GetValue<string>();
                            if (type == "DELETED") Cache.Remove(name);
                            else Cache[name] = rv.ToString(System.Globalization.CultureInfo.InvariantCulture);
                        }
                        LastRv = Math.Max(LastRv, rv);
                    }
                }
            }
        }
    }

    [Fact]
    public async Task A_list_watch_cache_ends_identical_to_the_server_under_dropped_watches_and_expiry()
    {
        var reflector = new Reflector(Api);
        using var stop = new CancellationTokenSource();
        var running = Task.Run(() => reflector.RunAsync(stop.Token));

        var random = new Random(42);
        for (var round = 0; round < 40; round++)
        {
            for (var i = 0; i < 10; i++)
            {
                var name = "cm-" + random.Next(30);
                var existing = Server.Get("v1", "ConfigMap", "default", name);
                switch (random.Next(3))
                {
                    case 0 when existing is null:
                        Server.Create(RawApi.ConfigMap(name));
                        break;
                    case 1 when existing is not null:
                        Server.Patch("v1", "ConfigMap", "default", name, new JsonObject { ["data"] = new JsonObject { ["r"] = round + "-" + i } });
                        break;
                    case 2 when existing is not null:
                        Server.Delete("v1", "ConfigMap", "default", name);
                        break;
                }
            }
            if (round % 3 == 0)
            {
                // Let the reflector get its watch open, then cut it.
                var open = DateTime.UtcNow.AddSeconds(10);
                while (Server.OpenWatchCount == 0 && DateTime.UtcNow < open && !running.IsCompleted) await Task.Delay(5);
                Server.DropWatches();
            }
            if (round % 7 == 0) Server.ExpireResourceVersions();
            await Task.Yield();
        }

        var expected = Server.List("v1", "ConfigMap", "default")
            .ToDictionary(o => o["metadata"]!["name"]!.GetValue<string>(), o => o["metadata"]!["resourceVersion"]!.GetValue<string>());
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (DateTime.UtcNow < deadline)
        {
            lock (reflector.Gate)
            {
                if (reflector.Cache.Count == expected.Count && expected.All(kv => reflector.Cache.TryGetValue(kv.Key, out var v) && v == kv.Value)) break;
            }
            Assert.False(running.IsFaulted, running.Exception?.ToString());
            await Task.Delay(20);
        }
        await stop.CancelAsync();
        Server.DropWatches();
        await running.WaitAsync(TimeSpan.FromSeconds(20));
        lock (reflector.Gate)
        {
            Assert.Equal(expected.OrderBy(kv => kv.Key), reflector.Cache.OrderBy(kv => kv.Key));
        }
        Assert.True(reflector.Rewatches > 5, $"the watch was dropped only {reflector.Rewatches - 1} times");
        Assert.True(reflector.Relists > 1, "never relisted after expiry");
    }
}
