using System.Text.Json.Nodes;
using LoadBalancer.Manifests.Tests.Support;
using LoadBalancer.TestKit.ApiServer;
using LoadBalancer.TestKit.Net;

namespace LoadBalancer.Manifests.Tests;

/// <summary>
/// The install and the samples go through the machine's kubectl into the API server emulator, which installs the
/// CRDs and validates (and defaults) every custom object against their schemas, as a user would see it.
/// </summary>
public sealed class EmulatorApplyTests : IAsyncLifetime
{
    private KubeApiServer _server = null!;
    private string _kubeconfig = null!;

    public async Task InitializeAsync()
    {
        _server = await KubeApiServer.StartAsync(new KubeApiServerOptions()).WaitAsync(TimeSpan.FromSeconds(30));
        _kubeconfig = Path.Combine(Path.GetTempPath(), $"lb-manifests-{Guid.NewGuid():N}.kubeconfig");
        _server.WriteKubeconfig(_kubeconfig);
    }

    public async Task DisposeAsync()
    {
        await _server.DisposeAsync();
        File.Delete(_kubeconfig);
    }

    private Task<ProcessResult> Kubectl(params string[] args)
        => ProcessRunner.RunAsync("kubectl", ["--kubeconfig", _kubeconfig, .. args], TimeSpan.FromSeconds(90));

    [Fact]
    public async Task Kubectl_apply_k_installs_everything_then_every_sample_applies_cleanly()
    {
        (await Kubectl("apply", "-k", Repo.Manifests)).EnsureSuccess();
        foreach (var crd in ManifestSet.Crds())
            (await Kubectl("get", crd.Body["spec"]!["names"]!["plural"].Str(), "-n", "loadbalancer-system")).EnsureSuccess();
        (await Kubectl("get", "daemonset", "loadbalancer-speaker", "-n", "loadbalancer-system")).EnsureSuccess();
        foreach (var sample in ManifestSet.YamlFiles(Path.Combine(Repo.Manifests, "samples")))
        {
            var r = await Kubectl("apply", "-f", sample);
            Assert.True(r.ExitCode == 0, $"{Path.GetFileName(sample)}: {r.StandardError}");
        }
        // The schema's defaults are applied by the server.
        var peer = JsonNode.Parse((await Kubectl("get", "bgppeer", "router", "-n", "loadbalancer-system", "-o", "json")).EnsureSuccess().StandardOutput)!;
        Assert.Equal(179L, peer["spec"]!["peerPort"]!.GetValue<long>());
        var pool = JsonNode.Parse((await Kubectl("get", "ipaddresspool", "l2-pool", "-n", "loadbalancer-system", "-o", "json")).EnsureSuccess().StandardOutput)!;
        Assert.False(pool["spec"]!["avoidBuggyIPs"]!.GetValue<bool>());
        // Printer columns are served: kubectl get shows them.
        var table = (await Kubectl("get", "bgppeers", "-n", "loadbalancer-system")).EnsureSuccess().StandardOutput;
        Assert.Contains("ADDRESS", table, StringComparison.Ordinal);
        Assert.Contains("192.0.2.1", table, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_object_the_schema_refuses_is_rejected_with_the_field_named()
    {
        (await Kubectl("apply", "-k", Repo.Manifests)).EnsureSuccess();
        var bad = """
            apiVersion: lb.baremetal.dev/v1beta1
            kind: BGPPeer
            metadata: {name: bad, namespace: loadbalancer-system}
            spec: {myASN: 0, peerASN: 64500, peerAddress: 192.0.2.1}
            """;
        var r = await ProcessRunner.RunAsync("kubectl", ["--kubeconfig", _kubeconfig, "apply", "-f", "-"], TimeSpan.FromSeconds(60), bad);
        Assert.NotEqual(0, r.ExitCode);
        Assert.Contains("myASN", r.StandardError, StringComparison.Ordinal);
    }
}
