using System.Diagnostics;
using System.Net.Http.Headers;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace LoadBalancer.TestKit.ApiServer;

/// <summary>What one load run measured.</summary>
public sealed record LoadResult(int Count, TimeSpan Elapsed)
{
    public double PerSecond => Count / Math.Max(Elapsed.TotalSeconds, 1e-9);
}

/// <summary>
/// The cores of the emulator benchmarks (tests/LoadBalancer.Benchmarks/Emulator) and of their smoke tests:
/// seeding Services, a client-go-style paged initial list over HTTP, and watch throughput with fan-out.
/// </summary>
public static class EmulatorLoad
{
    /// <summary>A LoadBalancer Service as the controller sees them (no node ports, so 10,000 fit).</summary>
    public static JsonObject Service(int i, string ns = "default") => new()
    {
        ["apiVersion"] = "v1",
        ["kind"] = "Service",
        ["metadata"] = new JsonObject
        {
            ["name"] = $"svc-{i:D6}",
            ["namespace"] = ns,
            ["labels"] = new JsonObject { ["app"] = $"app-{i % 100}" },
            ["annotations"] = new JsonObject { ["lb.baremetal.dev/pool"] = "default" },
        },
        ["spec"] = new JsonObject
        {
            ["type"] = "LoadBalancer",
            ["allocateLoadBalancerNodePorts"] = false,
            ["selector"] = new JsonObject { ["app"] = $"app-{i % 100}" },
            ["ports"] = new JsonArray(new JsonObject { ["name"] = "http", ["port"] = 80, ["targetPort"] = 8080 }),
        },
    };

    /// <summary>Seeds <paramref name="count"/> Services through the store (one lock).</summary>
    public static LoadResult Seed(KubeApiServer server, int count)
    {
        var sw = Stopwatch.StartNew();
        var n = server.Seed(Enumerable.Range(0, count).Select(i => Service(i)));
        return new LoadResult(n, sw.Elapsed);
    }

    /// <summary>Lists every Service over HTTP in pages of <paramref name="pageSize"/> (client-go's informer uses 500) and parses them.</summary>
    public static async Task<LoadResult> InitialListAsync(KubeApiServer server, int pageSize = 500, CancellationToken cancellationToken = default)
    {
        using var http = server.CreateHttpClient();
        var sw = Stopwatch.StartNew();
        var count = 0;
        string? token = null;
        do
        {
            var url = $"/api/v1/services?limit={pageSize}" + (token is null ? "" : "&continue=" + Uri.EscapeDataString(token));
            using var response = await http.GetAsync(url, cancellationToken).ConfigureAwait(false);
            response.EnsureSuccessStatusCode();
            await using var stream = await response.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
            using var doc = await JsonDocument.ParseAsync(stream, default, cancellationToken).ConfigureAwait(false);
            count += doc.RootElement.GetProperty("items").GetArrayLength();
            token = doc.RootElement.GetProperty("metadata").TryGetProperty("continue", out var c) ? c.GetString() : null;
        }
        while (!string.IsNullOrEmpty(token));
        return new LoadResult(count, sw.Elapsed);
    }

    /// <summary>
    /// Opens <paramref name="watchers"/> watches on Services, writes <paramref name="events"/> Service creations, and
    /// measures until every watcher has read every event (events/s counts deliveries per watcher).
    /// </summary>
    public static async Task<LoadResult> WatchThroughputAsync(KubeApiServer server, int events, int watchers, int offset = 1_000_000,
        CancellationToken cancellationToken = default)
    {
        using var http = server.CreateHttpClient();
        var rv = server.ResourceVersion;
        var streams = new List<(HttpResponseMessage Response, StreamReader Reader)>();
        try
        {
            for (var w = 0; w < watchers; w++)
            {
                using var request = new HttpRequestMessage(HttpMethod.Get, $"/api/v1/services?watch=true&resourceVersion={rv}");
                request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("application/json"));
                var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken).ConfigureAwait(false);
                response.EnsureSuccessStatusCode();
                streams.Add((response, new StreamReader(await response.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false))));
            }
            var sw = Stopwatch.StartNew();
            var writer = Task.Run(() => server.Seed(Enumerable.Range(offset, events).Select(i => Service(i))), cancellationToken);
            var readers = streams.Select(s => Task.Run(async () =>
            {
                for (var i = 0; i < events; i++)
                {
                    var line = await s.Reader.ReadLineAsync(cancellationToken).ConfigureAwait(false)
                        ?? throw new InvalidOperationException($"watch ended after {i} of {events} events");
                    if (!line.StartsWith("{\"type\":\"ADDED\"", StringComparison.Ordinal)) throw new InvalidOperationException("unexpected event " + line[..Math.Min(80, line.Length)]);
                }
            }, cancellationToken)).ToList();
            await writer.ConfigureAwait(false);
            await Task.WhenAll(readers).ConfigureAwait(false);
            return new LoadResult(events * watchers, sw.Elapsed);
        }
        finally
        {
            foreach (var (response, reader) in streams)
            {
                reader.Dispose();
                response.Dispose();
            }
        }
    }
}
