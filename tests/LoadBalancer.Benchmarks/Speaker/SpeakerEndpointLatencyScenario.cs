using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text.Json.Nodes;
using LoadBalancer.Kube;
using LoadBalancer.Kube.Api;
using LoadBalancer.Speaker.Announcing;
using LoadBalancer.Speaker.Hosting;
using LoadBalancer.TestKit.ApiServer;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace LoadBalancer.Benchmarks.Speaker;

/// <summary>
/// Issue #4, "the time from an EndpointSlice change to the handler being told (p50/p99) through the emulator":
/// <c>dotnet run -c Release --project tests/LoadBalancer.Benchmarks -- scenario speakerendpointlatency [--services N] [--changes K]</c>.
/// </summary>
/// <remarks>
/// The API server emulator over real HTTP holds N Layer 2 Services (externalTrafficPolicy Cluster, IPs already assigned,
/// the IPs of <see cref="PlannerScenarios.ServiceIp"/>: data only, nothing is sent) with one ready endpoint each. One real
/// speaker host (informers, Lease, planner, status and Events over HTTP) runs with a recording Layer 2 handler; BGP and the
/// data plane are off. Once it announces all N IPs and has written their N ServiceAnnouncements, K EndpointSlice changes
/// are written one after another through the HTTP client, alternately removing the ready endpoint of a Service (its IP
/// must leave the desired set) and putting it back (the IP must return). Each change is timed from just before the write
/// to the moment the handler is given a desired set that reflects it. Also linked into LoadBalancer.Speaker.Tests
/// (smoke test at a tiny size), so this file must not depend on BenchmarkDotNet.
/// </remarks>
public static class SpeakerEndpointLatencyScenario
{
    public const string Node = "bench-node";
    private const string Ns = "loadbalancer-system";

    public sealed record Result(int Services, int Changes, TimeSpan ToAnnounced, TimeSpan ToIdle, double P50Ms, double P99Ms, double MaxMs, double MeanMs);

