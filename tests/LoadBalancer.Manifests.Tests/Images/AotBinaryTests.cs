using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using LoadBalancer.Manifests.Tests.Support;
using LoadBalancer.Migrate;
using LoadBalancer.TestKit.ApiServer;
using LoadBalancer.TestKit.Net;

namespace LoadBalancer.Manifests.Tests.Images;

/// <summary>
/// The Native AOT binaries (what the images ship) run: they are native executables with no managed runtime beside
/// them, print their usage, the migrate tool writes byte for byte what the JIT build writes, and the controller and
/// speaker assign and announce a Service IP on a lab network against the API server emulator, touching the API
/// only as their RBAC allows.
/// </summary>
public sealed partial class AotBinaryTests
{
    public static TheoryData<string, string, string> Binaries() => new()
    {
        { "controller", "LoadBalancer.Controller", "LoadBalancer controller: assigns IPs" },
        { "speaker", "LoadBalancer.Speaker", "loadbalancer-speaker: announces Service IPs" },
        { "migrate", "LoadBalancer.Migrate", "Converts MetalLB configuration" },
    };

    [Theory]
    [MemberData(nameof(Binaries))]
    public async Task Each_binary_is_a_native_executable_with_no_runtime_beside_it_and_prints_its_usage(string name, string executable, string usage)
    {
        var path = AotBinaries.Require(name, executable);
        var magic = new byte[4];
        await using (var f = File.OpenRead(path)) await f.ReadExactlyAsync(magic);
        Assert.True(magic is [0x7F, (byte)'E', (byte)'L', (byte)'F'], $"{path} is not an ELF executable");
        var beside = Directory.EnumerateFiles(AotBinaries.Directory(name)).Select(Path.GetFileName).ToList();
        Assert.DoesNotContain(beside, f => f!.EndsWith(".dll", StringComparison.Ordinal) || f.EndsWith(".runtimeconfig.json", StringComparison.Ordinal) || f.StartsWith("libcoreclr", StringComparison.Ordinal));

        var help = await ProcessRunner.RunAsync(path, ["--help"], TimeSpan.FromSeconds(30));
        Assert.True(help.ExitCode == 0, $"{executable} --help exited {help.ExitCode}: {help.StandardError}");
        Assert.Contains(usage, help.StandardOutput + help.StandardError, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("layer2.yaml")]
    [InlineData("bgp.yaml")]
    [InlineData("list.yaml")]
    [InlineData("broken.yaml")]
    public async Task Migrate_binary_writes_what_the_jit_build_writes(string sample)
    {
        var path = AotBinaries.Require("migrate", "LoadBalancer.Migrate");
        var input = Path.Combine(AppContext.BaseDirectory, "Migration", "MetalLb", sample);
        var aot = await ProcessRunner.RunAsync(path, ["-n", "lb-test", input], TimeSpan.FromSeconds(30));
        var output = new StringWriter();
        var report = new StringWriter();
        var exit = MigrateCommand.Run([input], "lb-test", TextReader.Null, output, report);
        Assert.Equal(exit, aot.ExitCode);
        Assert.Equal(output.ToString(), aot.StandardOutput.ReplaceLineEndings("\n"));
        Assert.Equal(report.ToString().ReplaceLineEndings("\n"), aot.StandardError.ReplaceLineEndings("\n"));
    }

    private const string Ns = "loadbalancer-system";
    private const string NodeName = "aot-node";
    private const string NodeMac = "02:00:00:00:a0:01";
    private const string ServiceIp = "192.0.2.200"; // the first address of manifests/samples/l2.yaml's pool

    [Fact]
    public async Task Controller_and_speaker_binaries_assign_and_announce_an_ip_within_their_rbac()
    {
        var controllerPath = AotBinaries.Require("controller", "LoadBalancer.Controller");
        var speakerPath = AotBinaries.Require("speaker", "LoadBalancer.Speaker");
        foreach (var tool in (string[])["kubectl", "socat", "arping", "curl", "nft"]) ProcessRunner.Require(tool);

        await using var server = await KubeApiServer.StartAsync(new KubeApiServerOptions()).WaitAsync(TimeSpan.FromSeconds(30));
        var kubeconfig = Path.Combine(Path.GetTempPath(), $"lb-aot-{Guid.NewGuid():N}.kubeconfig");
        var socket = Path.Combine(Path.GetTempPath(), $"lb-aot-{Guid.NewGuid():N}.sock");
        var speakerLog = Path.Combine(Path.GetTempPath(), $"lb-aot-speaker-{Guid.NewGuid():N}.log");
        server.WriteKubeconfig(kubeconfig);
        Task<ProcessResult> Kubectl(string? stdin, params string[] args)
            => ProcessRunner.RunAsync("kubectl", ["--kubeconfig", kubeconfig, .. args], TimeSpan.FromSeconds(60), stdin);

        await using var lab = NetLab.Create();
        AotBinaries.Daemon? controller = null, rootRelay = null;
        Process? speaker = null;
        try
        {
            // The install and the Layer 2 sample as a user applies them, a node, and a ready endpoint on it.
            (await Kubectl(null, "apply", "-k", Repo.Manifests)).EnsureSuccess();
            (await Kubectl(null, "apply", "-f", Path.Combine(Repo.Manifests, "samples", "l2.yaml"))).EnsureSuccess();
            (await Kubectl(ClusterYaml, "apply", "-f", "-")).EnsureSuccess();
            (await Kubectl(null, "patch", "node", NodeName, "--subresource=status", "--type=merge", "-p",
                """{"status":{"addresses":[{"type":"InternalIP","address":"192.0.2.2"}],"conditions":[{"type":"Ready","status":"True","reason":"KubeletReady","message":"lab"}]}}""")).EnsureSuccess();

            // The controller (in this namespace) assigns the first address of the pool.
            var metricsPort = FreePort();
            controller = AotBinaries.Daemon.Start(controllerPath,
                ["--kubeconfig", kubeconfig, "--namespace", Ns, "--metrics-address", $"127.0.0.1:{metricsPort}", "--identity", "aot-controller"]);
            await Eventually("the controller to assign " + ServiceIp + " to default/web-l2", controller, async () =>
                (await Kubectl(null, "get", "service", "web-l2", "-n", "default", "-o", "jsonpath={.status.loadBalancer.ingress[*].ip}")).StandardOutput.Trim() == ServiceIp);
            using (var http = new HttpClient { Timeout = TimeSpan.FromSeconds(5) })
                await Eventually("the controller's /readyz to answer 200", controller, async () =>
                    (await http.GetAsync(new Uri($"http://127.0.0.1:{metricsPort}/readyz"))).StatusCode == HttpStatusCode.OK);

            // The speaker in a node namespace on a segment shared with a client; it reaches the emulator at the same
            // 127.0.0.1:port through a relay over a unix socket (the root namespace gets no lab address).
            var node = await lab.AddNamespaceAsync("node");
            var client = await lab.AddNamespaceAsync("client");
            await NetLab.LinkAsync(node, "eth0", client, "eth0", ["192.0.2.2/24"], ["192.0.2.1/24"], macA: NodeMac);
            var apiPort = server.Port.ToString(CultureInfo.InvariantCulture);
            rootRelay = AotBinaries.Daemon.Start(ProcessRunner.Require("socat"), [$"UNIX-LISTEN:{socket},fork,unlink-early", $"TCP:127.0.0.1:{apiPort}"]);
            node.Spawn("socat", [$"TCP-LISTEN:{apiPort},bind=127.0.0.1,fork,reuseaddr", $"UNIX-CONNECT:{socket}"]);
            speaker = node.Spawn(speakerPath,
                ["--kubeconfig", kubeconfig, "--namespace", Ns, "--node-name", NodeName, "--metrics-address", "127.0.0.1:7472",
                 "--layer2", "on", "--bgp", "off", "--dataplane", "nftables", "--interfaces", "eth0", "--node-ips", "192.0.2.2"],
                speakerLog);
            string SpeakerTail() => File.Exists(speakerLog) ? string.Join('\n', File.ReadLines(speakerLog).TakeLast(25)) : "";

            await Eventually("the speaker's /readyz to answer 200", SpeakerTail, async () =>
                (await node.ExecAsync("curl", "-sf", "-o", "/dev/null", "http://127.0.0.1:7472/readyz")).ExitCode == 0);
            await Eventually($"the client to get {ServiceIp}'s ARP reply from {NodeMac}", SpeakerTail, async () =>
                ArpReply().Matches((await client.ExecAsync("arping", "-i", "eth0", "-c", "1", "-w", "2", ServiceIp)).StandardOutput)
                    .Any(m => m.Groups[1].Value.Equals(NodeMac, StringComparison.OrdinalIgnoreCase)));
            await Eventually("a ServiceAnnouncement naming the node and the IP", SpeakerTail, async () =>
            {
                var list = JsonNode.Parse((await Kubectl(null, "get", "serviceannouncements", "-n", Ns, "-o", "json")).EnsureSuccess().StandardOutput)!;
                return ((JsonArray)list["items"]!).Any(i => i!["status"]?["node"].Str() == NodeName && i["status"]?["protocol"].Str() == "layer2"
                    && (i["status"]?["ips"] as JsonArray ?? []).Any(ip => ip.Str() == ServiceIp));
            });
            await Eventually("the nftables data plane to forward " + ServiceIp, SpeakerTail, async () =>
                (await node.ExecAsync("nft", "list", "ruleset")).StandardOutput.Contains(ServiceIp, StringComparison.Ordinal));

            // Both stop cleanly on SIGTERM (as the kubelet stops them).
            foreach (var (p, what) in new[] { (controller.Process, "controller"), (speaker, "speaker") })
            {
                Assert.Equal(0, await TerminateAsync(p.Id));
                await p.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(40));
                Assert.True(p.ExitCode == 0, $"the {what} exited {p.ExitCode} on SIGTERM: {(what == "speaker" ? SpeakerTail() : controller.Tail())}");
            }

            // Everything they did, as the API server saw it, is allowed by their RBAC (the scanner's other half).
            foreach (var (component, serviceAccount, mustHave) in new[]
            {
                ("loadbalancer-controller/", "loadbalancer-controller", "patch services/status"),
                ("loadbalancer-speaker/", "loadbalancer-speaker", "create serviceannouncements.lb.baremetal.dev"),
            })
            {
                var did = server.Accesses.Where(a => a.UserAgent.StartsWith(component, StringComparison.Ordinal)).ToList();
                Assert.Contains(did, a => $"{a.Verb} {a.Resource}{(a.Group.Length == 0 ? "" : "." + a.Group)}" == mustHave);
                var denied = did.Where(a => !RbacTests.Allows(serviceAccount, a.Group, a.Resource, a.Verb, a.Namespace)).Select(a => a.ToString()).Order(StringComparer.Ordinal).ToList();
                Assert.True(denied.Count == 0, $"{serviceAccount}'s RBAC would refuse: {string.Join("; ", denied)}");
            }
        }
        finally
        {
            if (speaker is { HasExited: false }) speaker.Kill();
            if (controller is not null) await controller.DisposeAsync();
            if (rootRelay is not null) await rootRelay.DisposeAsync();
            File.Delete(kubeconfig);
            File.Delete(socket);
            File.Delete(speakerLog);
        }
    }

