using System.Globalization;
using System.Text.Json.Nodes;
using LoadBalancer.Kube;
using LoadBalancer.Kube.Api;
using LoadBalancer.TestKit.ApiServer;

namespace LoadBalancer.Benchmarks.Kube;

/// <summary>
/// The cores of the Kube benchmarks, shared with a smoke test in LoadBalancer.Kube.Tests (linked source) that
/// runs them at a tiny size so they keep working.
/// </summary>
internal static class KubeScenarios
{
    public static JsonObject ServiceJson(string ns, string name) => new()
    {
        ["apiVersion"] = "v1",
        ["kind"] = "Service",
        ["metadata"] = new JsonObject { ["name"] = name, ["namespace"] = ns, ["labels"] = new JsonObject { ["app"] = name } },
        ["spec"] = new JsonObject
        {
            ["type"] = "LoadBalancer",
            ["ports"] = new JsonArray(new JsonObject { ["name"] = "http", ["port"] = 80, ["protocol"] = "TCP" }),
        },
    };

    /// <summary>Seeds <paramref name="count"/> Services in "default" in one go.</summary>
    public static int SeedServices(KubeApiServer server, int count, string prefix = "svc")
        => server.Seed(Enumerable.Range(0, count).Select(i => ServiceJson("default", prefix + i.ToString(CultureInfo.InvariantCulture))));

    public static KubeClient Client(KubeApiServer server) => new(new KubeClientOptions { Server = server.BaseAddress });

    /// <summary>An informer's initial sync (paged list into the cache); returns the cached count.</summary>
    public static async Task<int> InitialSyncAsync(IKubeClient client, int pageSize, CancellationToken cancellationToken = default)
    {
        await using var informer = new Informer<V1Service>(client, KubeResources.Services, new InformerOptions { Namespace = "default", PageSize = pageSize });
        informer.Start(cancellationToken);
        await informer.ReadyAsync(cancellationToken).ConfigureAwait(false);
        return informer.Count;
    }

    /// <summary>Namespace of the watch history (the server must create it: ExtraNamespaces).</summary>
    public const string WatchNamespace = "watched";

    /// <summary>Writes <paramref name="count"/> creations in <see cref="WatchNamespace"/> to the server's history; returns the resourceVersion before them.</summary>
    public static string MakeWatchHistory(KubeApiServer server, int count, string prefix)
    {
        var from = server.ResourceVersion.ToString(CultureInfo.InvariantCulture);
        for (var i = 0; i < count; i++) server.Create(ServiceJson(WatchNamespace, prefix + i.ToString(CultureInfo.InvariantCulture)));
        return from;
    }

    /// <summary>Watches from <paramref name="fromResourceVersion"/> and consumes <paramref name="count"/> events (decoded).</summary>
    public static async Task<int> ConsumeWatchAsync(IKubeClient client, string fromResourceVersion, int count, CancellationToken cancellationToken = default)
    {
        var seen = 0;
        await foreach (var ev in client.WatchAsync(KubeResources.Services, new WatchOptions { Namespace = WatchNamespace, ResourceVersion = fromResourceVersion, AllowWatchBookmarks = false }, cancellationToken)
            .ConfigureAwait(false))
        {
            if (ev.Type == WatchEventTypes.Bookmark) continue;
            if (++seen == count) break;
        }
        return seen;
    }
}
