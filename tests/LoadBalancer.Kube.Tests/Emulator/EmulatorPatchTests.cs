using System.Net;
using System.Text.Json.Nodes;
using LoadBalancer.TestKit.ApiServer;

namespace LoadBalancer.Kube.Tests.Emulator;

public sealed class EmulatorPatchTests : EmulatorTest
{
    private const string Svc = "/api/v1/namespaces/default/services/web";

    protected override Task OnStartedAsync()
    {
        Server.Create(RawApi.Service("web", ports: [80, 443]));
        return Task.CompletedTask;
    }

    private static List<string> Ports(JsonObject svc) =>
        svc["spec"]!["ports"]!.AsArray().Select(p => $"{p!["port"]}>{p["targetPort"]}").ToList();

    [Fact]
    public async Task Merge_patch_sets_and_deletes_fields_and_replaces_lists()
    {
        var r = await Api.PatchAsync(Svc, JsonNode.Parse("""{"metadata":{"labels":{"app":null,"x":"y"}},"spec":{"ports":[{"name":"only","port":8080}]}}""")!, "application/merge-patch+json");
        Assert.Equal(HttpStatusCode.OK, r.Code);
        Assert.Equal("""{"x":"y"}""", r.Object["metadata"]!["labels"]!.ToJsonString());
        Assert.Equal(["8080>8080"], Ports(r.Object));
    }

    [Fact]
    public async Task Strategic_merge_patch_merges_service_ports_by_port()
    {
        var patch = JsonNode.Parse("""{"spec":{"$setElementOrder/ports":[{"port":443},{"port":80},{"port":8443}],"ports":[{"port":443,"targetPort":9443},{"port":8443,"name":"alt"}]}}""")!;
        var r = await Api.PatchAsync(Svc, patch, "application/strategic-merge-patch+json");
        Assert.Equal(HttpStatusCode.OK, r.Code);
        Assert.Equal(["443>9443", "80>80", "8443>8443"], Ports(r.Object));
        Assert.DoesNotContain("$setElementOrder", r.Object.ToJsonString(), StringComparison.Ordinal);

        var delete = JsonNode.Parse("""{"spec":{"ports":[{"port":8443,"$patch":"delete"}]}}""")!;
        var d = await Api.PatchAsync(Svc, delete, "application/strategic-merge-patch+json");
        Assert.Equal(["443>9443", "80>80"], Ports(d.Object));
    }

    [Fact]
    public async Task Strategic_merge_patch_merges_containers_env_and_conditions()
    {
        var pod = JsonNode.Parse("""
            {"apiVersion":"v1","kind":"Pod","metadata":{"name":"p","namespace":"default","finalizers":["a"]},
             "spec":{"containers":[{"name":"c1","image":"i1","env":[{"name":"A","value":"1"},{"name":"B","value":"2"}]},{"name":"c2","image":"i2"}],
                     "tolerations":[{"key":"t1"}]},
             "status":{"conditions":[{"type":"Ready","status":"False"},{"type":"Scheduled","status":"True"}]}}
            """)!.AsObject();
        Server.Seed([pod]);
        var patch = JsonNode.Parse("""
            {"metadata":{"finalizers":["b"]},
             "spec":{"containers":[{"name":"c1","image":"i1b","env":[{"name":"B","value":"3"},{"name":"C","value":"4"}]}],"tolerations":[{"key":"t2"}]}}
            """)!;
        var r = await Api.PatchAsync("/api/v1/namespaces/default/pods/p", patch, "application/strategic-merge-patch+json");
        var c = r.Object["spec"]!["containers"]!.AsArray();
        Assert.Equal(2, c.Count);
        Assert.Equal("i1b", c[0]!["image"]!.GetValue<string>());
        Assert.Equal("i2", c[1]!["image"]!.GetValue<string>());
        Assert.Equal("A=1,B=3,C=4", string.Join(",", c[0]!["env"]!.AsArray().Select(e => $"{e!["name"]}={e["value"]}")));
        Assert.Equal("""[{"key":"t2"}]""", r.Object["spec"]!["tolerations"]!.ToJsonString());
        Assert.Equal("""["a","b"]""", r.Object["metadata"]!["finalizers"]!.ToJsonString());

        var status = JsonNode.Parse("""{"status":{"conditions":[{"type":"Ready","status":"True"}]}}""")!;
        var s = await Api.PatchAsync("/api/v1/namespaces/default/pods/p/status", status, "application/strategic-merge-patch+json");
        Assert.Equal("Ready=True,Scheduled=True", string.Join(",", s.Object["status"]!["conditions"]!.AsArray().Select(e => $"{e!["type"]}={e["status"]}")));
    }