    public static int Run(string[] args)
    {
        var services = Arg(args, "--services", 1_000);
        var changes = Arg(args, "--changes", 200);
        var r = RunAsync(services, changes, RepoRoot(), Console.Out).GetAwaiter().GetResult();
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"RESULT services={r.Services} changes={r.Changes} p50={r.P50Ms:F1}ms p99={r.P99Ms:F1}ms max={r.MaxMs:F1}ms mean={r.MeanMs:F1}ms startup-announced={r.ToAnnounced.TotalSeconds:F1}s startup-idle={r.ToIdle.TotalSeconds:F1}s"));
        return r.Changes == changes ? 0 : 1;
    }

    private static int Arg(string[] args, string name, int fallback)
    {
        var i = Array.IndexOf(args, name);
        return i >= 0 && i + 1 < args.Length && int.TryParse(args[i + 1], NumberStyles.Integer, CultureInfo.InvariantCulture, out var v) ? v : fallback;
    }

    public static string RepoRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "LoadBalancer.slnx"))) return dir.FullName;
        throw new InvalidOperationException("repository root (LoadBalancer.slnx) not found above " + AppContext.BaseDirectory);
    }

    public static async Task<Result> RunAsync(int services, int changes, string repoRoot, TextWriter? log = null, int timeoutSeconds = 900)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(services, 1);
        await using var server = await KubeApiServer.StartAsync(new KubeApiServerOptions { ExtraNamespaces = [.. Enumerable.Range(0, 50).Select(Namespace)] })
            .WaitAsync(TimeSpan.FromSeconds(30)).ConfigureAwait(false);
        foreach (var file in Directory.GetFiles(Path.Combine(repoRoot, "manifests", "crds"), "*.yaml").Order(StringComparer.Ordinal))
            server.ApplyYaml(await File.ReadAllTextAsync(file).ConfigureAwait(false));
        server.ApplyYaml($$"""
            apiVersion: v1
            kind: Node
            metadata: { name: {{Node}}, labels: { kubernetes.io/hostname: {{Node}} } }
            ---
            apiVersion: lb.baremetal.dev/v1beta1
            kind: IPAddressPool
            metadata: { name: {{PlannerScenarios.PoolName}}, namespace: {{Ns}} }
            spec: { addresses: ["203.0.113.0/24", "198.18.0.0/15"] }
            ---
            apiVersion: lb.baremetal.dev/v1beta1
            kind: L2Advertisement
            metadata: { name: all, namespace: {{Ns}} }
            spec: {}
            """);
        server.Seed(Enumerable.Range(0, services).Select(ServiceObject));
        server.Seed(Enumerable.Range(0, services).Select(i => SliceObject(i, ready: true)));

        var dir = Directory.CreateTempSubdirectory("lb-speaker-bench-").FullName;
        var kubeconfig = server.WriteKubeconfig(Path.Combine(dir, "kubeconfig"));
        var handler = new RecordingLayer2();
        var sw = Stopwatch.StartNew();
        var host = BuildHost(kubeconfig, handler);
        await host.StartAsync().WaitAsync(TimeSpan.FromSeconds(30)).ConfigureAwait(false);
        try
        {
            var timeout = TimeSpan.FromSeconds(timeoutSeconds);
            await WaitAsync(() => handler.Count == services, timeout, $"the handler to be told all {services} IPs").ConfigureAwait(false);
            var toAnnounced = sw.Elapsed;
            await WaitAsync(() => server.List("lb.baremetal.dev/v1beta1", "ServiceAnnouncement", Ns).Count == services, timeout,
                $"{services} ServiceAnnouncements").ConfigureAwait(false);
            var toIdle = sw.Elapsed;
            log?.WriteLine($"{services} Services: all IPs told to the handler in {toAnnounced.TotalSeconds:F1} s, {services} ServiceAnnouncements written in {toIdle.TotalSeconds:F1} s");

            using var client = KubeClient.FromKubeConfig(kubeconfig);
            var current = new Dictionary<int, V1EndpointSlice>();
            var latencies = new List<double>(changes);
            var writes = new List<double>(changes);
            var reconciler = host.Services.GetRequiredService<SpeakerReconciler>();
            var rounds0 = reconciler.Rounds;
            for (var k = 0; k < changes; k++)
            {
                // Pairs on one Service (remove its endpoint, then put it back), spread over all Services.
                var i = (int)((k / 2L * 7919) % services);
                var ready = k % 2 == 1;
                var ip = PlannerScenarios.ServiceIp(i);
                if (!current.TryGetValue(i, out var slice))
                    slice = await client.GetAsync(KubeResources.EndpointSlices, Namespace(i % 50), SliceName(i)).ConfigureAwait(false);
                slice.Endpoints = ready ? [ReadyEndpoint(i)] : [];
                var told = handler.Expect(desired => desired.Contains(ip) == ready);
                var start = Stopwatch.GetTimestamp();
                current[i] = await client.ReplaceAsync(KubeResources.EndpointSlices, slice).ConfigureAwait(false);
                writes.Add(Stopwatch.GetElapsedTime(start).TotalMilliseconds);
                var at = await told.WaitAsync(TimeSpan.FromSeconds(60)).ConfigureAwait(false);
                latencies.Add(Stopwatch.GetElapsedTime(start, at).TotalMilliseconds);
            }
            latencies.Sort();
            writes.Sort();
            var rounds = reconciler.Rounds - rounds0;
            var result = new Result(services, latencies.Count, toAnnounced, toIdle, Percentile(latencies, 0.50), Percentile(latencies, 0.99),
                latencies[^1], latencies.Average());
            log?.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{changes} EndpointSlice changes, write -> handler told: p50 {result.P50Ms:F1} ms, p99 {result.P99Ms:F1} ms, max {result.MaxMs:F1} ms, mean {result.MeanMs:F1} ms "
                + $"(the write itself, PUT to response: p50 {Percentile(writes, 0.5):F1} ms, p99 {Percentile(writes, 0.99):F1} ms; {rounds} reconcile rounds)"));
            return result;
        }
        finally
        {
            await host.StopAsync().WaitAsync(TimeSpan.FromSeconds(60)).ConfigureAwait(false);
            host.Dispose();
            try
            {
                Directory.Delete(dir, recursive: true);
            }
            catch (IOException)
            {
            }
        }
    }

    /// <summary>Nearest-rank percentile of a sorted list.</summary>
    private static double Percentile(List<double> sorted, double p) => sorted[Math.Clamp((int)Math.Ceiling(p * sorted.Count) - 1, 0, sorted.Count - 1)];

    private static IHost BuildHost(string kubeconfig, RecordingLayer2 handler)
    {
        var options = new SpeakerOptions
        {
            NodeName = Node,
            Namespace = Ns,
            Kubeconfig = kubeconfig,
            MetricsAddress = null,
            DataPlane = LoadBalancer.Speaker.DataPlane.DataPlaneMode.Off,
            Bgp = false,
            ProbeKeyFile = "/nonexistent",
        };
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Logging.AddFilter(level => level >= LogLevel.Warning);
        builder.Services.AddSingleton<ILayer2Announcer>(handler);
        builder.Services.AddSingleton<IDataPlane>(new NoDataPlane());
        builder.Services.AddSpeaker(options);
        return builder.Build();
    }

    private static string Namespace(int i) => $"ns-{i:D2}";

    private static string ServiceName(int i) => $"svc-{i:D6}";

    private static string SliceName(int i) => ServiceName(i) + "-abc";

    private static JsonObject ServiceObject(int i) => new()
    {
        ["apiVersion"] = "v1",
        ["kind"] = "Service",
        ["metadata"] = new JsonObject
        {
            ["name"] = ServiceName(i),
            ["namespace"] = Namespace(i % 50),
            ["annotations"] = new JsonObject { ["lb.baremetal.dev/ip-allocated-from-pool"] = PlannerScenarios.PoolName },
        },
        ["spec"] = new JsonObject
        {
            ["type"] = "LoadBalancer",
            ["externalTrafficPolicy"] = "Cluster",
            ["allocateLoadBalancerNodePorts"] = false,
            ["selector"] = new JsonObject { ["app"] = $"a{i}" },
            ["ports"] = new JsonArray((JsonNode)new JsonObject { ["name"] = "http", ["port"] = 80, ["protocol"] = "TCP", ["targetPort"] = 8080 }),
        },
        ["status"] = new JsonObject
        {
            ["loadBalancer"] = new JsonObject { ["ingress"] = new JsonArray((JsonNode)new JsonObject { ["ip"] = PlannerScenarios.ServiceIp(i).ToString() }) },
        },
    };

    private static JsonObject SliceObject(int i, bool ready) => new()
    {
        ["apiVersion"] = "discovery.k8s.io/v1",
        ["kind"] = "EndpointSlice",
        ["metadata"] = new JsonObject
        {
            ["name"] = SliceName(i),
            ["namespace"] = Namespace(i % 50),
            ["labels"] = new JsonObject { [V1EndpointSlice.ServiceNameLabel] = ServiceName(i) },
        },
        ["addressType"] = "IPv4",
        ["ports"] = new JsonArray((JsonNode)new JsonObject { ["name"] = "http", ["port"] = 8080, ["protocol"] = "TCP" }),
        ["endpoints"] = ready
            ? new JsonArray((JsonNode)new JsonObject
            {
                ["addresses"] = new JsonArray(PodIp(i)),
                ["nodeName"] = Node,
                ["conditions"] = new JsonObject { ["ready"] = true },
            })
            : new JsonArray(),
    };

    private static Endpoint ReadyEndpoint(int i) => new() { Addresses = [PodIp(i)], NodeName = Node, Conditions = new EndpointConditions { Ready = true } };

    /// <summary>Pod addresses from 198.18.0.0/15's upper half (the Service IPs use the lower part): data only.</summary>
    private static string PodIp(int i) => new IPAddress([198, 19, (byte)((i >> 8) & 0xFF), (byte)(i & 0xFF)]).ToString();

    private static async Task WaitAsync(Func<bool> condition, TimeSpan timeout, string what)
    {
        var sw = Stopwatch.StartNew();
        while (!condition())
        {
            if (sw.Elapsed > timeout) throw new TimeoutException($"timed out after {timeout.TotalSeconds:0} s waiting for {what}");
            await Task.Delay(20).ConfigureAwait(false);
        }
    }

    /// <summary>The Layer 2 handler: keeps the last desired set and completes the pending expectation with the time it was told.</summary>
    private sealed class RecordingLayer2 : ILayer2Announcer
    {
        private readonly object _gate = new();
        private HashSet<IPAddress> _desired = [];
        private (Func<HashSet<IPAddress>, bool> Predicate, TaskCompletionSource<long> Told)? _expect;

        public int Count { get { lock (_gate) return _desired.Count; } }

        public IReadOnlyCollection<AnnounceFailure> Failures => [];

        public event Action? FailuresChanged { add { } remove { } }

        /// <summary>The next desired set for which <paramref name="predicate"/> holds completes the task with its Stopwatch timestamp.</summary>
        public Task<long> Expect(Func<HashSet<IPAddress>, bool> predicate)
        {
            var tcs = new TaskCompletionSource<long>(TaskCreationOptions.RunContinuationsAsynchronously);
            lock (_gate) _expect = (predicate, tcs);
            return tcs.Task;
        }

        public ValueTask SetDesiredAsync(IReadOnlyCollection<Layer2Announcement> desired, CancellationToken cancellationToken)
        {
            var now = Stopwatch.GetTimestamp();
            var set = desired.Select(d => d.Ip).ToHashSet();
            lock (_gate)
            {
                _desired = set;
                if (_expect is { } e && e.Predicate(set))
                {
                    _expect = null;
                    e.Told.TrySetResult(now);
                }
            }
            return ValueTask.CompletedTask;
        }
    }

    private sealed class NoDataPlane : IDataPlane
    {
        public ValueTask SyncAsync(DataPlaneSnapshot snapshot, CancellationToken cancellationToken) => ValueTask.CompletedTask;
    }
}
