using System.Text.Json.Nodes;
using LoadBalancer.Manifests.Tests.Support;
using LoadBalancer.TestKit.ApiServer;
using LoadBalancer.TestKit.Net;

namespace LoadBalancer.Manifests.Tests.Docs;

/// <summary>
/// Every shell command shown in README.md and docs/*.md (their <c>```sh</c> blocks, see <see cref="DocCommands"/>)
/// either runs here, in the order a reader would run them, from the repository root with KUBECONFIG pointing at the
/// API server emulator (which serves CRDs, apply, describe and delete to the machine's kubectl), or is listed below
/// with the reason it cannot. A command added to the docs and listed nowhere fails the first test.
/// </summary>
public sealed class DocCommandTests
{
    /// <summary>Commands that cannot run on this machine or in CI, and why.</summary>
    private static readonly Dictionary<string, string> NotRunHere = new(StringComparer.Ordinal)
    {
        ["bash scripts/demo.sh"] = "installs packages, builds, and starts the whole sandbox in network namespaces, left running; the EndToEnd tests start the same sandbox (SandboxFixture)",
        ["dotnet run --project tests/LoadBalancer.Sandbox -c Release --no-build -- down"] = "tears down the sandbox demo.sh started, found by the default namespace prefix that every checkout on the machine shares; the EndToEnd tests' SandboxFixture runs the same DownAsync",
        ["bash .ci/run"] = "this is CI itself (scripts/setup.sh, then every test project, this one included)",
        ["bash scripts/publish-aot.sh"] = "takes minutes; scripts/setup.sh runs this very line before the tests (checked below) and Images/AotBinaryTests runs what it produced",
        ["docker build -f images/controller/Dockerfile -t ghcr.io/lb-baremetal/loadbalancer-controller:0.1.0 ."] = "no container runtime on this machine or on CI; the Dockerfile's publish step is scripts/publish-aot.sh's (Images/DockerfileTests)",
        ["docker build -f images/speaker/Dockerfile -t ghcr.io/lb-baremetal/loadbalancer-speaker:0.1.0 ."] = "no container runtime on this machine or on CI; the Dockerfile's publish step is scripts/publish-aot.sh's (Images/DockerfileTests)",
    };

    private const string MigrateFromCluster = "kubectl get ipaddresspools.metallb.io,l2advertisements.metallb.io,bgpadvertisements.metallb.io,bgppeers.metallb.io,bfdprofiles.metallb.io,communities.metallb.io -n metallb-system -o yaml";

    /// <summary>The commands that run, in this order, each with what must hold afterwards (besides exit code 0).</summary>
    private static readonly (string Command, Func<Session, ProcessResult, Task> Check)[] RunHere =
    [
        ("kubectl apply -f manifests/namespace.yaml", (s, _) => s.ExpectAsync("the namespace exists", "get", "namespace", "loadbalancer-system")),
        ("kubectl -n loadbalancer-system create secret generic loadbalancer-probe-key --from-literal=key=\"$(head -c 32 /dev/urandom | base64 -w0)\" --dry-run=client -o yaml | kubectl create -f -",
            (s, _) => s.ExpectAsync("the probe key Secret exists", "get", "secret", "loadbalancer-probe-key", "-n", "loadbalancer-system")),
        ("kubectl apply -k manifests", (s, _) => s.ExpectAsync("the CRDs are served", "get", "ipaddresspools", "-n", "loadbalancer-system")),
        ("kubectl apply -f manifests/install.yaml", Nothing),
        ("kubectl apply -f manifests/samples/l2.yaml", (s, _) => s.ExpectAsync("the pool exists", "get", "ipaddresspool", "l2-pool", "-n", "loadbalancer-system")),
        ("kubectl apply -f manifests/samples/bgp.yaml", (s, _) => s.ExpectAsync("the peer exists", "get", "bgppeer", "router", "-n", "loadbalancer-system")),
        ("kubectl get ipaddresspools,l2advertisements,bgppeers -n loadbalancer-system", (_, r) => Contains(r.StandardOutput, "l2-pool", "VALID")),
        ("kubectl get serviceannouncements -n loadbalancer-system", Nothing),
        ("kubectl get bgpsessions -n loadbalancer-system", Nothing),
        ("kubectl describe service web-l2", (_, r) => Contains(r.StandardOutput, "web-l2", "LoadBalancer")),
        // MetalLB's objects are on the cluster from here on (Session.InstallMetalLbAsync), as in a migration.
        (MigrateFromCluster + " | dotnet run --project tools/LoadBalancer.Migrate -- > loadbalancer-config.yaml", (s, _) => s.ExpectConvertedAsync()),
        (MigrateFromCluster + " | dotnet run --project tools/LoadBalancer.Migrate -- --namespace loadbalancer-system > loadbalancer-config.yaml", (s, _) => s.ExpectConvertedAsync()),
        ("dotnet run --project tools/LoadBalancer.Migrate -- metallb/*.yaml -o loadbalancer-config.yaml", (s, _) => s.ExpectConvertedAsync()),
        ("kubectl apply -f loadbalancer-config.yaml", (s, _) => s.ExpectAsync("the migrated peer exists", "get", "bgppeer", "router-a", "-n", "loadbalancer-system")),
        ("kubectl delete -k manifests --ignore-not-found", (s, _) => s.ExpectGoneAsync("crd", "ipaddresspools.lb.baremetal.dev")),
    ];

