using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace LoadBalancer.Speaker.Hosting;

/// <summary>
/// <c>/metrics</c> (Prometheus text), <c>/healthz</c> (the reconcile loop is running) and <c>/readyz</c> (caches synced
/// and one full round done) on <see cref="SpeakerOptions.MetricsAddress"/>. A small Kestrel of its own, so the speaker
/// host stays a plain generic host.
/// </summary>
internal sealed class SpeakerHttpServer(SpeakerOptions options, LoadBalancer.Model.Diagnostics.PrometheusMetricsCollector exporter, SpeakerReconciler reconciler, IClusterView view,
    ILoggerFactory loggers) : IHostedService, IAsyncDisposable
{
    private WebApplication? _app;

    /// <summary>The bound address (port 0 in tests resolves here).</summary>
    public Uri? Address { get; private set; }

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        if (options.MetricsAddress is not { } ep) return;
        var builder = WebApplication.CreateSlimBuilder();
        builder.Services.AddSingleton(loggers);
        builder.WebHost.ConfigureKestrel(k => k.Listen(ep));
        builder.Logging.ClearProviders();
        _app = builder.Build();
        _app.Run(HandleAsync);
        await _app.StartAsync(cancellationToken).ConfigureAwait(false);
        Address = new Uri(_app.Urls.First());
    }

    private Task HandleAsync(HttpContext context)
    {
        var (status, type, body) = context.Request.Path.Value switch
        {
            "/metrics" => (200, "text/plain; version=0.0.4; charset=utf-8", exporter.Collect()),
            "/healthz" => reconciler.ExecuteTask is { IsCompleted: true } ? (503, "text/plain", "reconcile loop stopped\n") : (200, "text/plain", "ok\n"),
            "/readyz" => view.IsSynced && reconciler.Rounds > 0 ? (200, "text/plain", "ok\n") : (503, "text/plain", "caches not synced yet\n"),
            _ => (404, "text/plain", "not found\n"),
        };
        context.Response.StatusCode = status;
        context.Response.ContentType = type;
        return context.Response.WriteAsync(body);
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        if (_app is not null) await _app.StopAsync(cancellationToken).ConfigureAwait(false);
    }

    public async ValueTask DisposeAsync()
    {
        if (_app is not null) await _app.DisposeAsync().ConfigureAwait(false);
    }
}
