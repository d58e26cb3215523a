using System.Text.Json.Nodes;
using LoadBalancer.TestKit.ApiServer;

namespace LoadBalancer.Kube.Tests.Emulator;

public sealed class EmulatorListTests : EmulatorTest
{

    private static List<string> Names(RawApi.Reply r) =>
        r.Object["items"]!.AsArray().Select(i => i!["metadata"]!["name"]!.GetValue<string>()).ToList();

    private void SeedLabelled()
    {
        Server.Seed(
        [
            RawApi.ConfigMap("a", labels: new Dictionary<string, string> { ["env"] = "prod", ["tier"] = "front" }),
            RawApi.ConfigMap("b", labels: new Dictionary<string, string> { ["env"] = "dev", ["tier"] = "front" }),
            RawApi.ConfigMap("c", labels: new Dictionary<string, string> { ["env"] = "qa" }),
            RawApi.ConfigMap("d"),
        ]);
    }

    [Theory]
    [InlineData("env=prod", "a")]
    [InlineData("env==prod", "a")]
    [InlineData("env!=prod", "b,c,d")]
    [InlineData("env in (prod,qa)", "a,c")]
    [InlineData("env notin (prod,qa)", "b,d")]
    [InlineData("tier", "a,b")]
    [InlineData("!tier", "c,d")]
    [InlineData("tier=front,env!=dev", "a")]
    [InlineData("", "a,b,c,d")]
    public async Task Label_selectors(string selector, string expected)
    {
        SeedLabelled();
        var r = await Api.GetAsync("/api/v1/namespaces/default/configmaps?labelSelector=" + Uri.EscapeDataString(selector));
        Assert.Equal(expected, string.Join(",", Names(r)));
    }

    [Fact]
    public async Task Malformed_label_selector_is_400()
    {
        (await Api.GetAsync("/api/v1/namespaces/default/configmaps?labelSelector=" + Uri.EscapeDataString("env in prod"))).AssertStatus(400, "BadRequest");
    }

    [Fact]
    public async Task Field_selectors_on_name_and_namespace_and_unsupported_fields()
    {
        SeedLabelled();
        Server.Create(RawApi.ConfigMap("a", "kube-system"));
        Assert.Equal(["a"], Names(await Api.GetAsync("/api/v1/namespaces/default/configmaps?fieldSelector=metadata.name%3Da")));
        Assert.Equal(["b", "c", "d"], Names(await Api.GetAsync("/api/v1/namespaces/default/configmaps?fieldSelector=metadata.name!%3Da")));
        Assert.Equal(["a"], Names(await Api.GetAsync("/api/v1/configmaps?fieldSelector=metadata.namespace%3Dkube-system")));
        (await Api.GetAsync("/api/v1/configmaps?fieldSelector=data.k%3Dv")).AssertStatus(400, "BadRequest");
    }

    [Fact]
    public async Task Paging_with_limit_and_continue_returns_every_object_once_in_order()
    {
        Server.Seed(Enumerable.Range(0, 25).Select(i => RawApi.ConfigMap($"p{i:D2}")));
        var names = new List<string>();
        string? token = null;
        var pages = 0;
        do
        {
            var r = await Api.GetAsync("/api/v1/namespaces/default/configmaps?limit=10" + (token is null ? "" : "&continue=" + Uri.EscapeDataString(token)));
            names.AddRange(Names(r));
            token = r.Object["metadata"]!["continue"]?.GetValue<string>();
            if (token is not null) Assert.True(r.Object["metadata"]!["remainingItemCount"]!.GetValue<long>() > 0);
            pages++;
        }
        while (token is not null);
        Assert.Equal(3, pages);
        Assert.Equal(Enumerable.Range(0, 25).Select(i => $"p{i:D2}"), names);
    }

    [Fact]
    public async Task Continue_token_expires_with_its_resourceVersion()
    {
        Server.Seed(Enumerable.Range(0, 5).Select(i => RawApi.ConfigMap($"e{i}")));
        var first = await Api.GetAsync("/api/v1/namespaces/default/configmaps?limit=2");
        var token = first.Object["metadata"]!["continue"]!.GetValue<string>();
        Server.Create(RawApi.ConfigMap("later"));
        Server.ExpireResourceVersions();
        (await Api.GetAsync("/api/v1/namespaces/default/configmaps?limit=2&continue=" + Uri.EscapeDataString(token))).AssertStatus(410, "Expired");
        (await Api.GetAsync("/api/v1/namespaces/default/configmaps?limit=2&continue=garbage!")).AssertStatus(400, "BadRequest");
    }

    [Fact]
    public async Task List_carries_kindApiVersion_and_the_current_resourceVersion()
    {
        SeedLabelled();
        var r = await Api.GetAsync("/api/v1/namespaces/default/configmaps");
        Assert.Equal("ConfigMapList", r.Object["kind"]!.GetValue<string>());
        Assert.Equal("v1", r.Object["apiVersion"]!.GetValue<string>());
        Assert.Equal(Server.ResourceVersion.ToString(System.Globalization.CultureInfo.InvariantCulture), r.Object["metadata"]!["resourceVersion"]!.GetValue<string>());
    }

    [Fact]
    public async Task Ten_thousand_services_seed_and_list()
    {
        var n = Server.Seed(Enumerable.Range(0, 10_000).Select(i => RawApi.Service($"svc-{i:D5}")));
        Assert.Equal(10_000, n);
        var r = await Api.GetAsync("/api/v1/services");
        var items = r.Object["items"]!.AsArray();
        Assert.Equal(10_000, items.Count);
        Assert.Equal(10_000, items.Select(i => i!["spec"]!["clusterIP"]!.GetValue<string>()).Distinct().Count());
    }

    [Fact]
    public async Task Table_output_has_the_service_printer_columns()
    {
        var svc = RawApi.Service("web", type: "LoadBalancer", ports: [80, 443]);
        Server.Create(svc);
        var r = await Api.GetAsync("/api/v1/namespaces/default/services", "application/json;as=Table;v=v1;g=meta.k8s.io,application/json");
        Assert.Equal("Table", r.Object["kind"]!.GetValue<string>());
        var columns = r.Object["columnDefinitions"]!.AsArray().Select(c => c!["name"]!.GetValue<string>()).ToList();
        Assert.Equal(["Name", "Type", "Cluster-IP", "External-IP", "Port(s)", "Age", "Selector"], columns);
        var cells = r.Object["rows"]![0]!["cells"]!.AsArray().Select(c => c!.ToString()).ToList();
        Assert.Equal("web", cells[0]);
        Assert.Equal("LoadBalancer", cells[1]);
        Assert.Equal("<pending>", cells[3]);
        Assert.Matches("^80:3\\d{4}/TCP,443:3\\d{4}/TCP$", cells[4]);
        Assert.Equal("PartialObjectMetadata", r.Object["rows"]![0]!["object"]!["kind"]!.GetValue<string>());
    }

    [Fact]
    public async Task Delete_collection_honours_the_selector()
    {
        SeedLabelled();
        var r = await Api.DeleteAsync("/api/v1/namespaces/default/configmaps?labelSelector=tier%3Dfront");
        Assert.Equal(2, r.Object["items"]!.AsArray().Count);
        Assert.Equal(["c", "d"], Names(await Api.GetAsync("/api/v1/namespaces/default/configmaps")));
    }
}
