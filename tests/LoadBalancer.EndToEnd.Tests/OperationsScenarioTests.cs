using System.Globalization;
using System.Text.Json;
using LoadBalancer.Benchmarks.Sandbox;
using LoadBalancer.Sandbox;
using LoadBalancer.TestKit.Net;
using Xunit.Abstractions;

namespace LoadBalancer.EndToEnd.Tests;

/// <summary>A full sandbox (BIRD router, 3 nodes) of its own for <see cref="OperationsScenarioTests"/>, so restarting every process disturbs no other scenario.</summary>
public sealed class OperationsSandboxFixture : IAsyncLifetime
{
    public SandboxLab Lab { get; } = new(new SandboxOptions
    {
        Prefix = "lbe" + (Environment.ProcessId % 100000).ToString(CultureInfo.InvariantCulture) + "o",
        StateDir = Path.Combine(Path.GetTempPath(), $"lbe-{Environment.ProcessId}-o"),
        ApiPort = SandboxPorts.Api(11),
        Nodes = 3, DemoServices = false,
    });

    public Task InitializeAsync() => Lab.UpAsync().WaitAsync(TimeSpan.FromSeconds(180));

    public Task DisposeAsync() => Lab.DownAsync().WaitAsync(TimeSpan.FromSeconds(90));
}

/// <summary>
/// Operations scenarios: restarting the controller and every speaker, bad input through kubectl, and the
/// apply-to-first-request benchmark at tiny size. Each leaves the sandbox as it found it.
/// </summary>
[Collection("sandbox")]
public sealed class OperationsScenarioTests(OperationsSandboxFixture fixture, ITestOutputHelper output) : IClassFixture<OperationsSandboxFixture>
{
    private static readonly TimeSpan Converge = TimeSpan.FromSeconds(45);

    private SandboxLab Lab => fixture.Lab;

    private Task<string> IpOf(SandboxService svc) => Lab.WaitForIpAsync(svc.Name, Converge);

    private Task<string> Reach(string ip) => Lab.WaitForAnswerAsync(ip, Converge);

    /// <summary>
    /// The bound on a client-visible interruption while the controller and then every speaker restart one by one
    /// (SIGTERM, start, wait for /readyz, as a DaemonSet rolling update does). It follows from the design: the
    /// controller is not on the data path and moves no IP; a stopping speaker withdraws first (Layer 2: the next owner
    /// takes over in well under a second, 48-120 ms measured; BGP: CEASE, the router drops that next hop at once)
    /// while its data plane keeps forwarding, so at most one client attempt in flight at a handover is lost: its
    /// 500 ms timeout plus the 100 ms poll interval, with as much again for scheduling on a loaded 2-core machine.
    /// </summary>
    public static readonly TimeSpan RollingRestartBound = TimeSpan.FromSeconds(2);

    [Fact]
    public async Task Restarting_the_controller_and_every_speaker_moves_no_ip_and_interrupts_clients_within_the_bound()
    {
        var services = new[]
        {
            new SandboxService("e2e-rs-l2", Announce.Layer2, false),
            new SandboxService("e2e-rs-l2-local", Announce.Layer2, true),
            new SandboxService("e2e-rs-bgp", Announce.Bgp, false),
            new SandboxService("e2e-rs-bgp-local", Announce.Bgp, true),
        };
        foreach (var s in services) await Lab.ApplyServiceAsync(s);
        var ips = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var s in services) ips[s.Name] = await IpOf(s);
        foreach (var s in services) await Reach(ips[s.Name]);
        var podNodes = Lab.Topology.Pods.Select(p => p.NodeName).ToHashSet(StringComparer.Ordinal);
        await SandboxLab.WaitUntil("every node announcing the BGP Cluster Service", Converge, async () => (await Lab.RouterNextHopsAsync(ips["e2e-rs-bgp"])).Count == Lab.Topology.Nodes.Count);
        await SandboxLab.WaitUntil("the nodes with pods announcing the BGP Local Service", Converge, async () => (await Lab.RouterNextHopsAsync(ips["e2e-rs-bgp-local"])).SetEquals(podNodes));
        var before = await StatusesAsync(services);

