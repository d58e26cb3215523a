using System.Diagnostics;
using System.Text;

namespace LoadBalancer.TestKit.Net;

/// <summary>The outcome of one finished command.</summary>
public sealed record ProcessResult(string Command, int ExitCode, string StandardOutput, string StandardError)
{
    public ProcessResult EnsureSuccess()
    {
        if (ExitCode != 0)
            throw new InvalidOperationException($"`{Command}` exited {ExitCode}: {StandardError.Trim()} {StandardOutput.Trim()}".Trim());
        return this;
    }
}

/// <summary>Runs external tools (ip, nft, birdc, arping...) with a bound on time. Tests use it, never Process directly.</summary>
public static class ProcessRunner
{
    /// <summary>Which Debian package provides each tool the tests use, so a missing tool fails with what to install.</summary>
    private static readonly Dictionary<string, string> Packages = new()
    {
        ["ip"] = "iproute2", ["bridge"] = "iproute2", ["nft"] = "nftables", ["bird"] = "bird2", ["birdc"] = "bird2",
        ["vtysh"] = "frr", ["gobgpd"] = "gobgpd", ["gobgp"] = "gobgpd", ["exabgp"] = "exabgp", ["arping"] = "arping",
        ["ndisc6"] = "ndisc6", ["tcpdump"] = "tcpdump", ["conntrack"] = "conntrack", ["ping"] = "iputils-ping",
        ["socat"] = "socat", ["kubectl"] = "kubectl (preinstalled on this machine kind)", ["curl"] = "curl",
    };

    /// <summary>Absolute path of <paramref name="tool"/>, or an exception that names the tool and its package.</summary>
    public static string Require(string tool)
    {
        if (Path.IsPathRooted(tool)) return File.Exists(tool) ? tool : throw Missing(tool);
        foreach (var dir in (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':').Concat(["/usr/sbin", "/sbin", "/usr/lib/frr"]))
        {
            var candidate = Path.Combine(dir, tool);
            if (File.Exists(candidate)) return candidate;
        }
        throw Missing(tool);
    }

    private static InvalidOperationException Missing(string tool)
    {
        var name = Path.GetFileName(tool);
        var package = Packages.TryGetValue(name, out var p) ? p : name;
        return new InvalidOperationException($"This test needs the tool `{name}`, which is not installed: apt-get install {package} (.ci/run installs it).");
    }

    public static async Task<ProcessResult> RunAsync(string tool, IEnumerable<string> arguments, TimeSpan? timeout = null,
        string? standardInput = null, CancellationToken cancellationToken = default)
    {
        var psi = new ProcessStartInfo(Require(tool))
        {
            RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = standardInput is not null,
            UseShellExecute = false,
        };
        foreach (var a in arguments) psi.ArgumentList.Add(a);
        var command = tool + " " + string.Join(' ', psi.ArgumentList);
        using var process = new Process { StartInfo = psi };
        var stdout = new StringBuilder();
        var stderr = new StringBuilder();
        process.OutputDataReceived += (_, e) => { if (e.Data is not null) lock (stdout) stdout.AppendLine(e.Data); };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (stderr) stderr.AppendLine(e.Data); };
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        if (standardInput is not null)
        {
            await process.StandardInput.WriteAsync(standardInput.AsMemory(), cancellationToken).ConfigureAwait(false);
            process.StandardInput.Close();
        }
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        cts.CancelAfter(timeout ?? TimeSpan.FromSeconds(60));
        try
        {
            await process.WaitForExitAsync(cts.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            try { process.Kill(entireProcessTree: true); } catch (InvalidOperationException) { }
            throw new TimeoutException($"`{command}` did not finish within {(timeout ?? TimeSpan.FromSeconds(60)).TotalSeconds} s");
        }
        process.WaitForExit(); // flush the async readers
        lock (stdout) lock (stderr) return new ProcessResult(command, process.ExitCode, stdout.ToString(), stderr.ToString());
    }

    public static Task<ProcessResult> RunAsync(string tool, params string[] arguments) => RunAsync(tool, arguments, null);

    /// <summary>Runs and throws with the command's stderr when it fails.</summary>
    public static async Task<string> CheckAsync(string tool, params string[] arguments)
        => (await RunAsync(tool, arguments, null).ConfigureAwait(false)).EnsureSuccess().StandardOutput;
}
