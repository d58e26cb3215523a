using LoadBalancer.TestKit.ApiServer;

namespace LoadBalancer.Kube.Tests.Emulator;

/// <summary>One emulator and one raw HTTP client per test.</summary>
public abstract class EmulatorTest : IAsyncLifetime, IDisposable
{
    private RawApi? _api;
    private KubeApiServer? _server;

    internal KubeApiServer Server => _server ?? throw new InvalidOperationException("not started");

    internal RawApi Api => _api ?? throw new InvalidOperationException("not started");

    protected virtual KubeApiServerOptions Options => new();

    public async Task InitializeAsync()
    {
        _server = await KubeApiServer.StartAsync(Options);
        _api = new RawApi(_server);
        await OnStartedAsync();
    }

    protected virtual Task OnStartedAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        if (_server is not null) await _server.DisposeAsync();
    }

    public void Dispose()
    {
        Dispose(true);
        GC.SuppressFinalize(this);
    }

    protected virtual void Dispose(bool disposing)
    {
        if (disposing) _api?.Dispose();
    }
}
