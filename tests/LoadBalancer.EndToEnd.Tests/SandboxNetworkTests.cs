using System.Globalization;
using LoadBalancer.Sandbox;
using LoadBalancer.TestKit.Net;

namespace LoadBalancer.EndToEnd.Tests;

/// <summary>
/// The sandbox's own machinery, real and as root: namespaces, bridge, routing, BIRD, echo pods and teardown.
/// (The scenarios with the controller and speakers are in <see cref="ScenarioTests"/>.)
/// </summary>
[Collection("sandbox")]
public sealed class SandboxNetworkTests
{
    private static SandboxOptions Options(string tag) => new()
    {
        Prefix = "lbe" + (Environment.ProcessId % 100000).ToString(CultureInfo.InvariantCulture) + tag,
        StateDir = Path.Combine(Path.GetTempPath(), $"lbe-{Environment.ProcessId}-{tag}"),
        Nodes = 3, StartApi = false,
    };

    [Fact]
    public async Task Client_reaches_every_pod_through_the_router_and_pods_see_the_client_address()
    {
        var lab = new SandboxLab(Options("n"));
        try
        {
            await lab.UpAsync().WaitAsync(TimeSpan.FromSeconds(120));
            foreach (var pod in lab.Topology.Pods)
            {
                string? answer = null;
                await SandboxLab.WaitUntil($"{pod.Name} to answer", TimeSpan.FromSeconds(15),
                    async () => (answer = await RequestPod(lab, pod)) is not null).WaitAsync(TimeSpan.FromSeconds(30));
                Assert.Equal($"pod={pod.Name} node={pod.NodeName} peer={Topology.ClientAddress}", answer);
            }
            // BIRD runs in the router with one (passive) session per node, none established without speakers.
            var protocols = await Shell.InNs(lab.Topology.RouterNamespace, "birdc", "-s", lab.BirdSocket, "show", "protocols");
            foreach (var node in lab.Topology.Nodes) Assert.Contains(node.Name, protocols, StringComparison.Ordinal);
            Assert.Empty(await lab.EstablishedSessionsAsync());
            Assert.Empty(await lab.RouterNextHopsAsync("203.0.113.1"));
        }
        finally
        {
            await lab.DownAsync().WaitAsync(TimeSpan.FromSeconds(60));
        }
        var left = await ProcessRunner.RunAsync("ip", "netns", "list");
        Assert.DoesNotContain(lab.Options.Prefix + "-", left.StandardOutput, StringComparison.Ordinal);
        Assert.False(Directory.Exists(lab.StateDir));
    }

    [Fact]
    public async Task Daemons_outlive_the_call_that_started_them_and_down_stops_them_by_pid()
    {
        var lab = new SandboxLab(Options("d") with { Nodes = 1 });
        int[] pids;
        try
        {
            await lab.UpAsync().WaitAsync(TimeSpan.FromSeconds(120));
            pids = [.. Directory.GetFiles(Path.Combine(lab.StateDir, "pids")).Select(f => int.Parse(File.ReadAllText(f).Trim(), CultureInfo.InvariantCulture))];
            Assert.NotEmpty(pids);
            Assert.All(pids, pid => Assert.True(Shell.IsAlive(pid), $"pid {pid} runs"));
        }
        finally
        {
            await lab.DownAsync().WaitAsync(TimeSpan.FromSeconds(60));
        }
        Assert.All(pids, pid => Assert.False(Shell.IsAlive(pid) && !File.ReadAllText($"/proc/{pid}/stat").Contains(") Z ", StringComparison.Ordinal), $"pid {pid} stopped"));
    }

    [Fact]
    public void Missing_prerequisites_are_named_with_the_package_to_install()
    {
        var path = Environment.GetEnvironmentVariable("PATH");
        try
        {
            Environment.SetEnvironmentVariable("PATH", "/nonexistent");
            var missing = Prerequisites.Missing(new SandboxOptions { Router = RouterKind.GoBgp });
            Assert.Contains(missing, m => m.Contains("apt-get install socat", StringComparison.Ordinal));
            Assert.Contains(missing, m => m.Contains("apt-get install curl", StringComparison.Ordinal));
        }
        finally
        {
            Environment.SetEnvironmentVariable("PATH", path);
        }
    }

    private static async Task<string?> RequestPod(SandboxLab lab, PodInfo pod)
    {
        var r = await Shell.TryInNs(lab.Topology.ClientNamespace, TimeSpan.FromSeconds(10), "curl", "-s", "--http1.0", "--max-time", "2", $"http://{pod.Address}:{Topology.PodPort}/");
        return r.ExitCode == 0 ? r.StandardOutput.Trim() : null;
    }
}
