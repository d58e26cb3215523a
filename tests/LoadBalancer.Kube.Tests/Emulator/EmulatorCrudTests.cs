using System.Net;
using System.Text.Json.Nodes;
using LoadBalancer.TestKit.ApiServer;

namespace LoadBalancer.Kube.Tests.Emulator;

public sealed class EmulatorCrudTests : EmulatorTest
{

    [Fact]
    public async Task Create_setsServer_metadata_and_get_returns_it()
    {
        var created = await Api.CreateAsync("/api/v1/namespaces/default/configmaps", RawApi.ConfigMap("a"));
        var meta = created["metadata"]!;
        Assert.True(Guid.TryParse(meta["uid"]!.GetValue<string>(), out _));
        Assert.True(long.Parse(meta["resourceVersion"]!.GetValue<string>()) > 0);
        Assert.EndsWith("Z", meta["creationTimestamp"]!.GetValue<string>());
        Assert.Equal("default", meta["namespace"]!.GetValue<string>());

        var got = await Api.GetAsync("/api/v1/namespaces/default/configmaps/a");
        Assert.Equal(HttpStatusCode.OK, got.Code);
        Assert.True(JsonNode.DeepEquals(created, got.Body));
    }

    [Fact]
    public async Task ResourceVersion_is_one_global_counter_across_kinds()
    {
        var a = await Api.CreateAsync("/api/v1/namespaces/default/configmaps", RawApi.ConfigMap("rv1"));
        var b = await Api.CreateAsync("/api/v1/namespaces/default/services", RawApi.Service("rv2"));
        var c = await Api.CreateAsync("/api/v1/namespaces/default/configmaps", RawApi.ConfigMap("rv3"));
        long Rv(JsonObject o) => long.Parse(o["metadata"]!["resourceVersion"]!.GetValue<string>());
        Assert.True(Rv(a) < Rv(b) && Rv(b) < Rv(c));
        Assert.Equal(Rv(c), Server.ResourceVersion);
    }

    [Fact]
    public async Task Missing_object_is_404_NotFound_Status()
    {
        var r = (await Api.GetAsync("/api/v1/namespaces/default/services/nope")).AssertStatus(404, "NotFound");
        Assert.Equal("services \"nope\" not found", r.Object["message"]!.GetValue<string>());
        Assert.Equal("nope", r.Object["details"]!["name"]!.GetValue<string>());
        Assert.Equal("services", r.Object["details"]!["kind"]!.GetValue<string>());
        (await Api.DeleteAsync("/api/v1/namespaces/default/services/nope")).AssertStatus(404, "NotFound");
        (await Api.PutAsync("/api/v1/namespaces/default/configmaps/nope", RawApi.ConfigMap("nope"))).AssertStatus(404, "NotFound");
        (await Api.GetAsync("/apis/nothing.example/v1/widgets")).AssertStatus(404, "NotFound");
    }

    [Fact]
    public async Task Duplicate_create_is_409_AlreadyExists()
    {
        await Api.CreateAsync("/api/v1/namespaces/default/configmaps", RawApi.ConfigMap("dup"));
        var r = (await Api.PostAsync("/api/v1/namespaces/default/configmaps", RawApi.ConfigMap("dup"))).AssertStatus(409, "AlreadyExists");
        Assert.Equal("configmaps \"dup\" already exists", r.Object["message"]!.GetValue<string>());
    }

    [Fact]
    public async Task Stale_update_is_409_Conflict_and_current_update_succeeds()
    {
        var created = await Api.CreateAsync("/api/v1/namespaces/default/configmaps", RawApi.ConfigMap("cas"));
        var first = (JsonObject)created.DeepClone();
        first["data"]!["k"] = "v2";
        var ok = await Api.PutAsync("/api/v1/namespaces/default/configmaps/cas", first);
        Assert.Equal(HttpStatusCode.OK, ok.Code);
        Assert.NotEqual(created["metadata"]!["resourceVersion"]!.GetValue<string>(), ok.Object["metadata"]!["resourceVersion"]!.GetValue<string>());

        var stale = (JsonObject)created.DeepClone();
        stale["data"]!["k"] = "v3";
        var r = (await Api.PutAsync("/api/v1/namespaces/default/configmaps/cas", stale)).AssertStatus(409, "Conflict");
        Assert.Contains("the object has been modified; please apply your changes to the latest version and try again", r.Object["message"]!.GetValue<string>());
        Assert.Equal("v2", Server.Get("v1", "ConfigMap", "default", "cas")!["data"]!["k"]!.GetValue<string>());
    }

