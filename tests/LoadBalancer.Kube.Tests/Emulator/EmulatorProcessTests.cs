using System.Diagnostics;
using LoadBalancer.TestKit.Net;

namespace LoadBalancer.Kube.Tests.Emulator;

/// <summary>tests/LoadBalancer.Emulator run as its own process, the way the sandbox runs it.</summary>
public sealed class EmulatorProcessTests
{
    private static readonly SemaphoreSlim BuildGate = new(1, 1);

    /// <summary>The emulator's dll for this configuration; built once if the solution build did not produce it.</summary>
    private static async Task<string> EmulatorDllAsync()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "LoadBalancer.slnx"))) dir = dir.Parent;
        Assert.True(dir is not null, "repository root (LoadBalancer.slnx) not found above " + AppContext.BaseDirectory);
        var configuration = AppContext.BaseDirectory.Contains($"{Path.DirectorySeparatorChar}Release{Path.DirectorySeparatorChar}", StringComparison.Ordinal) ? "Release" : "Debug";
        var project = Path.Combine(dir!.FullName, "tests", "LoadBalancer.Emulator");
        var dll = Path.Combine(project, "bin", configuration, "net10.0", "LoadBalancer.Emulator.dll");
        await BuildGate.WaitAsync();
        try
        {
            if (!File.Exists(dll))
                (await ProcessRunner.RunAsync("dotnet", ["build", project, "-c", configuration, "--nologo", "-v", "q"], TimeSpan.FromMinutes(5))).EnsureSuccess();
        }
        finally
        {
            BuildGate.Release();
        }
        Assert.True(File.Exists(dll), dll + " missing after build");
        return dll;
    }

    [Fact]
    public async Task Runs_as_a_process_prints_ready_serves_kubectl_and_exits_cleanly_on_SIGTERM()
    {
        var dll = await EmulatorDllAsync();
        var dir = Path.Combine(Path.GetTempPath(), "lb-emulator-proc-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dir);
        var kubeconfig = Path.Combine(dir, "kubeconfig");
        var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in new[] { dll, "--listen", "0.0.0.0:0", "--advertise-address", "127.0.0.1", "--kubeconfig-out", kubeconfig, "--https", "--token", "proc-token", "--namespace", "speakers" })
            psi.ArgumentList.Add(a);
        using var process = Process.Start(psi)!;
        try
        {
            var ready = await process.StandardOutput.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(60));
            Assert.NotNull(ready);
            Assert.Matches(@"^ready https://127\.0\.0\.1:\d+$", ready);
            var text = await File.ReadAllTextAsync(kubeconfig);
            Assert.Contains("server: " + ready!["ready ".Length..], text, StringComparison.Ordinal);

            var ns = await ProcessRunner.RunAsync("kubectl", ["--kubeconfig", kubeconfig, "--cache-dir", Path.Combine(dir, "cache"), "get", "ns", "speakers", "-o", "name"], TimeSpan.FromSeconds(60));
            Assert.Equal("namespace/speakers", ns.EnsureSuccess().StandardOutput.Trim());

            (await ProcessRunner.RunAsync("kill", ["-TERM", process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)], TimeSpan.FromSeconds(10))).EnsureSuccess();
            await process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(30));
            Assert.Equal(0, process.ExitCode);
        }
        finally
        {
            if (!process.HasExited) process.Kill(entireProcessTree: true);
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public async Task Bad_arguments_exit_2_with_usage()
    {
        var dll = await EmulatorDllAsync();
        var r = await ProcessRunner.RunAsync("dotnet", [dll, "--listen", "nonsense"], TimeSpan.FromSeconds(60));
        Assert.Equal(2, r.ExitCode);
        Assert.Contains("usage: LoadBalancer.Emulator", r.StandardError, StringComparison.Ordinal);
    }
}
