using System.Diagnostics;
using System.Text.Json.Nodes;
using LoadBalancer.Manifests.Tests.Support;
using LoadBalancer.Migrate;
using LoadBalancer.Yaml;

namespace LoadBalancer.Manifests.Tests.Migration;

public sealed class MigrationTests
{
    private static string Sample(string name) => Path.Combine(AppContext.BaseDirectory, "Migration", "MetalLb", name);

    private static (int Exit, List<JsonObject> Objects, string Report) Run(params string[] files)
    {
        var output = new StringWriter();
        var report = new StringWriter();
        var exit = MigrateCommand.Run(files, "loadbalancer-system", new StringReader(""), output, report);
        var objects = new List<JsonObject>();
        if (exit == 0)
        {
            Assert.True(YamlJson.TryParse(output.ToString(), out var docs, out var error), error);
            objects.AddRange(docs.OfType<JsonObject>());
        }
        return (exit, objects, report.ToString());
    }

    [Fact]
    public void Layer2_setup_converts_and_validates_against_our_crds()
    {
        var (exit, objects, report) = Run(Sample("layer2.yaml"));
        Assert.Equal(0, exit);
        Assert.Equal(["IPAddressPool", "L2Advertisement"], objects.Select(o => o["kind"].Str()));
        foreach (var o in objects)
        {
            Assert.Equal("lb.baremetal.dev/v1beta1", o["apiVersion"].Str());
            Assert.Equal("loadbalancer-system", o["metadata"]!["namespace"].Str());
            Assert.Empty(SchemaValidator.Validate(o, CrdTests.Schema(o["kind"].Str())));
        }
        var pool = objects[0]["spec"]!;
        Assert.False(pool["autoAssign"]!.GetValue<bool>());
        Assert.Equal(50L, pool["serviceAllocation"]!["priority"]!.GetValue<long>());
        Assert.Equal("value1", pool["serviceAllocation"]!["serviceSelectors"]![0]!["matchExpressions"]![0]!["values"]![0].Str());
        Assert.Equal("net", objects[1]["metadata"]!["labels"]!["team"].Str());
        Assert.Contains("not carried over: L2Advertisement metallb-system/example spec.preferredNodeSelectors: preferred nodes are not supported", report, StringComparison.Ordinal);
    }

    [Fact]
    public void Bgp_setup_converts_field_by_field_and_reports_what_it_cannot_carry()
    {
        var (exit, objects, report) = Run(Sample("bgp.yaml"));
        Assert.Equal(0, exit);
        Assert.Equal(["BGPPeer", "BGPPeer", "BFDProfile", "Community", "BGPAdvertisement", "Secret"], objects.Select(o => o["kind"].Str()));
        foreach (var o in objects.Where(o => o["kind"].Str() != "Secret"))
            Assert.Empty(SchemaValidator.Validate(o, CrdTests.Schema(o["kind"].Str())));

        var a = objects[0]["spec"]!;
        Assert.Equal(1179L, a["peerPort"]!.GetValue<long>());
        Assert.Equal("9s", a["holdTime"].Str());
        Assert.Equal("fast", a["bfdProfile"].Str());
        Assert.Equal("loadbalancer-system", a["passwordSecret"]!["namespace"].Str());
        Assert.Null(a["vrf"]);
        Assert.Contains("not carried over: BGPPeer metallb-system/router-a spec.vrf: VRF sessions are not supported", report, StringComparison.Ordinal);
        Assert.Contains("changed: BGPPeer metallb-system/router-a spec.passwordSecret.namespace", report, StringComparison.Ordinal);

        // MetalLB derives hold = 3 x keepalive; ours would default to 90s, so the tool writes it out.
        var b = objects[1]["spec"]!;
        Assert.Equal("30s", b["holdTime"].Str());
        Assert.Contains("changed: BGPPeer metallb-system/router-b spec.holdTime: set to 30s", report, StringComparison.Ordinal);
        Assert.Contains("spec.dynamicASN", report, StringComparison.Ordinal);

        Assert.Equal(50L, objects[2]["spec"]!["echoInterval"]!.GetValue<long>());
        Assert.DoesNotContain("BFDProfile metallb-system/fast", report, StringComparison.Ordinal);
        Assert.Equal("large:64512:1:2", objects[3]["spec"]!["communities"]![1]!["value"].Str());
        Assert.Equal("65535:65282", objects[3]["spec"]!["communities"]![0]!["value"].Str());
        Assert.Equal(100L, objects[4]["spec"]!["localPref"]!.GetValue<long>());
        Assert.Equal("64512:200", objects[4]["spec"]!["communities"]![1].Str());
        Assert.Equal("loadbalancer-system", objects[5]["metadata"]!["namespace"].Str());
    }

