using System.Text.Json.Nodes;
using LoadBalancer.Controller.Hosting;
using LoadBalancer.TestKit.ApiServer;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace LoadBalancer.Controller.Tests.Integration;

/// <summary>
/// The API server emulator with our CRDs installed, plus helpers to start real controller hosts against it over HTTP
/// (kubeconfig, like a user would run it) and to read results back as a user would.
/// </summary>
internal sealed class ControllerHarness : IAsyncDisposable
{
    private readonly List<IHost> _hosts = [];
    private readonly string _dir;

    private ControllerHarness(KubeApiServer server, string dir)
    {
        Server = server;
        _dir = dir;
        KubeconfigPath = Path.Combine(dir, "kubeconfig");
        server.WriteKubeconfig(KubeconfigPath);
    }

    public KubeApiServer Server { get; }
    public string KubeconfigPath { get; }

    public static async Task<ControllerHarness> StartAsync()
    {
        var server = await KubeApiServer.StartAsync().WaitAsync(TimeSpan.FromSeconds(30));
        var dir = Directory.CreateTempSubdirectory("lb-controller-test-").FullName;
        var crds = Path.Combine(RepoRoot(), "manifests", "crds");
        foreach (var file in Directory.GetFiles(crds, "*.yaml").Order(StringComparer.Ordinal))
            server.ApplyYaml(await File.ReadAllTextAsync(file));
        return new ControllerHarness(server, dir);
    }

    public static string RepoRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "LoadBalancer.slnx"))) dir = dir.Parent;
        return dir?.FullName ?? throw new InvalidOperationException("cannot find the repository root (LoadBalancer.slnx)");
    }

    /// <summary>Starts a controller host; short Lease timings so failover tests stay fast.</summary>
    public async Task<IHost> StartControllerAsync(string identity, bool leaderElect = true)
    {
        var options = ControllerOptions.Parse(
            ["--kubeconfig", KubeconfigPath, "--namespace", "loadbalancer-system", "--metrics-address", "127.0.0.1:0",
             "--identity", identity, "--leader-elect", leaderElect ? "true" : "false",
             "--lease-duration", "3s", "--renew-deadline", "2s", "--retry-period", "250ms"],
            _ => null, out var error) ?? throw new InvalidOperationException(error);
        var host = ControllerHost.Build(options, s => s.AddLogging(l => l.AddFilter(level => level >= Microsoft.Extensions.Logging.LogLevel.Warning)));
        await host.StartAsync().WaitAsync(TimeSpan.FromSeconds(30));
        _hosts.Add(host);
        return host;
    }

    public static ControllerState State(IHost host) => host.Services.GetRequiredService<ControllerState>();

    public static async Task StopAsync(IHost host)
    {
        await host.StopAsync().WaitAsync(TimeSpan.FromSeconds(30));
        host.Dispose();
    }

    public void Apply(string yaml) => Server.ApplyYaml(yaml);

    public JsonObject? Service(string ns, string name) => Server.Get("v1", "Service", ns, name);

    public static IReadOnlyList<string> IngressIPs(JsonObject? svc)
        => (svc?["status"]?["loadBalancer"]?["ingress"] as JsonArray ?? []).Select(i => i?["ip"]?.GetValue<string>() ?? "").ToList();

    public static string? Annotation(JsonObject? obj, string key) => obj?["metadata"]?["annotations"]?[key]?.GetValue<string>();

    public IReadOnlyList<(string Reason, string Note, string Regarding)> Events(string ns)
        => Server.List("events.k8s.io/v1", "Event", ns)
            .Select(e => (e["reason"]?.GetValue<string>() ?? "", e["note"]?.GetValue<string>() ?? "", $"{e["regarding"]?["kind"]}/{e["regarding"]?["name"]}"))
            .ToList();

    public JsonObject? Pool(string name) => Server.Get("lb.baremetal.dev/v1beta1", "IPAddressPool", "loadbalancer-system", name);

    /// <summary>Polls a condition with a deadline (the host runs on real time).</summary>
    public static async Task<T> EventuallyAsync<T>(Func<T?> probe, string what, int seconds = 30) where T : class
    {
        var deadline = DateTime.UtcNow.AddSeconds(seconds);
        while (true)
        {
            if (probe() is { } v) return v;
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"timed out after {seconds}s waiting for {what}");
            await Task.Delay(50);
        }
    }

    public static Task EventuallyAsync(Func<bool> probe, string what, int seconds = 30)
        => EventuallyAsync(() => probe() ? "" : null, what, seconds);

    public static string ServiceYaml(string name, string ns = "default", string annotations = "", string extraSpec = "", string ports = "[{port: 80, protocol: TCP}]")
        => $$"""
            apiVersion: v1
            kind: Service
            metadata:
              name: {{name}}
              namespace: {{ns}}
              annotations: {{{annotations}}}
            spec:
              type: LoadBalancer
              selector: {app: {{name}}}
              ports: {{ports}}
              {{extraSpec}}
            """;

    public async ValueTask DisposeAsync()
    {
        foreach (var h in _hosts)
        {
            try
            {
                await h.StopAsync().WaitAsync(TimeSpan.FromSeconds(30));
            }
            catch (ObjectDisposedException)
            {
            }
            h.Dispose();
        }
        await Server.DisposeAsync();
        try
        {
            Directory.Delete(_dir, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}

