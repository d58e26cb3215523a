using System.Net;
using System.Text.Json.Nodes;

namespace LoadBalancer.Kube.Tests.Emulator;

public sealed class EmulatorCrdTests : EmulatorTest
{
    private const string Pools = "/apis/lb.baremetal.dev/v1alpha1/ipaddresspools";

    protected override Task OnStartedAsync()
    {
        Server.ApplyYaml(Crds.PoolYaml);
        return Task.CompletedTask;
    }

    [Fact]
    public async Task A_CRD_shows_up_in_discovery_with_its_names()
    {
        var groups = await Api.GetAsync("/apis");
        var group = groups.Object["groups"]!.AsArray().Single(g => g!["name"]!.GetValue<string>() == "lb.baremetal.dev");
        Assert.Equal("lb.baremetal.dev/v1alpha1", group!["preferredVersion"]!["groupVersion"]!.GetValue<string>());
        var resources = await Api.GetAsync("/apis/lb.baremetal.dev/v1alpha1");
        var pools = resources.Object["resources"]!.AsArray().Single(r => r!["name"]!.GetValue<string>() == "ipaddresspools")!;
        Assert.False(pools["namespaced"]!.GetValue<bool>());
        Assert.Equal("IPAddressPool", pools["kind"]!.GetValue<string>());
        Assert.Equal("""["ipp"]""", pools["shortNames"]!.ToJsonString());
        Assert.Equal("""["loadbalancer"]""", pools["categories"]!.ToJsonString());
        Assert.Contains(resources.Object["resources"]!.AsArray(), r => r!["name"]!.GetValue<string>() == "ipaddresspools/status");
        var crd = await Api.GetAsync("/apis/apiextensions.k8s.io/v1/customresourcedefinitions/ipaddresspools.lb.baremetal.dev");
        Assert.Contains(crd.Object["status"]!["conditions"]!.AsArray(), c => c!["type"]!.GetValue<string>() == "Established" && c["status"]!.GetValue<string>() == "True");
    }

    [Fact]
    public async Task Valid_objects_get_defaults_and_unknown_fields_pruned()
    {
        var spec = JsonNode.Parse("""{"addresses":["192.0.2.0/28"],"junk":1,"labels":{"a":"b"},"extra":{"anything":{"goes":1}},"port":"http"}""")!.AsObject();
        var created = await Api.CreateAsync(Pools, Crds.Pool("a", spec));
        Assert.True(created["spec"]!["autoAssign"]!.GetValue<bool>());
        Assert.Null(created["spec"]!["junk"]);
        Assert.Equal(1, created["spec"]!["extra"]!["anything"]!["goes"]!.GetValue<int>());
        Assert.Equal(1, created["metadata"]!["generation"]!.GetValue<long>());
    }

    [Fact]
    public async Task Strict_field_validation_rejects_unknown_fields()
    {
        var spec = JsonNode.Parse("""{"addresses":["192.0.2.0/28"],"junk":1}""")!.AsObject();
        var r = (await Api.PostAsync(Pools + "?fieldValidation=Strict", Crds.Pool("strict", spec))).AssertStatus(400, "BadRequest");
        Assert.Contains("unknown field \"spec.junk\"", r.Object["message"]!.GetValue<string>());
    }

    [Theory]
    [InlineData("""{"addresses":[]}""", "spec.addresses", "FieldValueInvalid")]
    [InlineData("""{}""", "spec.addresses", "FieldValueRequired")]
    [InlineData("""{"addresses":["not-a-cidr"]}""", "spec.addresses[0]", "FieldValueInvalid")]
    [InlineData("""{"addresses":["192.0.2.0/28"],"mode":"L3"}""", "spec.mode", "FieldValueNotSupported")]
    [InlineData("""{"addresses":["192.0.2.0/28"],"name":"ABC"}""", "spec.name", "FieldValueInvalid")]
    [InlineData("""{"addresses":["192.0.2.0/28"],"name":"abcdefghij"}""", "spec.name", "FieldValueTooLong")]
    [InlineData("""{"addresses":["192.0.2.0/28"],"priority":11}""", "spec.priority", "FieldValueInvalid")]
    [InlineData("""{"addresses":["192.0.2.0/28"],"priority":"high"}""", "spec.priority", "FieldValueTypeInvalid")]
    [InlineData("""{"addresses":["192.0.2.0/28"],"gateway":"2001:db8::1"}""", "spec.gateway", "FieldValueInvalid")]
    [InlineData("""{"addresses":["a/1","b/1","c/1","d/1","e/1"]}""", "spec.addresses", "FieldValueTooMany")]
    [InlineData("""{"addresses":["192.0.2.0/28"],"labels":{"a":1}}""", "spec.labels.a", "FieldValueTypeInvalid")]
    [InlineData("""{"addresses":["192.0.2.0/28"],"port":1.5}""", "spec.port", "FieldValueTypeInvalid")]
    public async Task Schema_violations_are_422_with_the_field(string spec, string field, string reason)
    {
        var r = (await Api.PostAsync(Pools, Crds.Pool("bad", JsonNode.Parse(spec)!.AsObject()))).AssertStatus(422, "Invalid");
        var causes = r.Object["details"]!["causes"]!.AsArray();
        Assert.Contains(causes, c => c!["field"]!.GetValue<string>() == field && c["reason"]!.GetValue<string>() == reason);
        Assert.StartsWith("IPAddressPool.lb.baremetal.dev \"bad\" is invalid", r.Object["message"]!.GetValue<string>());
    }