    private static Task Nothing(Session s, ProcessResult r) => Task.CompletedTask;

    private static Task Contains(string output, params string[] parts)
    {
        foreach (var p in parts) Assert.Contains(p, output, StringComparison.Ordinal);
        return Task.CompletedTask;
    }

    /// <summary>README.md and every docs/*.md (benchmarks included).</summary>
    internal static IReadOnlyList<DocCommand> AllCommands()
    {
        var files = new[] { Repo.Path_("README.md") }
            .Concat(Directory.EnumerateFiles(Repo.Path_("docs"), "*.md", SearchOption.AllDirectories).Order(StringComparer.Ordinal));
        return [.. files.SelectMany(f => DocCommands.Extract(Path.GetRelativePath(Repo.Root, f), File.ReadAllText(f)))];
    }

    [Fact]
    public void Every_command_in_the_docs_runs_here_or_is_listed_with_the_reason_it_cannot()
    {
        var commands = AllCommands();
        Assert.NotEmpty(commands);
        var known = RunHere.Select(r => r.Command).Concat(NotRunHere.Keys).ToHashSet(StringComparer.Ordinal);
        var unlisted = commands.Where(c => !known.Contains(c.Text)).Select(c => c.ToString()).ToList();
        Assert.True(unlisted.Count == 0,
            "commands in the docs that this test neither runs nor lists with a reason (add them to RunHere or NotRunHere):\n" + string.Join('\n', unlisted));
        var shown = commands.Select(c => c.Text).ToHashSet(StringComparer.Ordinal);
        var stale = known.Where(k => !shown.Contains(k)).ToList();
        Assert.True(stale.Count == 0, "listed here but no longer in any doc (remove them):\n" + string.Join('\n', stale));
        Assert.All(NotRunHere, kv => Assert.False(string.IsNullOrWhiteSpace(kv.Value), kv.Key + " has no reason"));
        // What CI runs instead of the test.
        Assert.Contains("bash scripts/publish-aot.sh", File.ReadAllText(Repo.Path_("scripts", "setup.sh")), StringComparison.Ordinal);
    }

    [Fact]
    public void The_extractor_joins_continuations_skips_comments_and_reads_or_alternatives()
    {
        const string md = """
            text `kubectl not-a-block`
            ```sh
            # a comment
            kubectl apply -k manifests   # or: kubectl apply -f manifests/install.yaml
            kubectl get a \
              | grep "x # not a comment"
            ```
            ```
            kubectl in-an-unlabelled-block
            ```
            ```yaml
            kind: Pod
            ```
            """;
        Assert.Equal(
            ["x.md:4: kubectl apply -k manifests", "x.md:4: kubectl apply -f manifests/install.yaml", "x.md:5: kubectl get a | grep \"x # not a comment\""],
            DocCommands.Extract("x.md", md).Select(c => c.ToString()));
    }

    [Fact]
    public async Task The_runnable_commands_work_in_order_against_the_api_server_emulator()
    {
        ProcessRunner.Require("kubectl");
        ProcessRunner.Require("dotnet");
        var shown = AllCommands().Select(c => c.Text).ToHashSet(StringComparer.Ordinal);
        await using var session = await Session.StartAsync();
        foreach (var (command, check) in RunHere)
        {
            Assert.Contains(command, shown);
            if (command.StartsWith(MigrateFromCluster, StringComparison.Ordinal) || command.Contains("metallb/*.yaml", StringComparison.Ordinal))
                await session.InstallMetalLbAsync();
            if (command.Contains("tools/LoadBalancer.Migrate", StringComparison.Ordinal)) session.RemoveOutput(); // each writes it anew
            var result = await session.RunAsync(command);
            Assert.True(result.ExitCode == 0, $"`{command}` exited {result.ExitCode}\nstdout: {result.StandardOutput}\nstderr: {result.StandardError}");
            await check(session, result);
        }
    }

    /// <summary>An emulator, a kubeconfig for it, and what a doc command leaves in the repository root (removed at the end).</summary>
    internal sealed class Session : IAsyncDisposable
    {
        private readonly KubeApiServer _server;
        private readonly string _kubeconfig;
        private bool _metalLb;

        private Session(KubeApiServer server, string kubeconfig)
        {
            _server = server;
            _kubeconfig = kubeconfig;
        }

        private static string Output => Repo.Path_("loadbalancer-config.yaml");

        private static string MetalLbDir => Repo.Path_("metallb");

