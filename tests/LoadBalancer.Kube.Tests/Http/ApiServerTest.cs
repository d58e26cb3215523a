using LoadBalancer.TestKit.ApiServer;

namespace LoadBalancer.Kube.Tests.Http;

/// <summary>One emulator (real HTTP on 127.0.0.1) and one <see cref="KubeClient"/> made from its kubeconfig file, per test.</summary>
public abstract class ApiServerTest : IAsyncLifetime
{
    private KubeApiServer? _server;
    private KubeClient? _client;
    private string? _dir;

    internal KubeApiServer Server => _server ?? throw new InvalidOperationException("not started");
    internal KubeClient Client => _client ?? throw new InvalidOperationException("not started");
    internal string KubeconfigPath => Path.Combine(_dir!, "kubeconfig");

    protected virtual KubeApiServerOptions ServerOptions => new() { BookmarkInterval = TimeSpan.FromMilliseconds(200) };

    public async Task InitializeAsync()
    {
        _server = await KubeApiServer.StartAsync(ServerOptions);
        _dir = Directory.CreateTempSubdirectory("kube-client-test-").FullName;
        _server.WriteKubeconfig(KubeconfigPath);
        _client = KubeClient.FromKubeConfig(KubeconfigPath);
    }

    public async Task DisposeAsync()
    {
        _client?.Dispose();
        if (_server is not null) await _server.DisposeAsync();
        if (_dir is not null) Directory.Delete(_dir, recursive: true);
    }
}