    private const string ClusterYaml = $$"""
        apiVersion: v1
        kind: Node
        metadata:
          name: {{NodeName}}
          labels: {kubernetes.io/hostname: {{NodeName}}, kubernetes.io/os: linux}
        ---
        apiVersion: discovery.k8s.io/v1
        kind: EndpointSlice
        metadata:
          name: web-l2-aot
          namespace: default
          labels: {kubernetes.io/service-name: web-l2, endpointslice.kubernetes.io/managed-by: aot-test}
        addressType: IPv4
        ports:
        - {name: http, protocol: TCP, port: 8080}
        endpoints:
        - addresses: ["198.51.100.10"]
          conditions: {ready: true, serving: true, terminating: false}
          nodeName: {{NodeName}}
        """;

    [GeneratedRegex(@"bytes from ([0-9a-fA-F:]{17})")]
    private static partial Regex ArpReply();

    private static int FreePort()
    {
        using var l = new TcpListener(IPAddress.Loopback, 0);
        l.Start();
        return ((IPEndPoint)l.LocalEndpoint).Port;
    }

    private static async Task<int> TerminateAsync(int pid) => (await ProcessRunner.RunAsync("kill", ["-TERM", pid.ToString(CultureInfo.InvariantCulture)], TimeSpan.FromSeconds(10))).ExitCode;

    private static Task Eventually(string what, AotBinaries.Daemon daemon, Func<Task<bool>> condition) => Eventually(what, () => daemon.Tail(), condition);

    /// <summary>Polls a real condition (real processes) every 250 ms for at most 60 s; fails with the process's last log lines.</summary>
    private static async Task Eventually(string what, Func<string> log, Func<Task<bool>> condition)
    {
        var deadline = Stopwatch.StartNew();
        using var timer = new PeriodicTimer(TimeSpan.FromMilliseconds(250));
        while (deadline.Elapsed < TimeSpan.FromSeconds(60))
        {
            try
            {
                if (await condition()) return;
            }
            catch (HttpRequestException)
            {
            }
            catch (TaskCanceledException)
            {
            }
            await timer.WaitForNextTickAsync();
        }
        Assert.Fail($"timed out after 60 s waiting for {what}; last log lines:\n{log()}");
    }
}
