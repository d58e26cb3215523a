using System.Text.Json.Nodes;
using LoadBalancer.Speaker.Hosting;
using LoadBalancer.Speaker.Announcing;
using LoadBalancer.TestKit.ApiServer;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace LoadBalancer.Speaker.Tests.Hosting;

/// <summary>One speaker host in-process, with recording back ends, talking to the emulator through a real kubeconfig.</summary>
internal sealed class SpeakerNode : IAsyncDisposable
{
    public required string Name { get; init; }
    public required IHost Host { get; init; }
    public required RecordingLayer2 Layer2 { get; init; }
    public required RecordingBgp Bgp { get; init; }
    public required RecordingDataPlane DataPlane { get; init; }
    public required FakeProber Prober { get; init; }
    public SpeakerReconciler Reconciler => Host.Services.GetRequiredService<SpeakerReconciler>();
    public bool Disposed { get; private set; }

    /// <summary>Clean stop (SIGTERM): withdraw and release the Lease.</summary>
    public async Task StopAsync()
    {
        await Host.StopAsync(CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(20));
        await DisposeAsync();
    }

    /// <summary>Crash: the process is gone without withdrawing or releasing anything.</summary>
    public async Task KillAsync() => await DisposeAsync();

    public async ValueTask DisposeAsync()
    {
        if (Disposed) return;
        Disposed = true;
        if (Host is IAsyncDisposable a) await a.DisposeAsync();
        else Host.Dispose();
    }
}

/// <summary>The API server emulator with our CRDs, three nodes and three speakers.</summary>
internal sealed class SpeakerCluster : IAsyncDisposable
{
    public const string Ns = "loadbalancer-system";
    private readonly string _kubeconfig = Path.Combine(Path.GetTempPath(), $"speaker-test-{Guid.NewGuid():N}.yaml");

    public required KubeApiServer Server { get; init; }
    public List<SpeakerNode> Speakers { get; } = [];

    public SpeakerNode this[string name] => Speakers.Single(s => s.Name == name);

    public static async Task<SpeakerCluster> StartAsync(string config, TimeSpan? leaseDuration = null, params string[] nodes)
    {
        var server = await KubeApiServer.StartAsync().WaitAsync(TimeSpan.FromSeconds(30));
        var cluster = new SpeakerCluster { Server = server };
        server.WriteKubeconfig(cluster._kubeconfig);
        foreach (var crd in Directory.GetFiles(Path.Combine(RepoRoot(), "manifests", "crds"), "*.yaml").Order(StringComparer.Ordinal))
            server.ApplyYaml(await File.ReadAllTextAsync(crd));
        foreach (var n in nodes)
        {
            server.ApplyYaml($$"""
                apiVersion: v1
                kind: Node
                metadata:
                  name: {{n}}
                  labels:
                    kubernetes.io/hostname: {{n}}
                """);
        }
        server.ApplyYaml(config);
        foreach (var n in nodes) await cluster.StartSpeakerAsync(n, leaseDuration ?? TimeSpan.FromSeconds(30));
        return cluster;
    }

    public async Task<SpeakerNode> StartSpeakerAsync(string node, TimeSpan leaseDuration)
    {
        var options = new SpeakerOptions
        {
            NodeName = node,
            Namespace = Ns,
            Kubeconfig = _kubeconfig,
            MetricsAddress = null,
            LeaseDuration = leaseDuration,
            RenewPeriod = leaseDuration / 4,
            ProbeKeyFile = "/nonexistent",
        };
        var builder = Microsoft.Extensions.Hosting.Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        builder.Logging.AddProvider(new CapturingLoggerProvider(node));
        var s = new SpeakerNode
        {
            Name = node,
            Layer2 = new RecordingLayer2(),
            Bgp = new RecordingBgp(),
            DataPlane = new RecordingDataPlane(),
            Prober = new FakeProber(),
            Host = null!,
        };
        builder.Services.AddSingleton<ILayer2Announcer>(s.Layer2);
        builder.Services.AddSingleton<IBgpAnnouncer>(s.Bgp);
        builder.Services.AddSingleton<IDataPlane>(s.DataPlane);
        builder.Services.AddSingleton<IPeerProber>(s.Prober);
        builder.Services.AddSpeaker(options);
        var host = builder.Build();
        var started = new SpeakerNode { Name = node, Host = host, Layer2 = s.Layer2, Bgp = s.Bgp, DataPlane = s.DataPlane, Prober = s.Prober };
        await host.StartAsync().WaitAsync(TimeSpan.FromSeconds(20));
        Speakers.Add(started);
        return started;
    }

    public static string RepoRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "LoadBalancer.slnx"))) dir = dir.Parent;
        return dir?.FullName ?? throw new InvalidOperationException("repository root (LoadBalancer.slnx) not found above " + AppContext.BaseDirectory);
    }

    /// <summary>Polls <paramref name="condition"/> until true or the deadline; the message says what was awaited.</summary>
    public static Task WaitForAsync(Func<bool> condition, string what, TimeSpan? timeout = null) => WaitForAsync(condition, () => what, timeout);

    public static async Task WaitForAsync(Func<bool> condition, Func<string> what, TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(20));
        while (!condition())
        {
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"timed out waiting for: {what()}\n" + string.Join("\n", CapturingLoggerProvider.Lines.TakeLast(15)));
            await Task.Delay(20);
        }
    }

    public void SetServiceIp(string ns, string name, string ip, string pool = "public")
    {
        Server.Patch("v1", "Service", ns, name, new JsonObject
        {
            ["metadata"] = new JsonObject { ["annotations"] = new JsonObject { ["lb.baremetal.dev/ip-allocated-from-pool"] = pool } },
        });
        Server.Patch("v1", "Service", ns, name, new JsonObject
        {
            ["status"] = new JsonObject { ["loadBalancer"] = new JsonObject { ["ingress"] = new JsonArray(new JsonObject { ["ip"] = ip }) } },
        }, status: true);
    }

    public IReadOnlyList<JsonObject> Announcements() => Server.List("lb.baremetal.dev/v1beta1", "ServiceAnnouncement", Ns);

    public IReadOnlyList<JsonObject> Events(string ns = "default") => Server.List("events.k8s.io/v1", "Event", ns);

    public async ValueTask DisposeAsync()
    {
        foreach (var s in Speakers) await s.DisposeAsync();
        await Server.DisposeAsync();
        File.Delete(_kubeconfig);
    }
}
