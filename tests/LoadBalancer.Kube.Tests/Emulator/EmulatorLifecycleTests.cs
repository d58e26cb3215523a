using System.Net;
using System.Text.Json.Nodes;

namespace LoadBalancer.Kube.Tests.Emulator;

public sealed class EmulatorLifecycleTests : EmulatorTest
{
    [Fact]
    public async Task Finalizers_hold_deletion_until_the_last_one_goes()
    {
        var cm = RawApi.ConfigMap("fin");
        cm["metadata"]!["finalizers"] = new JsonArray("example.dev/a", "example.dev/b");
        await Api.CreateAsync("/api/v1/namespaces/default/configmaps", cm);
        using var w = await Api.WatchAsync("/api/v1/namespaces/default/configmaps?watch=true&resourceVersion=" + Server.ResourceVersion);

        var deleted = await Api.DeleteAsync("/api/v1/namespaces/default/configmaps/fin");
        Assert.Equal(HttpStatusCode.OK, deleted.Code);
        Assert.NotNull(deleted.Object["metadata"]!["deletionTimestamp"]);
        Assert.Equal("MODIFIED", (await w.NextAsync())!["type"]!.GetValue<string>());
        var marked = await Api.GetAsync("/api/v1/namespaces/default/configmaps/fin");
        Assert.Equal(HttpStatusCode.OK, marked.Code);

        // No new finalizers on an object being deleted.
        var add = JsonNode.Parse("""{"metadata":{"finalizers":["example.dev/a","example.dev/b","example.dev/c"]}}""")!;
        (await Api.PatchAsync("/api/v1/namespaces/default/configmaps/fin", add, "application/merge-patch+json")).AssertStatus(422, "Invalid");

        await Api.PatchAsync("/api/v1/namespaces/default/configmaps/fin", JsonNode.Parse("""{"metadata":{"finalizers":["example.dev/b"]}}""")!, "application/merge-patch+json");
        Assert.Equal("MODIFIED", (await w.NextAsync())!["type"]!.GetValue<string>());
        await Api.PatchAsync("/api/v1/namespaces/default/configmaps/fin", JsonNode.Parse("""{"metadata":{"finalizers":null}}""")!, "application/merge-patch+json");
        Assert.Equal("DELETED", (await w.NextAsync())!["type"]!.GetValue<string>());
        (await Api.GetAsync("/api/v1/namespaces/default/configmaps/fin")).AssertStatus(404, "NotFound");
    }

    [Fact]
    public async Task Dependents_are_garbage_collected_when_their_owner_goes()
    {
        var owner = await Api.CreateAsync("/api/v1/namespaces/default/services", RawApi.Service("owner"));
        var ownerRef = new JsonObject
        {
            ["apiVersion"] = "v1", ["kind"] = "Service", ["name"] = "owner", ["uid"] = owner["metadata"]!["uid"]!.GetValue<string>(), ["controller"] = true,
        };
        var slice = JsonNode.Parse("""{"apiVersion":"discovery.k8s.io/v1","kind":"EndpointSlice","metadata":{"name":"owner-abc","namespace":"default"},"addressType":"IPv4","endpoints":[]}""")!.AsObject();
        slice["metadata"]!["ownerReferences"] = new JsonArray(ownerRef.DeepClone());
        await Api.CreateAsync("/apis/discovery.k8s.io/v1/namespaces/default/endpointslices", slice);

        var other = await Api.CreateAsync("/api/v1/namespaces/default/configmaps", RawApi.ConfigMap("other-owner"));
        var shared = RawApi.ConfigMap("shared");
        shared["metadata"]!["ownerReferences"] = new JsonArray(ownerRef.DeepClone(), new JsonObject
        {
            ["apiVersion"] = "v1", ["kind"] = "ConfigMap", ["name"] = "other-owner", ["uid"] = other["metadata"]!["uid"]!.GetValue<string>(),
        });
        await Api.CreateAsync("/api/v1/namespaces/default/configmaps", shared);

        await Api.DeleteAsync("/api/v1/namespaces/default/services/owner");
        (await Api.GetAsync("/apis/discovery.k8s.io/v1/namespaces/default/endpointslices/owner-abc")).AssertStatus(404, "NotFound");
        var survivor = await Api.GetAsync("/api/v1/namespaces/default/configmaps/shared");
        Assert.Equal(HttpStatusCode.OK, survivor.Code);
        Assert.Single(survivor.Object["metadata"]!["ownerReferences"]!.AsArray());
    }

    [Fact]
    public async Task Orphan_propagation_keeps_dependents()
    {
        var owner = await Api.CreateAsync("/api/v1/namespaces/default/configmaps", RawApi.ConfigMap("o"));
        var dep = RawApi.ConfigMap("dep");
        dep["metadata"]!["ownerReferences"] = new JsonArray(new JsonObject
        {
            ["apiVersion"] = "v1", ["kind"] = "ConfigMap", ["name"] = "o", ["uid"] = owner["metadata"]!["uid"]!.GetValue<string>(),
        });
        await Api.CreateAsync("/api/v1/namespaces/default/configmaps", dep);
        await Api.DeleteAsync("/api/v1/namespaces/default/configmaps/o?propagationPolicy=Orphan");
        var kept = await Api.GetAsync("/api/v1/namespaces/default/configmaps/dep");
        Assert.Equal(HttpStatusCode.OK, kept.Code);
        Assert.Null(kept.Object["metadata"]!["ownerReferences"]);
    }

    [Fact]
    public async Task Deleting_a_namespace_deletes_its_contents_and_refuses_new_ones_while_terminating()
    {
        await Api.CreateAsync("/api/v1/namespaces", JsonNode.Parse("""{"apiVersion":"v1","kind":"Namespace","metadata":{"name":"doomed"}}""")!);
        await Api.CreateAsync("/api/v1/namespaces/doomed/configmaps", RawApi.ConfigMap("plain", "doomed"));
        var held = RawApi.ConfigMap("held", "doomed");
        held["metadata"]!["finalizers"] = new JsonArray("example.dev/hold");
        await Api.CreateAsync("/api/v1/namespaces/doomed/configmaps", held);

        var r = await Api.DeleteAsync("/api/v1/namespaces/doomed");
        Assert.Equal(HttpStatusCode.OK, r.Code);
        var ns = await Api.GetAsync("/api/v1/namespaces/doomed");
        Assert.Equal("Terminating", ns.Object["status"]!["phase"]!.GetValue<string>());
        (await Api.GetAsync("/api/v1/namespaces/doomed/configmaps/plain")).AssertStatus(404, "NotFound");
        (await Api.PostAsync("/api/v1/namespaces/doomed/configmaps", RawApi.ConfigMap("late", "doomed"))).AssertStatus(403, "Forbidden");

        await Api.PatchAsync("/api/v1/namespaces/doomed/configmaps/held", JsonNode.Parse("""{"metadata":{"finalizers":[]}}""")!, "application/merge-patch+json");
        (await Api.GetAsync("/api/v1/namespaces/doomed")).AssertStatus(404, "NotFound");
    }
}