    [Fact]
    public async Task Json_patch_operations_and_a_failed_test()
    {
        var ops = JsonNode.Parse("""
            [{"op":"add","path":"/metadata/annotations","value":{"a/b":"1"}},
             {"op":"replace","path":"/spec/ports/0/targetPort","value":8080},
             {"op":"copy","from":"/metadata/annotations/a~1b","path":"/metadata/labels/copied"},
             {"op":"remove","path":"/spec/ports/1"},
             {"op":"test","path":"/spec/ports/0/port","value":80}]
            """)!;
        var r = await Api.PatchAsync(Svc, ops, "application/json-patch+json");
        Assert.Equal(HttpStatusCode.OK, r.Code);
        Assert.Equal(["80>8080"], Ports(r.Object));
        Assert.Equal("1", r.Object["metadata"]!["labels"]!["copied"]!.GetValue<string>());

        var failing = JsonNode.Parse("""[{"op":"test","path":"/spec/ports/0/port","value":81}]""")!;
        (await Api.PatchAsync(Svc, failing, "application/json-patch+json")).AssertStatus(422, "Invalid");
        var missing = JsonNode.Parse("""[{"op":"remove","path":"/spec/nothing/here"}]""")!;
        (await Api.PatchAsync(Svc, missing, "application/json-patch+json")).AssertStatus(422, "Invalid");
    }

    [Fact]
    public async Task Patch_with_a_stale_resourceVersion_is_409_and_unknown_content_type_is_415()
    {
        var stale = JsonNode.Parse("""{"metadata":{"resourceVersion":"1","labels":{"x":"y"}}}""")!;
        (await Api.PatchAsync(Svc, stale, "application/merge-patch+json")).AssertStatus(409, "Conflict");
        (await Api.PatchAsync(Svc, JsonNode.Parse("{}")!, "text/plain")).AssertStatus(415, "UnsupportedMediaType");
        (await Api.PatchAsync("/api/v1/namespaces/default/services/none", JsonNode.Parse("{}")!, "application/merge-patch+json")).AssertStatus(404, "NotFound");
    }

    [Fact]
    public async Task Server_side_apply_creates_then_updates_and_drops_fields_the_manager_dropped()
    {
        var applied = RawApi.ConfigMap("applied");
        applied["data"] = new JsonObject { ["one"] = "1", ["two"] = "2" };
        var path = "/api/v1/namespaces/default/configmaps/applied?fieldManager=test";
        var created = await Api.PatchAsync(path, applied, "application/apply-patch+yaml");
        Assert.Equal(HttpStatusCode.Created, created.Code);

        Server.Patch("v1", "ConfigMap", "default", "applied", new JsonObject { ["data"] = new JsonObject { ["other"] = "kept" } });
        applied["data"] = new JsonObject { ["one"] = "uno" };
        var updated = await Api.PatchAsync(path, applied, "application/apply-patch+yaml");
        Assert.Equal(HttpStatusCode.OK, updated.Code);
        Assert.Equal("""{"one":"uno","other":"kept"}""", updated.Object["data"]!.ToJsonString());
        (await Api.PatchAsync("/api/v1/namespaces/default/configmaps/applied", applied, "application/apply-patch+yaml")).AssertStatus(400, "BadRequest");
    }

    [Fact]
    public async Task Server_side_apply_accepts_yaml()
    {
        var yaml = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: fromyaml\ndata:\n  port: \"80\"\n";
        using var content = new StringContent(yaml, System.Text.Encoding.UTF8, "application/apply-patch+yaml");
        content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/apply-patch+yaml");
        var response = await Api.Http.PatchAsync("/api/v1/namespaces/default/configmaps/fromyaml?fieldManager=y", content).WaitAsync(TimeSpan.FromSeconds(20));
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        Assert.Equal("80", Server.Get("v1", "ConfigMap", "default", "fromyaml")!["data"]!["port"]!.GetValue<string>());
    }
}
