using System.Globalization;
using LoadBalancer.Sandbox;
using LoadBalancer.TestKit.Net;

namespace LoadBalancer.EndToEnd.Tests;

/// <summary>The sandbox executable as a user runs it, on a machine where the routing daemon is missing.</summary>
[Collection("sandbox")]
public sealed class PrerequisiteTests
{
    [Fact]
    public async Task Up_without_bird_fails_with_one_line_naming_the_package_and_builds_nothing()
    {
        // A private mount namespace where /usr/sbin (bird, nft, sysctl) is an empty directory: as if those
        // packages were not installed. Nothing outside this one process sees the difference.
        var prefix = "lbe" + (Environment.ProcessId % 100000).ToString(CultureInfo.InvariantCulture) + "p";
        var stateDir = Path.Combine(Path.GetTempPath(), $"lbe-{Environment.ProcessId}-p");
        var sandbox = Path.Combine(AppContext.BaseDirectory, "LoadBalancer.Sandbox.dll");
        var script = $"mount -t tmpfs none /usr/sbin && exec env PATH=/usr/bin:/bin {Shell.Quote(ProcessRunner.Require("dotnet"))} {Shell.Quote(sandbox)} up --prefix {prefix} --state-dir {Shell.Quote(stateDir)}";
        var r = await ProcessRunner.RunAsync("unshare", ["--mount", "--propagation", "private", "sh", "-c", script], TimeSpan.FromSeconds(60));
        Assert.Equal(1, r.ExitCode);
        var lines = r.StandardError.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Single(lines);
        Assert.StartsWith("sandbox: ", lines[0], StringComparison.Ordinal);
        Assert.Contains("needs `bird`: apt-get install bird2", lines[0], StringComparison.Ordinal);
        Assert.Contains("needs `nft`: apt-get install nftables", lines[0], StringComparison.Ordinal);
        Assert.DoesNotContain(prefix + "-", (await ProcessRunner.RunAsync("ip", "netns", "list")).StandardOutput, StringComparison.Ordinal);
        Assert.False(Directory.Exists(stateDir));
    }
}