    [Fact]
    public async Task Unchanged_update_keeps_the_resourceVersion()
    {
        var created = await Api.CreateAsync("/api/v1/namespaces/default/configmaps", RawApi.ConfigMap("same"));
        var r = await Api.PutAsync("/api/v1/namespaces/default/configmaps/same", created);
        Assert.Equal(created["metadata"]!["resourceVersion"]!.GetValue<string>(), r.Object["metadata"]!["resourceVersion"]!.GetValue<string>());
    }

    [Fact]
    public async Task Delete_returns_200_and_the_object_is_gone()
    {
        await Api.CreateAsync("/api/v1/namespaces/default/configmaps", RawApi.ConfigMap("del"));
        var r = await Api.DeleteAsync("/api/v1/namespaces/default/configmaps/del");
        Assert.Equal(HttpStatusCode.OK, r.Code);
        Assert.Equal("Success", r.Object["status"]!.GetValue<string>());
        (await Api.GetAsync("/api/v1/namespaces/default/configmaps/del")).AssertStatus(404, "NotFound");
    }

    [Fact]
    public async Task Delete_with_a_stale_precondition_is_409()
    {
        var created = await Api.CreateAsync("/api/v1/namespaces/default/configmaps", RawApi.ConfigMap("pre"));
        var options = new JsonObject
        {
            ["kind"] = "DeleteOptions", ["apiVersion"] = "v1",
            ["preconditions"] = new JsonObject { ["resourceVersion"] = "1" },
        };
        (await Api.DeleteAsync("/api/v1/namespaces/default/configmaps/pre", options)).AssertStatus(409, "Conflict");
        Assert.NotNull(Server.Get("v1", "ConfigMap", "default", "pre"));
        _ = created;
    }

    [Fact]
    public async Task GenerateName_gets_a_random_suffix()
    {
        var cm = RawApi.ConfigMap("x");
        cm["metadata"]!.AsObject().Remove("name");
        cm["metadata"]!["generateName"] = "gen-";
        var a = await Api.CreateAsync("/api/v1/namespaces/default/configmaps", cm);
        var b = await Api.CreateAsync("/api/v1/namespaces/default/configmaps", cm);
        var na = a["metadata"]!["name"]!.GetValue<string>();
        Assert.StartsWith("gen-", na);
        Assert.Equal(9, na.Length);
        Assert.NotEqual(na, b["metadata"]!["name"]!.GetValue<string>());
    }

    [Fact]
    public async Task Missing_name_and_bad_names_are_422_Invalid_with_causes()
    {
        var cm = RawApi.ConfigMap("x");
        cm["metadata"]!.AsObject().Remove("name");
        var r = (await Api.PostAsync("/api/v1/namespaces/default/configmaps", cm)).AssertStatus(422, "Invalid");
        Assert.Equal("metadata.name", r.Object["details"]!["causes"]![0]!["field"]!.GetValue<string>());
        Assert.Equal("FieldValueRequired", r.Object["details"]!["causes"]![0]!["reason"]!.GetValue<string>());

        var bad = (await Api.PostAsync("/api/v1/namespaces/default/services", RawApi.Service("Not_Valid"))).AssertStatus(422, "Invalid");
        Assert.StartsWith("Service \"Not_Valid\" is invalid: metadata.name: Invalid value", bad.Object["message"]!.GetValue<string>());
    }

    [Fact]
    public async Task Namespaced_create_needs_an_existing_namespace()
    {
        (await Api.PostAsync("/api/v1/namespaces/ghost/configmaps", RawApi.ConfigMap("a", "ghost"))).AssertStatus(404, "NotFound");
        await Api.CreateAsync("/api/v1/namespaces", new JsonObject { ["apiVersion"] = "v1", ["kind"] = "Namespace", ["metadata"] = new JsonObject { ["name"] = "ghost" } });
        await Api.CreateAsync("/api/v1/namespaces/ghost/configmaps", RawApi.ConfigMap("a", "ghost"));
        (await Api.PostAsync("/api/v1/namespaces/default/configmaps", RawApi.ConfigMap("b", "other"))).AssertStatus(400, "BadRequest");
    }

