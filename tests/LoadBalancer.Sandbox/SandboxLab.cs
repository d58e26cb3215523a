using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using LoadBalancer.TestKit.Net;

namespace LoadBalancer.Sandbox;

/// <summary>
/// A whole bare-metal cluster on one machine: the API server emulator (root namespace, 127.0.0.1), N node
/// namespaces on one bridge running the real speaker, a router namespace running BIRD/FRR/GoBGP, a client
/// namespace on another subnet, and "pods" behind each node running an echo server. Daemons are started in
/// their own sessions with pid files under <see cref="SandboxOptions.StateDir"/>, so the sandbox outlives the
/// command that built it; <see cref="DownAsync"/> stops them by PID and deletes the namespaces.
/// </summary>
public sealed class SandboxLab
{
    private readonly Action<string> _progress;

    public SandboxLab(SandboxOptions options, Action<string>? progress = null)
    {
        Options = options;
        Topology = new Topology(options.Prefix, options.Nodes, options.PodsPerNode);
        _progress = progress ?? (_ => { });
    }

    public SandboxOptions Options { get; }
    public Topology Topology { get; }
    public string StateDir => Options.StateDir;
    public string Kubeconfig => Path.Combine(StateDir, "kubeconfig");
    public string LogDir => Path.Combine(StateDir, "logs");
    private string PidDir => Path.Combine(StateDir, "pids");
    private string ApiSocket => Path.Combine(StateDir, "api.sock");
    private string BinaryDir => Options.BinaryDir ?? AppContext.BaseDirectory;

    public string RepoRoot => Options.RepoRoot ?? FindRepoRoot();

