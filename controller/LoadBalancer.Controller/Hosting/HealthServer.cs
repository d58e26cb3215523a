using System.Diagnostics.Metrics;
using LoadBalancer.Model.Diagnostics;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace LoadBalancer.Controller.Hosting;

/// <summary>A small Kestrel endpoint: <c>/metrics</c> (Prometheus text), <c>/healthz</c>, <c>/readyz</c>.</summary>
internal sealed class HealthServer(ControllerOptions options, ControllerState state, IMeterFactory meterFactory) : IHostedService, IAsyncDisposable
{
    private WebApplication? _app;
    private PrometheusMetricsCollector? _collector;

    /// <summary>The bound address (useful with port 0), null when disabled.</summary>
    public Uri? Address { get; private set; }

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        if (options.MetricsAddress.Length == 0) return;
        if (!ControllerOptions.TryParseAddress(options.MetricsAddress, out var ip, out var port))
            throw new InvalidOperationException($"--metrics-address \"{options.MetricsAddress}\" is not HOST:PORT");
        // Our meters (scoped to this host's factory) and the Kube library's.
        _collector = new PrometheusMetricsCollector(i => ReferenceEquals(i.Meter.Scope, meterFactory) || i.Meter.Name.StartsWith("LoadBalancer.Kube", StringComparison.Ordinal));
        var builder = WebApplication.CreateEmptyBuilder(new WebApplicationOptions());
        builder.WebHost.UseKestrelCore();
        builder.WebHost.ConfigureKestrel(k => k.Listen(ip, port));
        builder.Logging.ClearProviders();
        _app = builder.Build();
        var collector = _collector;
        _app.Run(async ctx =>
        {
            switch (ctx.Request.Path.Value)
            {
                case "/metrics":
                    ctx.Response.ContentType = "text/plain; version=0.0.4; charset=utf-8";
                    await ctx.Response.WriteAsync(collector.Collect(), ctx.RequestAborted).ConfigureAwait(false);
                    break;
                case "/healthz":
                    ctx.Response.StatusCode = state.IsHealthy ? 200 : 500;
                    await ctx.Response.WriteAsync(state.IsHealthy ? "ok\n" : "the controller loop died\n", ctx.RequestAborted).ConfigureAwait(false);
                    break;
                case "/readyz":
                    ctx.Response.StatusCode = state.IsReady ? 200 : 503;
                    await ctx.Response.WriteAsync(state.IsReady ? (state.IsLeading ? "ok: leading\n" : "ok: standby\n") : "not ready: caches syncing or assignments being restored\n", ctx.RequestAborted).ConfigureAwait(false);
                    break;
                default:
                    ctx.Response.StatusCode = 404;
                    break;
            }
        });
        await _app.StartAsync(cancellationToken).ConfigureAwait(false);
        var bound = _app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()?.Addresses.FirstOrDefault();
        if (bound is not null) Address = new Uri(bound.Replace("0.0.0.0", "127.0.0.1", StringComparison.Ordinal).Replace("[::]", "[::1]", StringComparison.Ordinal));
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        if (_app is not null) await _app.StopAsync(cancellationToken).ConfigureAwait(false);
    }

    public async ValueTask DisposeAsync()
    {
        if (_app is not null) await _app.DisposeAsync().ConfigureAwait(false);
        _collector?.Dispose();
    }
}
