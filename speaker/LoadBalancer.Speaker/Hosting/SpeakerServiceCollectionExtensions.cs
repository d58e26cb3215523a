using LoadBalancer.Kube;
using LoadBalancer.Speaker.Announcing;
using LoadBalancer.Speaker.Bgp;
using LoadBalancer.Speaker.DataPlane;
using LoadBalancer.Speaker.DataPlane.Health;
using LoadBalancer.Speaker.Layer2;
using LoadBalancer.Speaker.Liveness;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace LoadBalancer.Speaker.Hosting;

/// <summary>
/// The one place the speaker is composed. <see cref="AddSpeaker"/> registers the host (Kube client, caches, Lease,
/// reconciler, status, events, metrics endpoint) and <see cref="AddSpeakerBackEnds"/> the four back ends behind their
/// contracts. Every registration is a TryAdd: whatever is registered before (a test's recording fake, another
/// implementation) wins.
/// </summary>
internal static class SpeakerServiceCollectionExtensions
{
    public static IServiceCollection AddSpeaker(this IServiceCollection services, SpeakerOptions options)
    {
        services.AddSingleton(options);
        services.TryAddSingleton(TimeProvider.System);
        services.AddMetrics();
        services.TryAddSingleton<SpeakerMetrics>();
        services.TryAddSingleton(_ => new LoadBalancer.Model.Diagnostics.PrometheusMetricsCollector(i => i.Meter.Name.StartsWith("LoadBalancer.", StringComparison.Ordinal)));
        services.TryAddSingleton(_ => new SpeakerLiveness(options.NodeName, options.LeaseDuration));
        services.TryAddSingleton<IKubeClient>(sp => CreateClient(options, sp.GetRequiredService<ILoggerFactory>()));
        services.TryAddSingleton<KubeClusterView>();
        services.TryAddSingleton<IClusterView>(sp => sp.GetRequiredService<KubeClusterView>());
        services.TryAddSingleton<ILeaseHolder>(sp => new KubeLeaseHolder(sp.GetRequiredService<IKubeClient>(), options, sp.GetRequiredService<TimeProvider>()));
        services.TryAddSingleton<IAnnouncementStatusWriter>(sp => new KubeStatusWriter(sp.GetRequiredService<IKubeClient>(), options));
        services.TryAddSingleton(sp => new EventRecorder(sp.GetRequiredService<IKubeClient>(),
            new EventRecorderOptions { ReportingController = "lb.baremetal.dev/speaker", ReportingInstance = options.NodeName },
            sp.GetRequiredService<TimeProvider>(), sp.GetRequiredService<ILoggerFactory>().CreateLogger("LoadBalancer.Speaker.Events")));
        services.TryAddSingleton<IServiceEventSink>(sp => new KubeEventSink(sp.GetRequiredService<EventRecorder>()));
        services.AddSpeakerBackEnds(options);
        services.TryAddSingleton<SpeakerReconciler>();
        services.TryAddSingleton<SpeakerHttpServer>();

        // Hosted services start in this order and stop in reverse: caches, then the loop, then HTTP.
        services.AddSingleton<IHostedService>(sp => sp.GetRequiredService<IClusterView>() as IHostedService ?? NoopHostedService.Instance);
        services.AddSingleton<IHostedService>(sp => sp.GetRequiredService<SpeakerReconciler>());
        services.AddSingleton<IHostedService>(sp => sp.GetRequiredService<SpeakerHttpServer>());
        return services;
    }

    private static NftDataPlaneOptions DataPlaneOptions(SpeakerOptions options)
    {
        var dataPlane = new NftDataPlaneOptions { Mode = options.DataPlane };
        foreach (var cidr in options.PodCidrs) dataPlane.PodCidrs.Add(cidr);
        foreach (var ip in options.NodeIps) dataPlane.NodeIps.Add(ip);
        return dataPlane;
    }

    /// <summary>
    /// The back ends: Layer 2 <see cref="Layer2Announcer"/> (or <see cref="DisabledLayer2Announcer"/> with --layer2 off),
    /// BGP <see cref="BgpAnnouncer"/> (told nothing with --bgp off), data plane <see cref="NftDataPlane"/> (mode from
    /// --dataplane, with the healthCheckNodePort server) and <see cref="PeerProber"/> (or <see cref="LeaseOnlyPeerProber"/>
    /// without a probe key).
    /// </summary>
    public static IServiceCollection AddSpeakerBackEnds(this IServiceCollection services, SpeakerOptions options)
    {
        if (options.Layer2)
        {
            services.TryAddSingleton<ILayer2Announcer>(sp => new Layer2Announcer(Options.Create(new Layer2AnnouncerOptions()),
                sp.GetRequiredService<ILogger<Layer2Announcer>>(), sp.GetRequiredService<TimeProvider>(), sp.GetRequiredService<System.Diagnostics.Metrics.IMeterFactory>()));
        }
        else
        {
            services.TryAddSingleton<ILayer2Announcer, DisabledLayer2Announcer>();
        }
        services.TryAddSingleton<IBgpAnnouncer>(sp => new BgpAnnouncer(sp.GetRequiredService<ILoggerFactory>(), sp.GetRequiredService<TimeProvider>(),
            sp.GetRequiredService<System.Diagnostics.Metrics.IMeterFactory>(), new BgpAnnouncerOptions { ListenPort = options.BgpListenPort }));
        services.TryAddSingleton(sp => new HealthCheckServer(sp.GetRequiredService<ILogger<HealthCheckServer>>(), new HealthCheckServerOptions()));
        services.TryAddSingleton<IDataPlane>(sp => new NftDataPlane(sp.GetRequiredService<ILogger<NftDataPlane>>(), sp.GetRequiredService<TimeProvider>(),
            sp.GetRequiredService<System.Diagnostics.Metrics.IMeterFactory>(), DataPlaneOptions(options),
            options.DataPlane == DataPlaneMode.Nftables ? sp.GetRequiredService<HealthCheckServer>() : null));
        services.TryAddSingleton<IPeerProber>(sp =>
        {
            var key = File.Exists(options.ProbeKeyFile) ? File.ReadAllBytes(options.ProbeKeyFile) : [];
            if (key.Length < 16)
            {
                sp.GetRequiredService<ILoggerFactory>().CreateLogger("LoadBalancer.Speaker.Liveness")
                    .LogWarning("No probe key at {Path} (at least 16 bytes): peer probing is off, liveness comes from Leases only", options.ProbeKeyFile);
                return new LeaseOnlyPeerProber();
            }
            return new PeerProber(Options.Create(new PeerProberOptions { NodeName = options.NodeName, Key = key, Port = options.ProbePort }),
                sp.GetRequiredService<ILogger<PeerProber>>(), sp.GetRequiredService<TimeProvider>(), sp.GetRequiredService<System.Diagnostics.Metrics.IMeterFactory>());
        });
        return services;
    }

    private static KubeClient CreateClient(SpeakerOptions options, ILoggerFactory loggers)
    {
        var clientOptions = options.Kubeconfig is { } path ? KubeClientOptions.FromKubeConfig(path) : KubeClientOptions.InCluster();
        // Names the component in the API server's audit log and to API priority and fairness.
        clientOptions.UserAgent = $"loadbalancer-speaker/{typeof(SpeakerOptions).Assembly.GetName().Version?.ToString(3)}";
        return new KubeClient(clientOptions, loggers);
    }

    private sealed class NoopHostedService : IHostedService
    {
        public static NoopHostedService Instance { get; } = new();

        public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

        public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    }
}