        var pollers = services.Select(s => new ClientPoller(Lab, ips[s.Name], TimeSpan.FromMilliseconds(100), TimeSpan.FromMilliseconds(500))).ToList();
        var views = new List<ClientView>();
        var started = DateTime.UtcNow;
        try
        {
            // The controller: SIGTERM, start, ready.
            await Lab.StopControllerAsync();
            await Lab.StartControllerProcessAsync();
            await SandboxLab.WaitUntil("the controller's /readyz", Converge, Lab.ControllerReadyAsync);
            // Every speaker in turn, as a DaemonSet rolling update (maxUnavailable 1) does: next one when this one is ready.
            foreach (var node in Lab.Topology.Nodes)
            {
                await Lab.StopSpeakerAsync(node.Name);
                Assert.Null(Lab.Pid("speaker-" + node.Name));
                await Lab.StartSpeakerAsync(node.Name);
                await SandboxLab.WaitUntil($"{node.Name}'s speaker /readyz", Converge, () => Lab.SpeakerReadyAsync(node.Name));
                await SandboxLab.WaitUntil($"{node.Name} back in the BGP ECMP set", Converge, async () => (await Lab.RouterNextHopsAsync(ips["e2e-rs-bgp"])).Contains(node.Name));
            }
            // Let the clients see the settled state for a moment.
            await SandboxLab.WaitUntil("the BGP Local ECMP set to be the nodes with pods", Converge, async () => (await Lab.RouterNextHopsAsync(ips["e2e-rs-bgp-local"])).SetEquals(podNodes));
        }
        finally
        {
            foreach (var p in pollers) views.Add(await p.StopAsync());
            foreach (var p in pollers) await p.DisposeAsync();
        }
        var took = DateTime.UtcNow - started;