    [Fact]
    public async Task Default_namespaces_exist()
    {
        var list = await Api.GetAsync("/api/v1/namespaces");
        var names = list.Object["items"]!.AsArray().Select(n => n!["metadata"]!["name"]!.GetValue<string>()).ToList();
        Assert.Contains("default", names);
        Assert.Contains("kube-system", names);
        Assert.Contains("loadbalancer-system", names);
        Assert.Equal("Active", list.Object["items"]![0]!["status"]!["phase"]!.GetValue<string>());
    }

    [Fact]
    public async Task Cluster_scoped_objects_have_no_namespace_and_namespaced_paths_do_not_serve_them()
    {
        var node = new JsonObject { ["apiVersion"] = "v1", ["kind"] = "Node", ["metadata"] = new JsonObject { ["name"] = "n1", ["namespace"] = "default" } };
        var created = await Api.CreateAsync("/api/v1/nodes", node);
        Assert.Null(created["metadata"]!["namespace"]);
        (await Api.GetAsync("/api/v1/namespaces/default/nodes/n1")).AssertStatus(404, "NotFound");
        Assert.Equal(HttpStatusCode.OK, (await Api.GetAsync("/api/v1/nodes/n1")).Code);
    }

    [Fact]
    public async Task Unsupported_verbs_are_405_MethodNotAllowed()
    {
        (await Api.PutAsync("/api/v1/namespaces/default/configmaps", RawApi.ConfigMap("x"))).AssertStatus(405, "MethodNotAllowed");
        (await Api.PostAsync("/api/v1/namespaces/default/configmaps/x", RawApi.ConfigMap("x"))).AssertStatus(405, "MethodNotAllowed");
    }

    [Fact]
    public async Task Malformed_body_is_400_BadRequest()
    {
        using var content = new StringContent("{not json", System.Text.Encoding.UTF8, "application/json");
        var response = await Api.Http.PostAsync("/api/v1/namespaces/default/configmaps", content).WaitAsync(TimeSpan.FromSeconds(20));
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var body = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
        Assert.Equal("BadRequest", body["reason"]!.GetValue<string>());
    }

    [Fact]
    public async Task Generation_moves_on_spec_changes_only()
    {
        var dep = new JsonObject
        {
            ["apiVersion"] = "apps/v1", ["kind"] = "Deployment",
            ["metadata"] = new JsonObject { ["name"] = "d", ["namespace"] = "default" },
            ["spec"] = new JsonObject { ["replicas"] = 1 },
        };
        var created = await Api.CreateAsync("/apis/apps/v1/namespaces/default/deployments", dep);
        Assert.Equal(1, created["metadata"]!["generation"]!.GetValue<long>());
        var labelled = await Api.PatchAsync("/apis/apps/v1/namespaces/default/deployments/d",
            new JsonObject { ["metadata"] = new JsonObject { ["labels"] = new JsonObject { ["a"] = "b" } } }, "application/merge-patch+json");
        Assert.Equal(1, labelled.Object["metadata"]!["generation"]!.GetValue<long>());
        var status = await Api.PatchAsync("/apis/apps/v1/namespaces/default/deployments/d/status",
            new JsonObject { ["status"] = new JsonObject { ["replicas"] = 1 } }, "application/merge-patch+json");
        Assert.Equal(1, status.Object["metadata"]!["generation"]!.GetValue<long>());
        var scaled = await Api.PatchAsync("/apis/apps/v1/namespaces/default/deployments/d",
            new JsonObject { ["spec"] = new JsonObject { ["replicas"] = 3 } }, "application/merge-patch+json");
        Assert.Equal(2, scaled.Object["metadata"]!["generation"]!.GetValue<long>());
    }

    [Fact]
    public async Task Direct_store_access_matches_theApi()
    {
        Server.Create(RawApi.ConfigMap("direct"));
        Assert.Equal(HttpStatusCode.OK, (await Api.GetAsync("/api/v1/namespaces/default/configmaps/direct")).Code);
        var n = Server.Seed(Enumerable.Range(0, 50).Select(i => RawApi.ConfigMap("seed-" + i)));
        Assert.Equal(50, n);
        Assert.Equal(51, Server.List("v1", "ConfigMap", "default").Count);
        var patched = Server.Patch("v1", "ConfigMap", "default", "direct", new JsonObject { ["data"] = new JsonObject { ["k"] = "patched" } });
        Assert.Equal("patched", patched["data"]!["k"]!.GetValue<string>());
        Assert.True(Server.Delete("v1", "ConfigMap", "default", "direct"));
        Assert.False(Server.Delete("v1", "ConfigMap", "default", "direct"));
        Assert.Null(Server.Get("v1", "ConfigMap", "default", "direct"));
    }
}
