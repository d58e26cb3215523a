using LoadBalancer.TestKit.ApiServer;
using LoadBalancer.TestKit.Net;

namespace LoadBalancer.Kube.Tests.Emulator;

/// <summary>The real kubectl against an emulator: its own kubeconfig and discovery cache in a temp directory.</summary>
internal sealed class Kubectl : IDisposable
{
    private readonly string _dir;

    public Kubectl(KubeApiServer server)
    {
        _dir = Path.Combine(Path.GetTempPath(), "lb-kubectl-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(_dir);
        KubeconfigPath = server.WriteKubeconfig(Path.Combine(_dir, "kubeconfig"));
    }

    public string KubeconfigPath { get; }

    /// <summary>Writes a file into the scratch directory and returns its path.</summary>
    public string Write(string name, string text)
    {
        var path = Path.Combine(_dir, name);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, text);
        return path;
    }

    public Task<ProcessResult> RunAsync(params string[] args) =>
        ProcessRunner.RunAsync("kubectl", ["--kubeconfig", KubeconfigPath, "--cache-dir", Path.Combine(_dir, "cache"), .. args], TimeSpan.FromSeconds(60));

    /// <summary>Runs kubectl and returns stdout; fails the test with stderr when kubectl fails.</summary>
    public async Task<string> OkAsync(params string[] args)
    {
        var r = await RunAsync(args);
        Assert.True(r.ExitCode == 0, $"kubectl {string.Join(' ', args)} exited {r.ExitCode}:\n{r.StandardError}\n{r.StandardOutput}");
        return r.StandardOutput;
    }

    public void Dispose()
    {
        try
        {
            Directory.Delete(_dir, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