    private static string FindRepoRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "LoadBalancer.slnx"))) return dir.FullName;
        throw new InvalidOperationException("cannot find the repository (LoadBalancer.slnx) above " + AppContext.BaseDirectory);
    }

    // ---------------------------------------------------------------- up

    /// <summary>Builds everything; on failure tears down what was built and rethrows.</summary>
    public async Task UpAsync(CancellationToken cancellationToken = default)
    {
        var missing = Prerequisites.Missing(Options);
        if (missing.Count > 0) throw new SandboxException("sandbox: " + string.Join("; ", missing));
        await DownAsync().ConfigureAwait(false); // leftovers of an earlier run with the same prefix
        Directory.CreateDirectory(LogDir);
        Directory.CreateDirectory(PidDir);
        await File.WriteAllTextAsync(Path.Combine(StateDir, "prefix"), Options.Prefix, cancellationToken).ConfigureAwait(false);
        try
        {
            var total = !Options.StartApi ? 3 : Options.StartLoadBalancer ? 9 : 6;
            var step = 0;
            void Step(string what) => _progress($"[{++step}/{total}] {what}");

            Step($"network: {Topology.Nodes.Count} node namespaces on one bridge, a router, a client, {Topology.Pods.Count()} pods");
            await BuildNetworkAsync().ConfigureAwait(false);
            Step($"router: {Options.Router} (AS {Topology.RouterAsn}) peering with every node");
            await StartRouterAsync().ConfigureAwait(false);
            Step("pods: echo servers answering with the address they see");
            foreach (var pod in Topology.Pods) await StartPodAsync(pod).ConfigureAwait(false);
            if (!Options.StartApi) return;
            Step("API server emulator, kubeconfig at " + Kubeconfig);
            await StartApiAsync(cancellationToken).ConfigureAwait(false);
            Step("kubectl apply -k manifests (CRDs, RBAC, controller and speaker workloads)");
            await ApplyInstallAsync(cancellationToken).ConfigureAwait(false);
            Step("Node objects, pools, advertisements and the BGP peer");
            await ApplyClusterAsync(cancellationToken).ConfigureAwait(false);
            if (!Options.StartLoadBalancer) return;
            Step("controller (its own process) and one speaker per node namespace");
            await StartControllerAsync().ConfigureAwait(false);
            foreach (var node in Topology.Nodes) await StartSpeakerAsync(node.Name).ConfigureAwait(false);
            await EnsureRunningAsync(["controller", .. Topology.Nodes.Select(n => "speaker-" + n.Name)]).ConfigureAwait(false);
            Step("waiting for every speaker's BGP session to the router");
            await WaitForBgpSessionsAsync(TimeSpan.FromSeconds(60), cancellationToken).ConfigureAwait(false);
            Step(Options.DemoServices ? "demo Services (Layer 2 and BGP, Cluster and Local) and their EndpointSlices" : "ready");
            if (Options.DemoServices)
                foreach (var svc in SandboxService.Demo) await ApplyServiceAsync(svc).ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            // Keep the logs that explain the failure; everything else goes.
            var kept = Path.Combine(Path.GetTempPath(), Options.Prefix + "-sandbox-logs");
            if (Directory.Exists(LogDir))
            {
                if (Directory.Exists(kept)) Directory.Delete(kept, recursive: true);
                Directory.CreateDirectory(kept);
                foreach (var f in Directory.GetFiles(LogDir)) File.Copy(f, Path.Combine(kept, Path.GetFileName(f)));
            }
            await DownAsync().ConfigureAwait(false);
            if (ex is SandboxException) throw new SandboxException(ex.Message + $" (logs kept in {kept}/)");
            throw;
        }
    }

    private async Task BuildNetworkAsync()
    {
        var t = Topology;
        foreach (var ns in t.Namespaces)
        {
            await Shell.Run("ip", "netns", "add", ns).ConfigureAwait(false);
            await Shell.InNs(ns, "ip", "link", "set", "lo", "up").ConfigureAwait(false);
        }
        await Shell.InNs(t.SegmentNamespace, "ip", "link", "add", "br0", "type", "bridge", "stp_state", "0", "forward_delay", "0").ConfigureAwait(false);
        await Shell.InNs(t.SegmentNamespace, "ip", "link", "set", "br0", "up").ConfigureAwait(false);

        // Router: eth0 on the segment, eth1 to the client subnet; forwards, hashes ECMP by L4.
        await LinkAsync(t.RouterNamespace, "eth0", t.SegmentNamespace, "p-router").ConfigureAwait(false);
        await Shell.InNs(t.SegmentNamespace, "ip", "link", "set", "p-router", "master", "br0").ConfigureAwait(false);
        await Shell.InNs(t.RouterNamespace, "ip", "addr", "add", Topology.RouterSegmentAddress + "/24", "dev", "eth0").ConfigureAwait(false);
        await LinkAsync(t.RouterNamespace, "eth1", t.ClientNamespace, "eth0").ConfigureAwait(false);
        await Shell.InNs(t.RouterNamespace, "ip", "addr", "add", Topology.RouterClientAddress + "/28", "dev", "eth1").ConfigureAwait(false);
        await Sysctl(t.RouterNamespace, "net.ipv4.ip_forward=1", "net.ipv4.fib_multipath_hash_policy=1").ConfigureAwait(false);
        await Shell.InNs(t.ClientNamespace, "ip", "addr", "add", Topology.ClientAddress + "/28", "dev", "eth0").ConfigureAwait(false);
        await Shell.InNs(t.ClientNamespace, "ip", "route", "add", "default", "via", Topology.RouterClientAddress).ConfigureAwait(false);

        foreach (var node in t.Nodes)
        {
            var port = "p-" + node.Name;
            await LinkAsync(node.Namespace, "eth0", t.SegmentNamespace, port).ConfigureAwait(false);
            await Shell.InNs(t.SegmentNamespace, "ip", "link", "set", port, "master", "br0").ConfigureAwait(false);
            await Shell.InNs(node.Namespace, "ip", "addr", "add", node.Address + "/24", "dev", "eth0").ConfigureAwait(false);
            await Shell.InNs(node.Namespace, "ip", "route", "add", "default", "via", Topology.RouterSegmentAddress).ConfigureAwait(false);
            await Sysctl(node.Namespace, "net.ipv4.ip_forward=1", "net.ipv4.conf.all.rp_filter=0", "net.ipv4.conf.default.rp_filter=0").ConfigureAwait(false);
            // Every node and the router reach every pod subnet through its node (what a CNI would set up).
            foreach (var other in t.Nodes.Where(o => o != node))
                await Shell.InNs(node.Namespace, "ip", "route", "add", other.PodSubnet, "via", other.Address).ConfigureAwait(false);
            await Shell.InNs(t.RouterNamespace, "ip", "route", "add", node.PodSubnet, "via", node.Address).ConfigureAwait(false);

            var p = 0;
            foreach (var pod in node.Pods)
            {
                var hostIf = "pod" + (char)('a' + p++);
                await LinkAsync(node.Namespace, hostIf, pod.Namespace, "eth0").ConfigureAwait(false);
                await Shell.InNs(node.Namespace, "ip", "addr", "add", node.PodGateway + "/32", "dev", hostIf).ConfigureAwait(false);
                await Shell.InNs(node.Namespace, "ip", "route", "add", pod.Address + "/32", "dev", hostIf).ConfigureAwait(false);
                await Shell.InNs(pod.Namespace, "ip", "addr", "add", pod.Address + "/32", "dev", "eth0").ConfigureAwait(false);
                await Shell.InNs(pod.Namespace, "ip", "route", "add", node.PodGateway, "dev", "eth0").ConfigureAwait(false);
                await Shell.InNs(pod.Namespace, "ip", "route", "add", "default", "via", node.PodGateway).ConfigureAwait(false);
            }
        }
    }

    private static async Task LinkAsync(string nsA, string ifA, string nsB, string ifB)
    {
        var tmpA = "v" + Guid.NewGuid().ToString("N")[..12];
        var tmpB = "v" + Guid.NewGuid().ToString("N")[..12];
        await Shell.Run("ip", "link", "add", tmpA, "type", "veth", "peer", "name", tmpB).ConfigureAwait(false);
        await Shell.Run("ip", "link", "set", tmpA, "netns", nsA).ConfigureAwait(false);
        await Shell.Run("ip", "link", "set", tmpB, "netns", nsB).ConfigureAwait(false);
        await Shell.InNs(nsA, "ip", "link", "set", tmpA, "name", ifA).ConfigureAwait(false);
        await Shell.InNs(nsB, "ip", "link", "set", tmpB, "name", ifB).ConfigureAwait(false);
        await Shell.InNs(nsA, "ip", "link", "set", ifA, "up").ConfigureAwait(false);
        await Shell.InNs(nsB, "ip", "link", "set", ifB, "up").ConfigureAwait(false);
    }

    private static async Task Sysctl(string ns, params string[] settings)
    {
        foreach (var s in settings) await Shell.InNs(ns, "sysctl", "-q", "-w", s).ConfigureAwait(false);
    }

    private Task<int> Daemon(string name, string? ns, IReadOnlyList<string> command, IReadOnlyDictionary<string, string>? env = null)
        => Shell.StartDaemon(ns, command, Path.Combine(PidDir, name + ".pid"), Path.Combine(LogDir, name + ".log"), env);

    private async Task StartRouterAsync()
    {
        var dir = Path.Combine(StateDir, "router");
        Directory.CreateDirectory(dir);
        var ns = Topology.RouterNamespace;
        switch (Options.Router)
        {
            case RouterKind.Bird:
                var conf = Path.Combine(dir, "bird.conf");
                await File.WriteAllTextAsync(conf, RouterConfigs.Bird(Topology)).ConfigureAwait(false);
                await Shell.Run("bird", "-p", "-c", conf).ConfigureAwait(false);
                await Daemon("router-bird", ns, [ProcessRunner.Require("bird"), "-f", "-c", conf, "-s", BirdSocket]).ConfigureAwait(false);
                await WaitUntil("BIRD's control socket", TimeSpan.FromSeconds(15),
                    async () => (await Shell.TryInNs(ns, TimeSpan.FromSeconds(5), "birdc", "-s", BirdSocket, "show", "status").ConfigureAwait(false)).ExitCode == 0).ConfigureAwait(false);
                break;
            case RouterKind.Frr:
                await Shell.Run("chown", "frr:frr", dir).ConfigureAwait(false);
                var zconf = Path.Combine(dir, "zebra.conf");
                var bconf = Path.Combine(dir, "bgpd.conf");
                await File.WriteAllTextAsync(zconf, "hostname router\n").ConfigureAwait(false);
                await File.WriteAllTextAsync(bconf, RouterConfigs.FrrBgpd(Topology)).ConfigureAwait(false);
                await Shell.Run("chown", "frr:frr", zconf, bconf).ConfigureAwait(false);
                var zserv = Path.Combine(dir, "zserv.api");
                await Daemon("router-zebra", ns, ["/usr/lib/frr/zebra", "-u", "frr", "-g", "frr", "-f", zconf, "-i", Path.Combine(dir, "zebra.pid"), "-z", zserv, "--vty_socket", dir]).ConfigureAwait(false);
                await WaitUntil("FRR zebra", TimeSpan.FromSeconds(15), () => Task.FromResult(File.Exists(zserv))).ConfigureAwait(false);
                await Daemon("router-bgpd", ns, ["/usr/lib/frr/bgpd", "-u", "frr", "-g", "frr", "-f", bconf, "-i", Path.Combine(dir, "bgpd.pid"), "-z", zserv, "--vty_socket", dir, "-l", Topology.RouterSegmentAddress]).ConfigureAwait(false);
                await WaitUntil("FRR bgpd", TimeSpan.FromSeconds(15),
                    async () => (await Shell.TryInNs(ns, TimeSpan.FromSeconds(5), "vtysh", "--vty_socket", dir, "-c", "show bgp summary").ConfigureAwait(false)).ExitCode == 0).ConfigureAwait(false);
                break;
            case RouterKind.GoBgp:
                var gconf = Path.Combine(dir, "gobgpd.toml");
                await File.WriteAllTextAsync(gconf, RouterConfigs.GoBgp(Topology)).ConfigureAwait(false);
                await Daemon("router-gobgpd", ns, [ProcessRunner.Require("gobgpd"), "-f", gconf, "-t", "toml"]).ConfigureAwait(false);
                await WaitUntil("gobgpd", TimeSpan.FromSeconds(15),
                    async () => (await Shell.TryInNs(ns, TimeSpan.FromSeconds(5), "gobgp", "neighbor").ConfigureAwait(false)).ExitCode == 0).ConfigureAwait(false);
                // gobgpd installs no kernel routes here; the sandbox mirrors its RIB into the router's table (GoBgpFib).
                await Daemon("router-fib", ns, [Dotnet, typeof(GoBgpFib).Assembly.Location, GoBgpFib.Command]).ConfigureAwait(false);
                break;
        }
    }

    public string BirdSocket => Path.Combine(StateDir, "router", "bird.ctl");

    private async Task StartPodAsync(PodInfo pod)
    {
        var script = Path.Combine(StateDir, "echo.sh");
        if (!File.Exists(script))
        {
            await File.WriteAllTextAsync(script, """
                #!/bin/sh
                # The sandbox's pod: answers one HTTP request with who it is and the source address it saw.
                read -r line
                printf 'HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\nConnection: close\r\n\r\npod=%s node=%s peer=%s\n' "$POD_NAME" "$NODE_NAME" "$SOCAT_PEERADDR"

                """).ConfigureAwait(false);
            if (OperatingSystem.IsLinux()) File.SetUnixFileMode(script, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute | UnixFileMode.GroupRead | UnixFileMode.GroupExecute | UnixFileMode.OtherRead | UnixFileMode.OtherExecute);
        }
        await Daemon("pod-" + pod.Name, pod.Namespace,
            [ProcessRunner.Require("socat"), $"TCP-LISTEN:{Topology.PodPort},fork,reuseaddr", "EXEC:" + script],
            new Dictionary<string, string> { ["POD_NAME"] = pod.Name, ["NODE_NAME"] = pod.NodeName }).ConfigureAwait(false);
    }

    private async Task StartApiAsync(CancellationToken cancellationToken)
    {
        var dll = Binary("LoadBalancer.Emulator");
        var url = $"127.0.0.1:{Options.ApiPort.ToString(CultureInfo.InvariantCulture)}";
        await Daemon("api-emulator", null, [Dotnet, dll, "--listen", url, "--kubeconfig-out", Kubeconfig, "--advertise-address", "127.0.0.1"]).ConfigureAwait(false);
        var log = Path.Combine(LogDir, "api-emulator.log");
        await WaitUntil("the API server emulator to print \"ready\"", TimeSpan.FromSeconds(60),
            () => Task.FromResult(File.Exists(log) && File.ReadLines(log).Any(l => l.StartsWith("ready ", StringComparison.Ordinal)) && File.Exists(Kubeconfig)),
            cancellationToken).ConfigureAwait(false);
        // Node namespaces reach the emulator at the same 127.0.0.1:port through a relay over a unix socket,
        // so one kubeconfig works everywhere and the root namespace gets no sandbox addresses.
        await Daemon("api-relay-root", null, [ProcessRunner.Require("socat"), $"UNIX-LISTEN:{ApiSocket},fork,unlink-early", $"TCP:{url}"]).ConfigureAwait(false);
        foreach (var node in Topology.Nodes)
            await Daemon("api-relay-" + node.Name, node.Namespace,
                [ProcessRunner.Require("socat"), $"TCP-LISTEN:{Options.ApiPort.ToString(CultureInfo.InvariantCulture)},bind=127.0.0.1,fork,reuseaddr", $"UNIX-CONNECT:{ApiSocket}"]).ConfigureAwait(false);
        await WaitUntil("kubectl to reach the API", TimeSpan.FromSeconds(30),
            async () => (await KubectlTry(TimeSpan.FromSeconds(10), "get", "namespaces").ConfigureAwait(false)).ExitCode == 0, cancellationToken).ConfigureAwait(false);
    }

    private async Task ApplyInstallAsync(CancellationToken cancellationToken)
    {
        await Kubectl("apply", "-k", Path.Combine(RepoRoot, "manifests")).ConfigureAwait(false);
        await WaitUntil("the CRDs to be served", TimeSpan.FromSeconds(30),
            async () => (await KubectlTry(TimeSpan.FromSeconds(10), "get", "ipaddresspools", "-n", KubeObjects.InstallNamespace).ConfigureAwait(false)).ExitCode == 0,
            cancellationToken).ConfigureAwait(false);
    }

    private async Task ApplyClusterAsync(CancellationToken cancellationToken)
    {
        await KubectlApply(KubeObjects.Nodes(Topology)).ConfigureAwait(false);
        foreach (var node in Topology.Nodes)
        {
            var r = await KubectlTry(TimeSpan.FromSeconds(30), "patch", "node", node.Name, "--subresource=status", "--type=merge", "-p", KubeObjects.NodeStatusPatch(node)).ConfigureAwait(false);
            if (r.ExitCode != 0) _progress($"      note: could not set {node.Name}'s status (Ready, InternalIP): {r.StandardError.Trim()}");
        }
        await KubectlApply(KubeObjects.Configuration()).ConfigureAwait(false);
        await KubectlApply(KubeObjects.DemoNamespace()).ConfigureAwait(false);
        _ = cancellationToken;
    }

    private Task StartControllerAsync()
        => Daemon("controller", null, [Dotnet, Binary("LoadBalancer.Controller"), "--kubeconfig", Kubeconfig, "--namespace", KubeObjects.InstallNamespace,
            "--metrics-address", "127.0.0.1:" + (Options.ApiPort + 1).ToString(CultureInfo.InvariantCulture)]);

    /// <summary>Starts (or restarts) the real speaker in a node namespace.</summary>
    public Task<int> StartSpeakerAsync(string nodeName)
    {
        var node = Topology.Node(nodeName);
        return Daemon("speaker-" + node.Name, node.Namespace,
            [Dotnet, Binary("LoadBalancer.Speaker"), "--kubeconfig", Kubeconfig, "--namespace", KubeObjects.InstallNamespace, "--node-name", node.Name,
             "--metrics-address", "0.0.0.0:7472", "--dataplane", "nftables", "--layer2", "on", "--bgp", "on",
             // every node's pod subnet is a /29 of this /25 (Topology), so pod traffic counts as in-cluster
             "--pod-cidrs", "198.51.100.128/25", "--node-ips", node.Address,
             .. Options.PeerProbes ? new[] { "--probe-key-file", EnsureProbeKey() } : []],
            new Dictionary<string, string> { ["NODE_NAME"] = node.Name });
    }

    /// <summary>The speakers' shared probe key (32 random bytes, created once per sandbox, readable by root only).</summary>
    public string EnsureProbeKey()
    {
        var path = Path.Combine(StateDir, "probe-key");
        if (!File.Exists(path))
        {
            File.WriteAllBytes(path, System.Security.Cryptography.RandomNumberGenerator.GetBytes(32));
            if (OperatingSystem.IsLinux()) File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        }
        return path;
    }

    public Task<int> StartControllerProcessAsync() => StartControllerAsync().ContinueWith(_ => Pid("controller") ?? 0, TaskScheduler.Default);

    /// <summary>Fails with the log's last lines when a daemon exited right after starting (a bad flag, a missing host composition).</summary>
    private async Task EnsureRunningAsync(IReadOnlyList<string> names)
    {
        await Task.Delay(TimeSpan.FromSeconds(3)).ConfigureAwait(false);
        foreach (var name in names)
        {
            if (Pid(name) is not null) continue;
            var log = Path.Combine(LogDir, name + ".log");
            var tail = File.Exists(log) ? string.Join(" | ", File.ReadLines(log).TakeLast(5)) : "";
            throw new SandboxException($"sandbox: the {name} process exited right after starting{(tail.Length > 0 ? ": " + tail : " without output")} (log: {log})");
        }
    }

    private string Binary(string name)
    {
        var dll = Path.Combine(BinaryDir, name + ".dll");
        if (!File.Exists(dll))
            throw new SandboxException($"sandbox: {name}.dll is not built next to the sandbox ({BinaryDir}); build with: dotnet build tests/LoadBalancer.Sandbox -c Release");
        return dll;
    }

    private static string Dotnet => ProcessRunner.Require("dotnet");

    // ---------------------------------------------------------------- operations used by the report and the tests

    public async Task<string> Kubectl(params string[] args)
        => (await KubectlTry(TimeSpan.FromSeconds(60), args).ConfigureAwait(false)).EnsureSuccess().StandardOutput;

    public Task<ProcessResult> KubectlTry(TimeSpan timeout, params string[] args)
        => ProcessRunner.RunAsync("kubectl", ["--kubeconfig", Kubeconfig, "--request-timeout=20s", .. args], timeout);

    public async Task KubectlApply(string yaml)
        => (await ProcessRunner.RunAsync("kubectl", ["--kubeconfig", Kubeconfig, "apply", "-f", "-"], TimeSpan.FromSeconds(60), yaml).ConfigureAwait(false)).EnsureSuccess();

    public async Task ApplyServiceAsync(SandboxService service, IEnumerable<PodInfo>? pods = null)
    {
        await KubectlApply(KubeObjects.Service(service)).ConfigureAwait(false);
        await KubectlApply(KubeObjects.EndpointSlice(Topology, service, pods)).ConfigureAwait(false);
    }

    /// <summary>Replaces the Service's endpoints (pods scaled or moved).</summary>
    public Task SetEndpointsAsync(SandboxService service, IEnumerable<PodInfo> pods)
        => KubectlApply(KubeObjects.EndpointSlice(Topology, service, pods));

    public async Task DeleteServiceAsync(SandboxService service)
    {
        await Kubectl("delete", "service", service.Name, "-n", SandboxService.Namespace, "--wait=false").ConfigureAwait(false);
        await KubectlTry(TimeSpan.FromSeconds(30), "delete", "endpointslice", service.Name + "-sandbox", "-n", SandboxService.Namespace, "--wait=false").ConfigureAwait(false);
    }

    /// <summary>The Service's first ingress IP, or null while it has none.</summary>
    public async Task<string?> ServiceIpAsync(string name)
    {
        var r = await KubectlTry(TimeSpan.FromSeconds(30), "get", "service", name, "-n", SandboxService.Namespace, "-o", "jsonpath={.status.loadBalancer.ingress[0].ip}").ConfigureAwait(false);
        return r.ExitCode == 0 && r.StandardOutput.Trim().Length > 0 ? r.StandardOutput.Trim() : null;
    }

    /// <summary>Waits (bounded) for the Service's first ingress IP.</summary>
    public async Task<string> WaitForIpAsync(string serviceName, TimeSpan timeout)
    {
        string? ip = null;
        await WaitUntil($"{serviceName} to get an IP", timeout, async () => (ip = await ServiceIpAsync(serviceName).ConfigureAwait(false)) is not null).ConfigureAwait(false);
        return ip!;
    }

    /// <summary>Waits (bounded) for a request from the client namespace to <paramref name="ip"/> to be answered; the echo line.</summary>
    public async Task<string> WaitForAnswerAsync(string ip, TimeSpan timeout)
    {
        string? answer = null;
        await WaitUntil($"a reply from {ip}", timeout, async () => (answer = await RequestFromClientAsync(ip).ConfigureAwait(false)) is not null).ConfigureAwait(false);
        return answer!;
    }

    /// <summary>One HTTP request from the client namespace; the echo line ("pod=... node=... peer=...") or null on failure.</summary>
    public async Task<string?> RequestFromClientAsync(string ip, TimeSpan? timeout = null)
    {
        var seconds = (timeout ?? TimeSpan.FromSeconds(2)).TotalSeconds.ToString("0.###", CultureInfo.InvariantCulture);
        var r = await Shell.TryInNs(Topology.ClientNamespace, TimeSpan.FromSeconds(30), "curl", "-s", "--http1.0", "--max-time", seconds,
            $"http://{ip}:{Topology.ServicePort.ToString(CultureInfo.InvariantCulture)}/").ConfigureAwait(false);
        return r.ExitCode == 0 && r.StandardOutput.StartsWith("pod=", StringComparison.Ordinal) ? r.StandardOutput.Trim() : null;
    }

    /// <summary>The nodes the router's kernel routes <paramref name="ip"/> to (its ECMP set); empty when it has no route.</summary>
    public async Task<IReadOnlySet<string>> RouterNextHopsAsync(string ip)
    {
        var output = await Shell.InNs(Topology.RouterNamespace, "ip", "-j", "route", "show", "exact", ip + "/32").ConfigureAwait(false);
        var gateways = new HashSet<string>(StringComparer.Ordinal);
        using var doc = JsonDocument.Parse(output.Trim().Length == 0 ? "[]" : output);
        foreach (var route in doc.RootElement.EnumerateArray())
        {
            if (route.TryGetProperty("gateway", out var gw)) gateways.Add(gw.GetString()!);
            if (route.TryGetProperty("nexthops", out var hops))
                foreach (var hop in hops.EnumerateArray())
                    if (hop.TryGetProperty("gateway", out var g)) gateways.Add(g.GetString()!);
        }
        return Topology.Nodes.Where(n => gateways.Contains(n.Address)).Select(n => n.Name).ToHashSet(StringComparer.Ordinal);
    }

    /// <summary>The node whose MAC the router has for a Layer 2 IP (who answered ARP), or null.</summary>
    public async Task<string?> RouterArpOwnerAsync(string ip)
    {
        var r = await Shell.TryInNs(Topology.RouterNamespace, TimeSpan.FromSeconds(10), "ip", "-j", "neigh", "show", ip, "dev", "eth0").ConfigureAwait(false);
        if (r.ExitCode != 0) return null;
        using var doc = JsonDocument.Parse(r.StandardOutput.Trim().Length == 0 ? "[]" : r.StandardOutput);
        var mac = doc.RootElement.EnumerateArray().Select(e => e.TryGetProperty("lladdr", out var l) ? l.GetString() : null).FirstOrDefault(m => m is not null);
        if (mac is null) return null;
        foreach (var node in Topology.Nodes)
        {
            var link = await Shell.InNs(node.Namespace, "cat", "/sys/class/net/eth0/address").ConfigureAwait(false);
            if (string.Equals(link.Trim(), mac, StringComparison.OrdinalIgnoreCase)) return node.Name;
        }
        return null;
    }

    /// <summary>BGP sessions the router has Established, by node name.</summary>
    public async Task<IReadOnlySet<string>> EstablishedSessionsAsync()
    {
        var up = new HashSet<string>(StringComparer.Ordinal);
        switch (Options.Router)
        {
            case RouterKind.Bird:
                var r = await Shell.TryInNs(Topology.RouterNamespace, TimeSpan.FromSeconds(10), "birdc", "-s", BirdSocket, "show", "protocols").ConfigureAwait(false);
                foreach (var line in r.StandardOutput.Split('\n'))
                {
                    var cols = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
                    if (cols.Length >= 6 && cols[1] == "BGP" && line.Contains("Established", StringComparison.Ordinal)) up.Add(cols[0]);
                }
                break;
            case RouterKind.Frr:
                var f = await Shell.TryInNs(Topology.RouterNamespace, TimeSpan.FromSeconds(10), "vtysh", "--vty_socket", Path.Combine(StateDir, "router"), "-c", "show bgp summary json").ConfigureAwait(false);
                if (f.ExitCode != 0) break;
                try
                {
                    using var summary = JsonDocument.Parse(f.StandardOutput);
                    if (summary.RootElement.TryGetProperty("ipv4Unicast", out var v4) && v4.TryGetProperty("peers", out var peers))
                        foreach (var node in Topology.Nodes)
                            if (peers.TryGetProperty(node.Address, out var peer) && peer.TryGetProperty("state", out var state) && state.GetString() == "Established") up.Add(node.Name);
                }
                catch (JsonException) { }
                break;
            case RouterKind.GoBgp:
                var g = await Shell.TryInNs(Topology.RouterNamespace, TimeSpan.FromSeconds(10), "gobgp", "neighbor").ConfigureAwait(false);
                foreach (var node in Topology.Nodes)
                    if (g.StandardOutput.Split('\n').Any(l => l.Contains(node.Address, StringComparison.Ordinal) && l.Contains("Establ", StringComparison.Ordinal))) up.Add(node.Name);
                break;
        }
        return up;
    }

    private async Task WaitForBgpSessionsAsync(TimeSpan timeout, CancellationToken cancellationToken)
        => await WaitUntil("every node's BGP session to be Established", timeout,
            async () => (await EstablishedSessionsAsync().ConfigureAwait(false)).Count == Topology.Nodes.Count, cancellationToken).ConfigureAwait(false);

    /// <summary>Kills a node's speaker hard (SIGKILL: a crash, nothing withdrawn on the way out).</summary>
    public async Task KillSpeakerAsync(string nodeName)
    {
        if (Pid("speaker-" + nodeName) is { } pid) await Shell.Run("kill", "-KILL", pid.ToString(CultureInfo.InvariantCulture)).ConfigureAwait(false);
    }

    /// <summary>Stops a node's speaker cleanly (SIGTERM, as the kubelet does).</summary>
    public async Task StopSpeakerAsync(string nodeName)
    {
        if (Pid("speaker-" + nodeName) is { } pid) await Shell.Stop(pid, TimeSpan.FromSeconds(30)).ConfigureAwait(false);
    }

    /// <summary>Whether the node's speaker answers 200 on /readyz (what the DaemonSet's readiness probe asks).</summary>
    public async Task<bool> SpeakerReadyAsync(string nodeName)
        => (await Shell.TryInNs(Topology.Node(nodeName).Namespace, TimeSpan.FromSeconds(10), "curl", "-sf", "--max-time", "2", "http://127.0.0.1:7472/readyz").ConfigureAwait(false)).ExitCode == 0;

    /// <summary>Whether the controller answers 200 on /readyz (caches synced; when leading, assignments restored).</summary>
    public async Task<bool> ControllerReadyAsync()
        => (await Shell.TryRun("curl", "-sf", "--max-time", "2", $"http://127.0.0.1:{(Options.ApiPort + 1).ToString(CultureInfo.InvariantCulture)}/readyz").ConfigureAwait(false)).ExitCode == 0;

    public async Task StopControllerAsync()
    {
        if (Pid("controller") is { } pid) await Shell.Stop(pid, TimeSpan.FromSeconds(15)).ConfigureAwait(false);
    }

    /// <summary>Cuts (or restores) a node's link to the segment, as a pulled cable would.</summary>
    public Task SetNodeLinkAsync(string nodeName, bool up)
        => Shell.InNs(Topology.SegmentNamespace, "ip", "link", "set", "p-" + nodeName, up ? "up" : "down");

    public int? Pid(string name)
    {
        var file = Path.Combine(PidDir, name + ".pid");
        return File.Exists(file) && int.TryParse(File.ReadAllText(file).Trim(), out var pid) && Shell.IsAlive(pid) && !Shell.IsZombie(pid) ? pid : null;
    }

    public static async Task WaitUntil(string what, TimeSpan timeout, Func<Task<bool>> condition, CancellationToken cancellationToken = default)
    {
        var sw = Stopwatch.StartNew();
        while (true)
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (await condition().ConfigureAwait(false)) return;
            if (sw.Elapsed > timeout) throw new SandboxException($"sandbox: timed out after {timeout.TotalSeconds:0} s waiting for {what}");
            await Task.Delay(100, cancellationToken).ConfigureAwait(false);
        }
    }

    // ---------------------------------------------------------------- down

    /// <summary>Stops every daemon by its PID, kills what is left inside the sandbox's namespaces, deletes them and the state directory.</summary>
    public async Task DownAsync()
    {
        if (Directory.Exists(PidDir))
        {
            // Speakers first (SIGTERM: they withdraw and release their Leases), then the rest.
            var files = Directory.GetFiles(PidDir, "*.pid").OrderBy(f => Path.GetFileName(f).StartsWith("speaker-", StringComparison.Ordinal) ? 0 : 1).ToList();
            foreach (var file in files)
                if (int.TryParse((await File.ReadAllTextAsync(file).ConfigureAwait(false)).Trim(), out var pid))
                    await Shell.Stop(pid, TimeSpan.FromSeconds(5)).ConfigureAwait(false);
        }
        var list = await Shell.TryRun("ip", "netns", "list").ConfigureAwait(false);
        var ours = list.StandardOutput.Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(l => l.Split(' ')[0])
            .Where(n => n.StartsWith(Options.Prefix + "-", StringComparison.Ordinal)
                        && System.Text.RegularExpressions.Regex.IsMatch(n[(Options.Prefix.Length + 1)..], "^(seg|router|client|node[0-9]+|n[0-9]+[a-z])$"))
            .OrderBy(n => n.EndsWith("-seg", StringComparison.Ordinal) ? 1 : 0).ToList();
        foreach (var ns in ours)
        {
            var pids = await Shell.TryRun("ip", "netns", "pids", ns).ConfigureAwait(false);
            foreach (var line in pids.StandardOutput.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
                if (int.TryParse(line, out var pid)) await Shell.TryRun("kill", "-KILL", pid.ToString(CultureInfo.InvariantCulture)).ConfigureAwait(false);
        }
        foreach (var ns in ours.AsEnumerable().Reverse()) await Shell.TryRun("ip", "netns", "del", ns).ConfigureAwait(false);
        if (Directory.Exists(StateDir) && File.Exists(Path.Combine(StateDir, "prefix"))) Directory.Delete(StateDir, recursive: true);
    }
}