    [Fact]
    public async Task Status_subresource_is_validated_and_kept_apart()
    {
        var created = await Api.CreateAsync(Pools, Crds.Pool("s", JsonNode.Parse("""{"addresses":["192.0.2.0/28"]}""")!.AsObject()));
        var withStatus = (JsonObject)created.DeepClone();
        withStatus["status"] = new JsonObject { ["free"] = 14 };
        var main = await Api.PutAsync(Pools + "/s", withStatus);
        Assert.Null(main.Object["status"]);
        var status = await Api.PutAsync(Pools + "/s/status", withStatus);
        Assert.Equal(14, status.Object["status"]!["free"]!.GetValue<int>());
        Assert.Equal(1, status.Object["metadata"]!["generation"]!.GetValue<long>());
        withStatus["status"] = new JsonObject { ["free"] = -1 };
        withStatus["metadata"]!["resourceVersion"] = status.Object["metadata"]!["resourceVersion"]!.GetValue<string>();
        (await Api.PutAsync(Pools + "/s/status", withStatus)).AssertStatus(422, "Invalid");
        (await Api.PatchAsync(Pools + "/s", JsonNode.Parse("{}")!, "application/strategic-merge-patch+json")).AssertStatus(415, "UnsupportedMediaType");
    }

    [Fact]
    public async Task Table_output_uses_the_printer_columns()
    {
        await Api.CreateAsync(Pools, Crds.Pool("t", JsonNode.Parse("""{"addresses":["192.0.2.0/28","2001:db8::/64"]}""")!.AsObject()));
        var r = await Api.GetAsync(Pools, "application/json;as=Table;v=v1;g=meta.k8s.io");
        var columns = r.Object["columnDefinitions"]!.AsArray().Select(c => $"{c!["name"]}:{c["priority"]}").ToList();
        Assert.Equal(["Name:0", "Addresses:0", "Auto Assign:0", "Free:1", "Age:0"], columns);
        var cells = r.Object["rows"]![0]!["cells"]!.AsArray();
        Assert.Equal("t", cells[0]!.GetValue<string>());
        Assert.Equal("""["192.0.2.0/28","2001:db8::/64"]""", cells[1]!.GetValue<string>());
        Assert.True(cells[2]!.GetValue<bool>());
        Assert.Null(cells[3]);
        Assert.EndsWith("s", cells[4]!.GetValue<string>());
    }

    [Fact]
    public async Task Namespaced_CRD_with_two_versions_serves_both_from_one_storage()
    {
        Server.ApplyYaml(Crds.NamespacedYaml);
        var w = JsonNode.Parse("""{"apiVersion":"example.dev/v1","kind":"Widget","metadata":{"name":"w1"},"spec":{"size":3}}""")!;
        await Api.CreateAsync("/apis/example.dev/v1/namespaces/default/widgets", w);
        var beta = await Api.GetAsync("/apis/example.dev/v1beta1/namespaces/default/widgets/w1");
        Assert.Equal(HttpStatusCode.OK, beta.Code);
        Assert.Equal("example.dev/v1beta1", beta.Object["apiVersion"]!.GetValue<string>());
        var list = await Api.GetAsync("/apis/example.dev/v1beta1/widgets");
        Assert.Equal("example.dev/v1beta1", list.Object["items"]![0]!["apiVersion"]!.GetValue<string>());
        var group = await Api.GetAsync("/apis/example.dev");
        Assert.Equal("v1", group.Object["preferredVersion"]!["version"]!.GetValue<string>());
        (await Api.PostAsync("/apis/example.dev/v1/namespaces/nowhere/widgets", w)).AssertStatus(404, "NotFound");
    }

    [Fact]
    public async Task Deleting_the_CRD_removes_its_objects_and_its_API()
    {
        await Api.CreateAsync(Pools, Crds.Pool("gone", JsonNode.Parse("""{"addresses":["192.0.2.0/28"]}""")!.AsObject()));
        var r = await Api.DeleteAsync("/apis/apiextensions.k8s.io/v1/customresourcedefinitions/ipaddresspools.lb.baremetal.dev");
        Assert.Equal(HttpStatusCode.OK, r.Code);
        (await Api.GetAsync(Pools)).AssertStatus(404, "NotFound");
        var groups = await Api.GetAsync("/apis");
        Assert.DoesNotContain(groups.Object["groups"]!.AsArray(), g => g!["name"]!.GetValue<string>() == "lb.baremetal.dev");
        Server.ApplyYaml(Crds.PoolYaml);
        var list = await Api.GetAsync(Pools);
        Assert.Empty(list.Object["items"]!.AsArray());
    }

    [Fact]
    public async Task An_unusable_CRD_is_422()
    {
        var crd = JsonNode.Parse("""
            {"apiVersion":"apiextensions.k8s.io/v1","kind":"CustomResourceDefinition","metadata":{"name":"wrong.example.dev"},
             "spec":{"group":"example.dev","scope":"Galaxy","names":{"plural":"things","kind":"Thing"},"versions":[]}}
            """)!;
        var r = (await Api.PostAsync("/apis/apiextensions.k8s.io/v1/customresourcedefinitions", crd)).AssertStatus(422, "Invalid");
        var fields = r.Object["details"]!["causes"]!.AsArray().Select(c => c!["field"]!.GetValue<string>()).ToList();
        Assert.Contains("metadata.name", fields);
        Assert.Contains("spec.scope", fields);
        Assert.Contains("spec.versions", fields);
    }
}
