using System.Diagnostics;
using System.Text.Json.Nodes;
using LoadBalancer.Controller.Hosting;
using LoadBalancer.TestKit.ApiServer;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace LoadBalancer.Benchmarks.Controller;

/// <summary>
/// Scenario: N Services of type LoadBalancer are created Pending in the API server emulator; the real controller host
/// (over HTTP) takes them all to assigned. Then the controller restarts and must change nothing (every Service keeps
/// its IP and its resourceVersion). Used by the benchmark (N = 10,000) and by a test (same N).
/// </summary>
internal static class ControllerScaleScenario
{
    internal sealed record Result(int Services, TimeSpan ToAssigned, TimeSpan RestartToReady, TimeSpan RestartToIdle, long PeakRssBytes,
        long RssAfterRestartBytes, int IpsChangedByRestart, int ObjectsWrittenByRestart, long RequestsDuringAssign);

    public static async Task<Result> RunAsync(int services, string repoRoot, TextWriter? log = null, int timeoutSeconds = 600)
    {
        await using var server = await KubeApiServer.StartAsync(new KubeApiServerOptions { ExtraNamespaces = [.. Enumerable.Range(0, 50).Select(i => $"ns-{i:D2}")] }).WaitAsync(TimeSpan.FromSeconds(30)).ConfigureAwait(false);
        foreach (var file in Directory.GetFiles(Path.Combine(repoRoot, "manifests", "crds"), "*.yaml").Order(StringComparer.Ordinal))
            server.ApplyYaml(await File.ReadAllTextAsync(file).ConfigureAwait(false));
        // 198.18.0.0/15 is the benchmarking range (RFC 2544); nothing is sent on any network here.
        server.ApplyYaml("""
            apiVersion: lb.baremetal.dev/v1beta1
            kind: IPAddressPool
            metadata: {name: bench, namespace: loadbalancer-system}
            spec: {addresses: [198.18.0.0/15]}
            """);
        server.Seed(Enumerable.Range(0, services).Select(i => new JsonObject
        {
            ["apiVersion"] = "v1",
            ["kind"] = "Service",
            ["metadata"] = new JsonObject { ["name"] = $"svc-{i:D6}", ["namespace"] = $"ns-{i % 50:D2}" },
            ["spec"] = new JsonObject
            {
                ["type"] = "LoadBalancer",
                ["allocateLoadBalancerNodePorts"] = false, // 10,000 Services would exhaust the NodePort range
                ["selector"] = new JsonObject { ["app"] = $"a{i}" },
                ["ports"] = new JsonArray((JsonNode)new JsonObject { ["port"] = 80, ["protocol"] = "TCP" }),
            },
        }));
        var dir = Directory.CreateTempSubdirectory("lb-controller-bench-").FullName;
        try
        {
            var kubeconfig = Path.Combine(dir, "kubeconfig");
            server.WriteKubeconfig(kubeconfig);
            var sw = Stopwatch.StartNew();
            var requests0 = server.RequestCount;
            long peak = 0;
            var host = await StartAsync(kubeconfig, "bench-1").ConfigureAwait(false);
            IReadOnlyDictionary<string, (string Ip, string Rv)> assigned;
            try
            {
                assigned = await WaitAsync(() =>
                {
                    peak = Math.Max(peak, Environment.WorkingSet);
                    var map = Snapshot(server);
                    return map.Count == services ? map : null;
                }, timeoutSeconds).ConfigureAwait(false);
                await WaitAsync(() => Idle(host) ? "" : null, timeoutSeconds).ConfigureAwait(false);
            }
            finally
            {
                await host.StopAsync().WaitAsync(TimeSpan.FromSeconds(30)).ConfigureAwait(false);
                host.Dispose();
            }
            var toAssigned = sw.Elapsed;
            var requests = server.RequestCount - requests0;
            log?.WriteLine($"{services} Services assigned in {toAssigned.TotalSeconds:F1} s ({requests} API requests), peak RSS {peak / 1048576} MiB");
            // Settle, then restart: the new controller must write nothing.
            assigned = Snapshot(server);
            sw.Restart();
            var second = await StartAsync(kubeconfig, "bench-2").ConfigureAwait(false);
            try
            {
                await WaitAsync(() => second.Services.GetRequiredService<ControllerState>().IsReady ? "" : null, timeoutSeconds).ConfigureAwait(false);
                var toReady = sw.Elapsed;
                await WaitAsync(() => Idle(second) ? "" : null, timeoutSeconds).ConfigureAwait(false);
                var toIdle = sw.Elapsed;
                var after = Snapshot(server);
                var changedIps = assigned.Count(kv => !after.TryGetValue(kv.Key, out var a) || a.Ip != kv.Value.Ip);
                var written = assigned.Count(kv => !after.TryGetValue(kv.Key, out var a) || a.Rv != kv.Value.Rv);
                var rss = Environment.WorkingSet;
                log?.WriteLine($"restart: ready in {toReady.TotalSeconds:F1} s, idle in {toIdle.TotalSeconds:F1} s, {changedIps} IPs changed, {written} Services written, RSS {rss / 1048576} MiB");
                return new Result(services, toAssigned, toReady, toIdle, peak, rss, changedIps, written, requests);
            }
            finally
            {
                await second.StopAsync().WaitAsync(TimeSpan.FromSeconds(30)).ConfigureAwait(false);
                second.Dispose();
            }
        }
        finally
        {
            try
            {
                Directory.Delete(dir, recursive: true);
            }
            catch (IOException)
            {
            }
        }
    }

    private static bool Idle(IHost host)
    {
        var state = host.Services.GetRequiredService<ControllerState>();
        return state.IsReady && state.Reconciler is { Backlog: 0 };
    }

    private static Dictionary<string, (string Ip, string Rv)> Snapshot(KubeApiServer server)
    {
        var map = new Dictionary<string, (string, string)>(StringComparer.Ordinal);
        foreach (var s in server.List("v1", "Service"))
        {
            if (s["status"]?["loadBalancer"]?["ingress"] is JsonArray { Count: > 0 } ing)
                map[$"{s["metadata"]!["namespace"]}/{s["metadata"]!["name"]}"] = (ing[0]!["ip"]!.GetValue<string>(), s["metadata"]!["resourceVersion"]!.GetValue<string>());
        }
        return map;
    }

    private static async Task<IHost> StartAsync(string kubeconfig, string identity)
    {
        var options = ControllerOptions.Parse(["--kubeconfig", kubeconfig, "--leader-elect", "false", "--metrics-address", "", "--identity", identity],
            _ => null, out var error) ?? throw new InvalidOperationException(error);
        var host = ControllerHost.Build(options, s => s.AddLogging(l => l.AddFilter(level => level >= LogLevel.Warning)));
        await host.StartAsync().WaitAsync(TimeSpan.FromSeconds(30)).ConfigureAwait(false);
        return host;
    }

    private static async Task<T> WaitAsync<T>(Func<T?> probe, int seconds) where T : class
    {
        var deadline = Stopwatch.StartNew();
        while (true)
        {
            if (probe() is { } v) return v;
            if (deadline.Elapsed > TimeSpan.FromSeconds(seconds)) throw new TimeoutException($"the scenario did not finish within {seconds}s");
            await Task.Delay(1000).ConfigureAwait(false);
        }
    }
}
