using System.Text.Json.Nodes;
using LoadBalancer.Manifests.Tests.Support;

namespace LoadBalancer.Manifests.Tests;

public sealed class CrdTests
{
    /// <summary>The kinds of ../shared/design/API.md; each must have exactly one CRD.</summary>
    public static readonly string[] ApiKinds =
        ["IPAddressPool", "L2Advertisement", "BGPAdvertisement", "BGPPeer", "BFDProfile", "Community", "ServiceAnnouncement", "BGPSession"];

    public static TheoryData<string> Kinds() => [.. ApiKinds];

    internal static ManifestObject Crd(string kind)
        => ManifestSet.Crds().Single(c => c.Body["spec"]!["names"]!["kind"].Str() == kind);

    internal static JsonObject Schema(string kind)
        => (JsonObject)Crd(kind).Body["spec"]!["versions"]![0]!["schema"]!["openAPIV3Schema"]!;

    [Fact]
    public void There_is_one_crd_per_api_kind_and_no_other()
        => Assert.Equal(ApiKinds.Order(StringComparer.Ordinal), ManifestSet.Crds().Select(c => c.Body["spec"]!["names"]!["kind"].Str()).Order(StringComparer.Ordinal));

    [Theory]
    [MemberData(nameof(Kinds))]
    public void Crd_is_namespaced_v1beta1_with_status_subresource_names_and_printer_columns(string kind)
    {
        var crd = Crd(kind);
        var spec = crd.Body["spec"]!;
        var names = spec["names"]!;
        var plural = names["plural"].Str();
        Assert.Equal("lb.baremetal.dev", spec["group"].Str());
        Assert.Equal("Namespaced", spec["scope"].Str());
        Assert.Equal($"{plural}.lb.baremetal.dev", crd.Name);
        Assert.Equal($"lb.baremetal.dev_{plural}.yaml", Path.GetFileName(crd.File));
        Assert.Equal(kind.ToLowerInvariant(), names["singular"].Str());
        Assert.Equal(kind + "List", names["listKind"].Str());
        Assert.NotEmpty((JsonArray)names["shortNames"]!);
        Assert.Contains("loadbalancer", ((JsonArray)names["categories"]!).Select(c => c.Str()));
        var versions = (JsonArray)spec["versions"]!;
        var v = Assert.Single(versions)!;
        Assert.Equal("v1beta1", v["name"].Str());
        Assert.True(v["served"]!.GetValue<bool>() && v["storage"]!.GetValue<bool>());
        Assert.NotNull(v["subresources"]?["status"]);
        Assert.NotEmpty((JsonArray)v["additionalPrinterColumns"]!);
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public void Schema_is_structural_every_node_has_a_type_and_a_description(string kind)
    {
        var errors = new List<string>();
        Walk(Schema(kind), "", errors, named: false);
        Assert.Empty(errors);

        static void Walk(JsonObject s, string path, List<string> errors, bool named)
        {
            if (s["type"] is null) errors.Add(path + ": no type");
            if (named && !path.EndsWith(".metadata", StringComparison.Ordinal) && s["description"] is null)
                errors.Add(path + ": no description");
            foreach (var (name, child) in s["properties"] as JsonObject ?? []) Walk((JsonObject)child!, path + "." + name, errors, named: true);
            if (s["items"] is JsonObject items) Walk(items, path + "[]", errors, named: false);
            if (s["additionalProperties"] is JsonObject ap) Walk(ap, path + "{}", errors, named: false);
            if (s["type"].Str() == "array" && s["items"] is null) errors.Add(path + ": array without items");
        }
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public void Printer_columns_point_at_fields_of_the_schema(string kind)
    {
        var schema = Schema(kind);
        foreach (var col in (JsonArray)Crd(kind).Body["spec"]!["versions"]![0]!["additionalPrinterColumns"]!)
        {
            var path = col!["jsonPath"].Str();
            if (path == ".metadata.creationTimestamp") continue;
            var bare = path.Split('[')[0];
            JsonNode? node = schema;
            foreach (var part in bare.TrimStart('.').Split('.'))
                node = node?["properties"]?[part];
            Assert.True(node is not null, $"{kind}: printer column {col["name"]} points at {path}, which the schema does not have");
        }
    }

    [Fact]
    public void User_kinds_have_conditions_in_status_and_status_kinds_have_no_spec()
    {
        foreach (var kind in ApiKinds)
        {
            var props = (JsonObject)Schema(kind)["properties"]!;
            if (kind is "ServiceAnnouncement" or "BGPSession") Assert.False(props.ContainsKey("spec"), kind);
            else
            {
                Assert.NotNull(props["status"]?["properties"]?["conditions"]);
                Assert.Contains("spec", ((JsonArray)Schema(kind)["required"]!).Select(x => x.Str()));
            }
        }
    }

    [Fact]
    public void Bgp_peer_carries_the_cel_rules_for_timers_asns_and_passwords()
    {
        var spec = (JsonObject)Schema("BGPPeer")["properties"]!["spec"]!;
        var rules = ((JsonArray)spec["x-kubernetes-validations"]!).Select(r => r!["rule"].Str()).ToList();
        Assert.Contains(rules, r => r.Contains("duration('3s')", StringComparison.Ordinal));
        Assert.Contains(rules, r => r.Contains("keepaliveTime) < duration(self.holdTime)", StringComparison.Ordinal));
        Assert.Contains(rules, r => r.Contains("passwordSecret", StringComparison.Ordinal));
        Assert.Contains(rules, r => r.Contains("oldSelf", StringComparison.Ordinal));
        var props = (JsonObject)spec["properties"]!;
        Assert.Equal(4294967295L, props["myASN"]!["maximum"]!.GetValue<long>());
        Assert.Equal(1L, props["peerASN"]!["minimum"]!.GetValue<long>());
        Assert.Equal(179L, props["peerPort"]!["default"]!.GetValue<long>());
        Assert.Equal("90s", props["holdTime"]!["default"].Str());
    }

    [Theory]
    [InlineData("0", true)]
    [InlineData("30s", true)]
    [InlineData("1m30s", true)]
    [InlineData("500ms", true)] // a schema pattern cannot say "at least 1s": the CEL rule does (the emulator does not run CEL)
    [InlineData("30", false)]
    [InlineData("fast", false)]
    public void L2_gratuitous_interval_takes_0_for_off_or_a_duration_and_a_cel_rule_bounds_it(string value, bool valid)
    {
        var field = (JsonObject)Schema("L2Advertisement")["properties"]!["spec"]!["properties"]!["gratuitousInterval"]!;
        Assert.Equal(valid, SchemaValidator.Validate(JsonValue.Create(value), field).Count == 0);
        var rule = ((JsonArray)field["x-kubernetes-validations"]!).Single()!["rule"].Str();
        Assert.Contains("duration('1s')", rule, StringComparison.Ordinal);
        Assert.Contains("duration('1h')", rule, StringComparison.Ordinal);
    }

    [Fact]
    public void Defaults_follow_the_api()
    {
        JsonNode P(string kind, string field) => Schema(kind)["properties"]!["spec"]!["properties"]![field]!;
        Assert.True(P("IPAddressPool", "autoAssign")["default"]!.GetValue<bool>());
        Assert.Equal(32L, P("BGPAdvertisement", "aggregationLength")["default"]!.GetValue<long>());
        Assert.Equal(128L, P("BGPAdvertisement", "aggregationLengthV6")["default"]!.GetValue<long>());
    }

    public static TheoryData<string> SampleFiles()
    {
        var data = new TheoryData<string>();
        foreach (var f in ManifestSet.YamlFiles(Path.Combine(Repo.Manifests, "samples"))) data.Add(Path.GetFileName(f));
        return data;
    }

    [Theory]
    [MemberData(nameof(SampleFiles))]
    public void Every_sample_object_validates_against_its_crd_schema(string file)
    {
        var objects = ManifestSet.Load(Path.Combine(Repo.Manifests, "samples", file));
        Assert.Contains(objects, o => o.Body["apiVersion"].Str() == "lb.baremetal.dev/v1beta1");
        Assert.True(File.ReadAllText(Path.Combine(Repo.Manifests, "samples", file)).TrimStart().StartsWith('#'), $"{file} starts with a comment explaining it");
        foreach (var o in objects.Where(o => o.Body["apiVersion"].Str() == "lb.baremetal.dev/v1beta1"))
        {
            var errors = SchemaValidator.Validate(o.Body, Schema(o.Kind));
            Assert.True(errors.Count == 0, $"{o}: {string.Join("; ", errors)}");
        }
    }

    [Fact]
    public void Validator_rejects_what_the_server_would()
    {
        var bad = (JsonObject)JsonNode.Parse("""
            {"apiVersion":"lb.baremetal.dev/v1beta1","kind":"BGPPeer","metadata":{"name":"x"},
             "spec":{"myASN":0,"peerASN":"64500","peerAddress":"192.0.2.1","holdTime":"ninety","bogus":1}}
            """)!;
        var errors = SchemaValidator.Validate(bad, Schema("BGPPeer"));
        Assert.Contains(errors, e => e.Contains(".spec.myASN: 0 is below 1", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.Contains(".spec.peerASN: expected an integer", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.Contains(".spec.holdTime", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.Contains("unknown field \"bogus\"", StringComparison.Ordinal));
    }
}
