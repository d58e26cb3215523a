using LoadBalancer.Controller.Diagnostics;
using LoadBalancer.Kube;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace LoadBalancer.Controller.Hosting;

/// <summary>Explicit composition of the controller process (Program.cs calls this; tests start it in-process).</summary>
internal static class ControllerHost
{
    public static IHost Build(ControllerOptions options, Action<IServiceCollection>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Logging.AddSimpleConsole(o =>
        {
            o.SingleLine = true;
            o.TimestampFormat = "yyyy-MM-ddTHH:mm:ss.fffZ ";
            o.UseUtcTimestamp = true;
        });
        builder.Logging.SetMinimumLevel(LogLevel.Information);
        builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = TimeSpan.FromSeconds(20));
        builder.Services.AddMetrics();
        builder.Services.AddSingleton(options);
        builder.Services.AddSingleton(TimeProvider.System);
        builder.Services.TryAddSingleton<IKubeClient>(sp =>
        {
            var loggers = sp.GetRequiredService<ILoggerFactory>();
            var clientOptions = options.Kubeconfig is { } path ? KubeClientOptions.FromKubeConfig(path) : KubeClientOptions.InCluster();
            // Names the component in the API server's audit log and to API priority and fairness.
            clientOptions.UserAgent = $"loadbalancer-controller/{typeof(ControllerHost).Assembly.GetName().Version?.ToString(3)}";
            return new KubeClient(clientOptions, loggers);
        });
        builder.Services.AddSingleton<ControllerMetrics>();
        builder.Services.AddSingleton<ControllerState>();
        builder.Services.AddSingleton<HealthServer>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<HealthServer>());
        builder.Services.AddHostedService<ControllerService>();
        configure?.Invoke(builder.Services);
        return builder.Build();
    }
}