        public static async Task<Session> StartAsync()
        {
            var server = await KubeApiServer.StartAsync(new KubeApiServerOptions()).WaitAsync(TimeSpan.FromSeconds(30));
            var kubeconfig = Path.Combine(Path.GetTempPath(), $"lb-doc-{Guid.NewGuid():N}.kubeconfig");
            server.WriteKubeconfig(kubeconfig);
            return new Session(server, kubeconfig);
        }

        public void RemoveOutput() => File.Delete(Output);

        /// <summary>Runs one command as a reader would paste it (bash, pipefail), from the repository root.</summary>
        public async Task<ProcessResult> RunAsync(string command)
        {
            var env = $"KUBECONFIG={_kubeconfig} MSBUILDDISABLENODEREUSE=1 DOTNET_CLI_USE_MSBUILD_SERVER=0 DOTNET_NOLOGO=1";
            return await ProcessRunner.RunAsync("bash", ["-c", $"cd {Repo.Root} && export {env} && set -o pipefail && {command}"], TimeSpan.FromMinutes(4));
        }

        private Task<ProcessResult> Kubectl(string? stdin, params string[] args)
            => ProcessRunner.RunAsync("kubectl", ["--kubeconfig", _kubeconfig, .. args], TimeSpan.FromSeconds(60), stdin);

        public async Task ExpectAsync(string what, params string[] kubectlArgs)
        {
            var r = await Kubectl(null, kubectlArgs);
            Assert.True(r.ExitCode == 0, $"{what}: kubectl {string.Join(' ', kubectlArgs)}: {r.StandardError}");
        }

        public async Task ExpectGoneAsync(params string[] kubectlGetArgs)
        {
            var r = await Kubectl(null, ["get", .. kubectlGetArgs]);
            Assert.True(r.ExitCode != 0 && r.StandardError.Contains("NotFound", StringComparison.Ordinal), $"{string.Join(' ', kubectlGetArgs)} is still there: {r.StandardOutput}");
        }

        /// <summary>The migrate command wrote our kinds, converted from the MetalLB objects.</summary>
        public Task ExpectConvertedAsync()
        {
            var text = File.ReadAllText(Output);
            foreach (var part in (string[])["apiVersion: lb.baremetal.dev/v1beta1", "kind: IPAddressPool", "kind: BGPPeer", "name: router-a", "namespace: loadbalancer-system"])
                Assert.Contains(part, text, StringComparison.Ordinal);
            Assert.DoesNotContain("metallb.io", text, StringComparison.Ordinal);
            return Task.CompletedTask;
        }

        /// <summary>
        /// MetalLB as a cluster being migrated has it: its CRDs (schemaless here, served in the versions MetalLB serves),
        /// the metallb-system namespace and the configuration of the migrate tests' samples; and the same samples as
        /// files under metallb/ for the "from files" form.
        /// </summary>
        public async Task InstallMetalLbAsync()
        {
            if (_metalLb) return;
            _metalLb = true;
            (await Kubectl(MetalLbCrds, "apply", "-f", "-")).EnsureSuccess();
            (await Kubectl("apiVersion: v1\nkind: Namespace\nmetadata: {name: metallb-system}\n", "apply", "-f", "-")).EnsureSuccess();
            Directory.CreateDirectory(MetalLbDir);
            foreach (var sample in (string[])["layer2.yaml", "bgp.yaml"])
            {
                var source = Path.Combine(AppContext.BaseDirectory, "Migration", "MetalLb", sample);
                File.Copy(source, Path.Combine(MetalLbDir, sample), overwrite: true);
                (await Kubectl(null, "apply", "-f", source)).EnsureSuccess();
            }
        }

        private static readonly string MetalLbCrds = string.Join("---\n",
            new[] { ("IPAddressPool", "ipaddresspools", "v1beta1"), ("L2Advertisement", "l2advertisements", "v1beta1"), ("BGPAdvertisement", "bgpadvertisements", "v1beta1"),
                    ("BGPPeer", "bgppeers", "v1beta2"), ("BFDProfile", "bfdprofiles", "v1beta1"), ("Community", "communities", "v1beta1") }
            .Select(k => $"""
                apiVersion: apiextensions.k8s.io/v1
                kind: CustomResourceDefinition
                metadata:
                  name: {k.Item2}.metallb.io
                spec:
                  group: metallb.io
                  scope: Namespaced
                  names:
                    kind: {k.Item1}
                    listKind: {k.Item1}List
                    plural: {k.Item2}
                    singular: {k.Item1.ToLowerInvariant()}
                  versions:
                {Version(k.Item3, storage: true)}{(k.Item3 == "v1beta2" ? Version("v1beta1", storage: false) : "")}
                """));

        private static string Version(string name, bool storage) => $"""
              - name: {name}
                served: true
                storage: {(storage ? "true" : "false")}
                schema:
                  openAPIV3Schema:
                    type: object
                    x-kubernetes-preserve-unknown-fields: true

            """;

        public async ValueTask DisposeAsync()
        {
            await _server.DisposeAsync();
            File.Delete(_kubeconfig);
            File.Delete(Output);
            if (Directory.Exists(MetalLbDir)) Directory.Delete(MetalLbDir, recursive: true);
        }
    }
}
