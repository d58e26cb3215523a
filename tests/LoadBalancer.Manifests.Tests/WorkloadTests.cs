using System.Text.Json.Nodes;
using LoadBalancer.Manifests.Tests.Support;

namespace LoadBalancer.Manifests.Tests;

public sealed class WorkloadTests
{
    private static JsonObject Workload(string kind) => ManifestSet.Installed().Single(o => o.Kind == kind).Body;

    private static JsonNode Container(string kind) => Workload(kind)["spec"]!["template"]!["spec"]!["containers"]![0]!;

    [Fact]
    public void Controller_deployment_is_ha_non_root_read_only_with_probes_and_resources()
    {
        var d = Workload("Deployment");
        Assert.Equal(2L, d["spec"]!["replicas"]!.GetValue<long>());
        var pod = d["spec"]!["template"]!["spec"]!;
        Assert.Equal("loadbalancer-controller", pod["serviceAccountName"].Str());
        Assert.True(pod["securityContext"]!["runAsNonRoot"]!.GetValue<bool>());
        Assert.NotNull(pod["affinity"]?["podAntiAffinity"]);
        var c = Container("Deployment");
        Assert.Contains("--leader-elect=true", ((JsonArray)c["args"]!).Select(a => a.Str()));
        Assert.True(c["securityContext"]!["readOnlyRootFilesystem"]!.GetValue<bool>());
        Assert.False(c["securityContext"]!["allowPrivilegeEscalation"]!.GetValue<bool>());
        Assert.Equal(["ALL"], ((JsonArray)c["securityContext"]!["capabilities"]!["drop"]!).Select(x => x.Str()));
        Assert.Null(c["securityContext"]!["capabilities"]!["add"]);
        Assert.Equal("/healthz", c["livenessProbe"]!["httpGet"]!["path"].Str());
        Assert.Equal("/readyz", c["readinessProbe"]!["httpGet"]!["path"].Str());
        Assert.NotNull(c["resources"]?["requests"]);
        Assert.NotNull(c["resources"]?["limits"]?["memory"]);
    }

    [Fact]
    public void Speaker_daemonset_uses_host_network_three_capabilities_downward_api_and_a_handover_grace_period()
    {
        var ds = Workload("DaemonSet");
        var pod = ds["spec"]!["template"]!["spec"]!;
        Assert.True(pod["hostNetwork"]!.GetValue<bool>());
        Assert.Equal("loadbalancer-speaker", pod["serviceAccountName"].Str());
        Assert.True(pod["terminationGracePeriodSeconds"]!.GetValue<long>() >= 15, "room to withdraw, send Cease and release the Lease");
        Assert.Contains((JsonArray)pod["tolerations"]!, t => t!["key"].Str() == "node-role.kubernetes.io/control-plane");
        var c = Container("DaemonSet");
        var caps = c["securityContext"]!["capabilities"]!;
        Assert.Equal(["ALL"], ((JsonArray)caps["drop"]!).Select(x => x.Str()));
        Assert.Equal(["NET_ADMIN", "NET_BIND_SERVICE", "NET_RAW"], ((JsonArray)caps["add"]!).Select(x => x.Str()).Order(StringComparer.Ordinal));
        Assert.True(c["securityContext"]!["readOnlyRootFilesystem"]!.GetValue<bool>());
        var env = ((JsonArray)c["env"]!).ToDictionary(e => e!["name"].Str(), e => e!["valueFrom"]?["fieldRef"]?["fieldPath"].Str());
        Assert.Equal("spec.nodeName", env["NODE_NAME"]);
        Assert.Equal("metadata.namespace", env["POD_NAMESPACE"]);
        Assert.Equal("/healthz", c["livenessProbe"]!["httpGet"]!["path"].Str());
        Assert.Equal("/readyz", c["readinessProbe"]!["httpGet"]!["path"].Str());
    }

    [Fact]
    public void Speaker_daemonset_mounts_the_optional_probe_key_secret_where_the_speaker_reads_it()
    {
        var pod = Workload("DaemonSet")["spec"]!["template"]!["spec"]!;
        var volume = ((JsonArray)pod["volumes"]!).Single(v => v!["name"].Str() == "probe-key")!;
        Assert.Equal("loadbalancer-probe-key", volume["secret"]!["secretName"].Str());
        Assert.True(volume["secret"]!["optional"]!.GetValue<bool>(), "without the Secret the speakers still start (Leases only)");
        var mount = ((JsonArray)Container("DaemonSet")["volumeMounts"]!).Single(m => m!["name"].Str() == "probe-key")!;
        Assert.True(mount["readOnly"]!.GetValue<bool>());
        // The Secret's data key "key" becomes the file the speaker reads by default.
        var file = mount["mountPath"].Str() + "/key";
        Assert.Contains($"ProbeKeyFile {{ get; init; }} = \"{file}\";", File.ReadAllText(Repo.Path_("speaker", "LoadBalancer.Speaker", "Hosting", "SpeakerOptions.cs")), StringComparison.Ordinal);
        Assert.Contains("create secret generic loadbalancer-probe-key --from-literal=key=", File.ReadAllText(Repo.Path_("docs", "install.md")), StringComparison.Ordinal);
    }

    [Fact]
    public void Image_names_in_the_manifests_are_the_ones_the_dockerfiles_build()
    {
        foreach (var (kind, component) in new[] { ("Deployment", "controller"), ("DaemonSet", "speaker") })
        {
            var image = Container(kind)["image"].Str();
            Assert.StartsWith($"ghcr.io/lb-baremetal/loadbalancer-{component}:", image, StringComparison.Ordinal);
            var dockerfile = File.ReadAllText(Repo.Path_("images", component, "Dockerfile"));
            Assert.Contains(image.Split(':')[0], dockerfile, StringComparison.Ordinal);
            Assert.Contains(image.Split(':')[0], File.ReadAllText(Repo.Path_("docs", "install.md")), StringComparison.Ordinal);
        }
    }
}