    [Fact]
    public void Every_metallb_spec_field_is_either_carried_or_reported()
    {
        foreach (var file in new[] { "layer2.yaml", "bgp.yaml", "list.yaml" })
        {
            Assert.True(YamlJson.TryParse(File.ReadAllText(Sample(file)), out var docs, out _));
            var sources = docs.OfType<JsonObject>().SelectMany(d => d["kind"].Str() == "List" ? ((JsonArray)d["items"]!).OfType<JsonObject>() : [d])
                .Where(d => d["apiVersion"].Str().StartsWith("metallb.io/", StringComparison.Ordinal) && d["spec"] is JsonObject).ToList();
            var (_, objects, report) = Run(Sample(file));
            foreach (var src in sources)
            {
                var name = src["metadata"]!["name"].Str();
                var dst = objects.Single(o => o["kind"].Str() == src["kind"].Str() && o["metadata"]!["name"].Str() == name);
                foreach (var (field, value) in (JsonObject)src["spec"]!)
                {
                    var carried = JsonNode.DeepEquals(value, dst["spec"]![field]);
                    var reported = report.Contains($"metallb-system/{name} spec.{field}", StringComparison.Ordinal);
                    Assert.True(carried || reported, $"{file}: {src["kind"]}/{name} spec.{field} was neither carried nor reported");
                }
            }
        }
    }

    [Fact]
    public void Kubectl_get_lists_are_expanded_and_server_fields_and_status_objects_left_out()
    {
        var (exit, objects, report) = Run(Sample("list.yaml"));
        Assert.Equal(0, exit);
        var pool = Assert.Single(objects);
        var meta = (JsonObject)pool["metadata"]!;
        Assert.Equal(["name", "namespace"], meta.Select(p => p.Key));
        Assert.Null(pool["status"]);
        Assert.Contains("ServiceL2Status metallb-system/l2-abcde: written by MetalLB's speaker", report, StringComparison.Ordinal);
        Assert.Contains("metadata.finalizers", report, StringComparison.Ordinal);
    }

    [Fact]
    public void Unreadable_input_exits_non_zero_naming_the_file_and_position()
    {
        var (exit, _, report) = Run(Sample("broken.yaml"));
        Assert.Equal(MigrateCommand.ExitUnreadable, exit);
        Assert.Contains("broken.yaml is not valid YAML: line", report, StringComparison.Ordinal);
        var (exit2, _, report2) = Run(Sample("does-not-exist.yaml"));
        Assert.Equal(MigrateCommand.ExitUnreadable, exit2);
        Assert.Contains("cannot read", report2, StringComparison.Ordinal);
    }

    [Fact]
    public void Other_objects_are_reported_not_converted()
    {
        var output = new StringWriter();
        var report = new StringWriter();
        var yaml = "apiVersion: v1\nkind: Service\nmetadata: {name: web, namespace: default}\n---\napiVersion: metallb.io/v1alpha1\nkind: AddressPool\nmetadata: {name: old}\n---\n- just a list\n";
        Assert.Equal(0, MigrateCommand.Run(["-"], "lb", new StringReader(yaml), output, report));
        Assert.Contains("Services need no migration", report.ToString(), StringComparison.Ordinal);
        Assert.Contains("metallb.io/v1alpha1 is not supported", report.ToString(), StringComparison.Ordinal);
        Assert.Contains("document 3: not a Kubernetes object", report.ToString(), StringComparison.Ordinal);
        Assert.Contains("migrated 0 object(s)", report.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_executable_reads_stdin_writes_yaml_and_reports_on_stderr()
    {
        var dll = Path.Combine(AppContext.BaseDirectory, "LoadBalancer.Migrate.dll");
        var psi = new ProcessStartInfo("dotnet") { RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true };
        psi.ArgumentList.Add(dll);
        psi.ArgumentList.Add("-n");
        psi.ArgumentList.Add("lb-test");
        using var p = Process.Start(psi)!;
        await p.StandardInput.WriteAsync(await File.ReadAllTextAsync(Sample("layer2.yaml")));
        p.StandardInput.Close();
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        await p.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(60));
        Assert.Equal(0, p.ExitCode);
        Assert.Contains("namespace: lb-test", await stdout, StringComparison.Ordinal);
        Assert.Contains("kind: L2Advertisement", await stdout, StringComparison.Ordinal);
        Assert.Contains("spec.preferredNodeSelectors", await stderr, StringComparison.Ordinal);
    }
}