        foreach (var v in views)
            output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"rolling restart ({took.TotalSeconds:0} s): {v.Ip} {v.Attempts.Count} requests, {v.Failed} failed, longest interruption {v.LongestInterruption.TotalMilliseconds:0} ms; answered by {string.Join(",", v.Attempts.Where(a => a.Ok).Select(a => a.Node).Distinct().Order())}"));
        Assert.Equal(before, await StatusesAsync(services));
        foreach (var s in services) Assert.Equal(ips[s.Name], await Lab.ServiceIpAsync(s.Name));
        Assert.All(views, v => Assert.True(v.Attempts.Count > 20, $"{v.Ip}: the client kept polling ({v.Attempts.Count} requests)"));
        Assert.All(views, v => Assert.True(v.EndsAnswered, $"{v.Ip} answers after the restarts"));
        Assert.All(views, v => Assert.True(v.LongestInterruption <= RollingRestartBound,
            $"{v.Ip}: longest client-visible interruption {v.LongestInterruption.TotalMilliseconds:0} ms exceeds {RollingRestartBound.TotalMilliseconds:0} ms ({v.Failed} of {v.Attempts.Count} failed)"));
        foreach (var s in services) await Lab.DeleteServiceAsync(s);
    }

    /// <summary>
    /// The bound when every speaker is stopped at the same moment and started again (not what a DaemonSet update
    /// does, but what a node-wide restart or a bad rollout looks like). By design BGP has an outage here: each
    /// speaker's CEASE makes the router drop its routes, so the BGP Services are unreachable until the first speaker
    /// is back: process start, informer sync, one reconcile round and the BGP session (connect retry from 0.5 s),
    /// several seconds on a loaded 2-core machine, bounded at 20 s. Layer 2 Services keep answering: the router's ARP
    /// entry still points at the old owner, whose nftables rules stay in place while its speaker is down.
    /// </summary>
    public static readonly TimeSpan AllAtOnceBgpBound = TimeSpan.FromSeconds(20);

    [Fact]
    public async Task Stopping_every_speaker_at_once_moves_no_ip_and_bgp_returns_within_the_bound()
    {
        var l2 = new SandboxService("e2e-all-l2", Announce.Layer2, false);
        var bgp = new SandboxService("e2e-all-bgp", Announce.Bgp, false);
        await Lab.ApplyServiceAsync(l2);
        await Lab.ApplyServiceAsync(bgp);
        var l2Ip = await IpOf(l2);
        var bgpIp = await IpOf(bgp);
        await Reach(l2Ip);
        await SandboxLab.WaitUntil("every node announcing the BGP Service", Converge, async () => (await Lab.RouterNextHopsAsync(bgpIp)).Count == Lab.Topology.Nodes.Count);
        var before = await StatusesAsync([l2, bgp]);

        var l2Poller = new ClientPoller(Lab, l2Ip, TimeSpan.FromMilliseconds(100), TimeSpan.FromMilliseconds(500));
        var bgpPoller = new ClientPoller(Lab, bgpIp, TimeSpan.FromMilliseconds(100), TimeSpan.FromMilliseconds(500));
        ClientView l2View, bgpView;
        try
        {
            await Task.WhenAll(Lab.Topology.Nodes.Select(n => Lab.StopSpeakerAsync(n.Name)));
            await Task.WhenAll(Lab.Topology.Nodes.Select(n => Lab.StartSpeakerAsync(n.Name)));
            foreach (var node in Lab.Topology.Nodes)
                await SandboxLab.WaitUntil($"{node.Name}'s speaker /readyz", Converge, () => Lab.SpeakerReadyAsync(node.Name));
            await SandboxLab.WaitUntil("every node back in the BGP ECMP set", Converge, async () => (await Lab.RouterNextHopsAsync(bgpIp)).Count == Lab.Topology.Nodes.Count);
        }
        finally
        {
            l2View = await l2Poller.StopAsync();
            bgpView = await bgpPoller.StopAsync();
            await l2Poller.DisposeAsync();
            await bgpPoller.DisposeAsync();
        }
        foreach (var v in new[] { l2View, bgpView })
            output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"all speakers at once: {v.Ip} {v.Attempts.Count} requests, {v.Failed} failed, longest interruption {v.LongestInterruption.TotalMilliseconds:0} ms"));
        Assert.Equal(before, await StatusesAsync([l2, bgp]));
        Assert.True(l2View.EndsAnswered && bgpView.EndsAnswered, "both answer again");
        Assert.True(l2View.LongestInterruption <= RollingRestartBound, $"Layer 2: {l2View.LongestInterruption.TotalMilliseconds:0} ms");
        Assert.True(bgpView.LongestInterruption <= AllAtOnceBgpBound, $"BGP: {bgpView.LongestInterruption.TotalMilliseconds:0} ms");
        await Lab.DeleteServiceAsync(l2);
        await Lab.DeleteServiceAsync(bgp);
    }

    /// <summary>Each Service's status and the allocation annotation, as kubectl prints them (the IPs and where they came from).</summary>
    private async Task<Dictionary<string, string>> StatusesAsync(IEnumerable<SandboxService> services)
    {
        var result = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var s in services)
            result[s.Name] = await Lab.Kubectl("get", "service", s.Name, "-n", SandboxService.Namespace, "-o",
                "jsonpath={.status}{' '}{.metadata.annotations.lb\\.baremetal\\.dev/ip-allocated-from-pool}");
        return result;
    }

    [Fact]
    public async Task Bad_pools_and_peers_are_refused_by_the_schema_or_reported_on_the_object_and_nothing_else_breaks()
    {
        var l2 = new SandboxService("e2e-bad-l2", Announce.Layer2, false);
        var bgp = new SandboxService("e2e-bad-bgp", Announce.Bgp, false);
        await Lab.ApplyServiceAsync(l2);
        await Lab.ApplyServiceAsync(bgp);
        var l2Ip = await IpOf(l2);
        var bgpIp = await IpOf(bgp);
        await Reach(l2Ip);
        await Reach(bgpIp);
        const string ns = KubeObjects.InstallNamespace;
        try
        {
            // 1. Refused by the CRD schema: kubectl's error names the field.
            var refused = new (string Yaml, string Field)[]
            {
                ($"apiVersion: lb.baremetal.dev/v1beta1\nkind: BGPPeer\nmetadata: {{name: e2e-bad-asn, namespace: {ns}}}\nspec: {{myASN: 0, peerASN: 64512, peerAddress: 192.0.2.1}}\n", "spec.myASN"),
                ($"apiVersion: lb.baremetal.dev/v1beta1\nkind: BGPPeer\nmetadata: {{name: e2e-bad-hold, namespace: {ns}}}\nspec: {{myASN: 64513, peerASN: 64512, peerAddress: 192.0.2.1, holdTime: soon}}\n", "spec.holdTime"),
                ($"apiVersion: lb.baremetal.dev/v1beta1\nkind: IPAddressPool\nmetadata: {{name: e2e-bad-text, namespace: {ns}}}\nspec: {{addresses: [not-an-address]}}\n", "spec.addresses[0]"),
            };
            foreach (var (yaml, field) in refused)
            {
                var r = await KubectlApplyTry(yaml);
                Assert.True(r.ExitCode != 0, $"kubectl apply should fail for {field}: {r.StandardOutput}");
                Assert.Contains(field, r.StandardError, StringComparison.Ordinal);
                Assert.Contains("is invalid", r.StandardError, StringComparison.Ordinal);
                output.WriteLine("kubectl: " + r.StandardError.Trim());
            }

            // 2. Accepted by the schema, refused by the controller: Valid=False with the field path, and an InvalidConfiguration Event.
            var reported = new (string Kind, string Name, string Yaml, string Message)[]
            {
                ("IPAddressPool", "e2e-bad-overlap", $"apiVersion: lb.baremetal.dev/v1beta1\nkind: IPAddressPool\nmetadata: {{name: e2e-bad-overlap, namespace: {ns}}}\nspec: {{addresses: [203.0.113.0/28], autoAssign: false}}\n",
                    $"spec.addresses[0]: 203.0.113.0/28 overlaps"),
                ("IPAddressPool", "e2e-bad-range", $"apiVersion: lb.baremetal.dev/v1beta1\nkind: IPAddressPool\nmetadata: {{name: e2e-bad-range, namespace: {ns}}}\nspec: {{addresses: [192.0.2.250-192.0.2.240], autoAssign: false}}\n",
                    "spec.addresses[0]"),
                ("BGPPeer", "e2e-bad-peer", $"apiVersion: lb.baremetal.dev/v1beta1\nkind: BGPPeer\nmetadata: {{name: e2e-bad-peer, namespace: {ns}}}\nspec: {{myASN: 64513, peerASN: 64512, peerAddress: 192.0.2.99, holdTime: 1s}}\n",
                    "spec.holdTime"),
            };
            foreach (var (_, _, yaml, _) in reported) await Lab.KubectlApply(yaml);
            foreach (var (kind, name, _, message) in reported)
            {
                JsonElement condition = default;
                await SandboxLab.WaitUntil($"{kind} {name} to be Valid=False", Converge, async () =>
                {
                    var json = await Lab.Kubectl("get", kind.ToLowerInvariant(), name, "-n", ns, "-o", "json");
                    using var doc = JsonDocument.Parse(json);
                    if (!doc.RootElement.TryGetProperty("status", out var st) || !st.TryGetProperty("conditions", out var conds)) return false;
                    foreach (var c in conds.EnumerateArray())
                        if (c.GetProperty("type").GetString() == "Valid") { condition = c.Clone(); return true; }
                    return false;
                });
                output.WriteLine($"{kind}/{name}: Valid={condition.GetProperty("status")} {condition.GetProperty("reason")}: {condition.GetProperty("message")}");
                Assert.Equal("False", condition.GetProperty("status").GetString());
                Assert.Equal("InvalidConfiguration", condition.GetProperty("reason").GetString());
                Assert.Contains(message, condition.GetProperty("message").GetString(), StringComparison.Ordinal);
                await SandboxLab.WaitUntil($"an InvalidConfiguration Event on {kind}/{name}", Converge, async () =>
                {
                    using var events = JsonDocument.Parse(await Lab.Kubectl("get", "events.events.k8s.io", "-n", ns, "-o", "json"));
                    return events.RootElement.GetProperty("items").EnumerateArray().Any(e =>
                        e.GetProperty("reason").GetString() == "InvalidConfiguration" && e.GetProperty("type").GetString() == "Warning"
                        && e.GetProperty("regarding").GetProperty("kind").GetString() == kind && e.GetProperty("regarding").GetProperty("name").GetString() == name
                        && e.GetProperty("note").GetString()!.Contains(message, StringComparison.Ordinal));
                });
            }
            // What a user sees with kubectl describe.
            Assert.Contains("InvalidConfiguration", await Lab.Kubectl("describe", "bgppeer", "e2e-bad-peer", "-n", ns), StringComparison.Ordinal);

            // 3. Nothing else breaks: the valid pools and the router peer still are Valid, every session stays up,
            // existing Services keep their IPs and answer, a new Service gets an IP and answers.
            foreach (var (kind, name) in new[] { ("ipaddresspool", KubeObjects.L2Pool), ("ipaddresspool", KubeObjects.BgpPool), ("bgppeer", "router") })
                Assert.Equal("True", (await Lab.Kubectl("get", kind, name, "-n", ns, "-o", "jsonpath={.status.conditions[?(@.type==\"Valid\")].status}")).Trim());
            // ... and `kubectl get` shows it in the VALID column.
            var table = await Lab.Kubectl("get", "ipaddresspools", KubeObjects.L2Pool, "e2e-bad-overlap", "-n", ns);
            output.WriteLine(table);
            Assert.Matches(@"(?m)^sandbox-l2 .* True ", table);
            Assert.Matches(@"(?m)^e2e-bad-overlap .* False ", table);
            Assert.Equal(Lab.Topology.Nodes.Count, (await Lab.EstablishedSessionsAsync()).Count);
            Assert.Equal(l2Ip, await Lab.ServiceIpAsync(l2.Name));
            Assert.Equal(bgpIp, await Lab.ServiceIpAsync(bgp.Name));
            await Reach(l2Ip);
            await Reach(bgpIp);
            Assert.Equal(Lab.Topology.Nodes.Count, (await Lab.RouterNextHopsAsync(bgpIp)).Count);
            var fresh = new SandboxService("e2e-bad-new", Announce.Bgp, false);
            await Lab.ApplyServiceAsync(fresh);
            await Reach(await IpOf(fresh));
            await Lab.DeleteServiceAsync(fresh);
        }
        finally
        {
            foreach (var (kind, name) in new[] { ("bgppeer", "e2e-bad-peer"), ("ipaddresspool", "e2e-bad-overlap"), ("ipaddresspool", "e2e-bad-range") })
                await Lab.KubectlTry(TimeSpan.FromSeconds(30), "delete", kind, name, "-n", ns, "--ignore-not-found", "--wait=false");
            await Lab.DeleteServiceAsync(l2);
            await Lab.DeleteServiceAsync(bgp);
        }
    }

    private Task<ProcessResult> KubectlApplyTry(string yaml)
        => ProcessRunner.RunAsync("kubectl", ["--kubeconfig", Lab.Kubeconfig, "apply", "-f", "-"], TimeSpan.FromSeconds(60), yaml);

    [Fact]
    public async Task Apply_to_first_request_benchmark_runs_at_tiny_size()
    {
        var writer = new StringWriter();
        var results = await ApplyToReachScenario.MeasureAsync(Lab, 2, writer).WaitAsync(TimeSpan.FromMinutes(3));
        output.WriteLine(writer.ToString());
        Assert.Equal([Announce.Layer2, Announce.Bgp], results.Select(r => r.Mode));
        Assert.All(results, r => Assert.Equal(0, r.TimedOut));
        Assert.All(results, r => Assert.Equal(2, r.Samples.Count));
        Assert.All(results, r => Assert.True(r.Samples.All(s => s > TimeSpan.Zero)));
        // It removed what it created.
        Assert.DoesNotContain("bench-", await Lab.Kubectl("get", "services,ipaddresspools", "-A", "-o", "name"), StringComparison.Ordinal);
    }
}
