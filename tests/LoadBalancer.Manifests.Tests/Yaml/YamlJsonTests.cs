using System.Text.Json;
using System.Text.Json.Nodes;
using LoadBalancer.Yaml;

namespace LoadBalancer.Manifests.Tests.Yaml;

/// <summary>The one YAML reader/writer (proto/LoadBalancer.Yaml) used by the migrate tool, the emulator and these tests.</summary>
public sealed class YamlJsonTests
{
    public static TheoryData<string, string> Scalars() => new()
    {
        // plain scalars: YAML 1.2 core schema
        { "v: ", "null" }, { "v: ~", "null" }, { "v: null", "null" }, { "v: NULL", "null" },
        { "v: true", "true" }, { "v: False", "false" },
        { "v: 42", "42" }, { "v: -7", "-7" }, { "v: +3", "3" }, { "v: 0x1F", "31" }, { "v: 0o17", "15" },
        { "v: 1.5", "1.5" }, { "v: 1e3", "1000" }, { "v: -.5", "-0.5" },
        // an integer too large for 64 bits is read as a float, as the API server's YAML reader does
        { "v: 99999999999999999999", "1E+20" },
        // what the core schema does not type, or JSON cannot hold, stays a string
        { "v: yes", "\"yes\"" }, { "v: on", "\"on\"" }, { "v: 1.2.3", "\"1.2.3\"" }, { "v: 64512:100", "\"64512:100\"" },
        { "v: .inf", "\".inf\"" }, { "v: 1e999", "\"1e999\"" },
        { "v: 0x", "\"0x\"" }, { "v: 0o8", "\"0o8\"" }, { "v: 2001:db8::1", "\"2001:db8::1\"" },
        // quoted, block and !!str scalars are strings whatever they look like
        { "v: '42'", "\"42\"" }, { "v: \"true\"", "\"true\"" }, { "v: !!str 42", "\"42\"" }, { "v: |\n  42\n", "\"42\\n\"" },
        { "v: >-\n  a\n  b\n", "\"a b\"" },
    };

    [Theory]
    [MemberData(nameof(Scalars))]
    public void Plain_scalars_are_typed_by_the_core_schema_and_quoted_ones_stay_strings(string yaml, string json)
    {
        Assert.True(YamlJson.TryParse(yaml, out var docs, out var error), error);
        Assert.Equal(json, docs.Single()!["v"]?.ToJsonString() ?? "null");
    }

    [Fact]
    public void Documents_keep_their_order_empty_ones_are_null_and_objects_skip_them()
    {
        const string text = "a: 1\n---\n---\n- x\n---\nb: {c: [1, two]}\n";
        Assert.True(YamlJson.TryParse(text, out var docs, out _));
        Assert.Equal(["{\"a\":1}", "null", "[\"x\"]", "{\"b\":{\"c\":[1,\"two\"]}}"], docs.Select(d => d?.ToJsonString() ?? "null"));
        Assert.True(YamlJson.TryParseObjects(text, out var objects, out _));
        Assert.Equal(["{\"a\":1}", "{\"b\":{\"c\":[1,\"two\"]}}"], objects.Select(o => o.ToJsonString()));
    }

    [Fact]
    public void Numbers_are_json_backed_so_they_convert_to_any_numeric_type()
    {
        Assert.True(YamlJson.TryParseObjects("port: 179\nratio: 0.5\n", out var objects, out _));
        Assert.Equal(179, objects[0]["port"]!.GetValue<int>());
        Assert.Equal((ushort)179, objects[0]["port"]!.GetValue<ushort>());
        Assert.Equal(0.5m, objects[0]["ratio"]!.GetValue<decimal>());
    }

    [Theory]
    [InlineData("a: [1, 2\n", "line")]
    [InlineData("a: b\n  c: d\n", "line")]
    [InlineData("? [x]\n: y\n", "a mapping key must be a plain string")]
    [InlineData("a: *missing\n", "line")]
    public void Bad_input_is_reported_with_its_place_never_thrown(string text, string expected)
    {
        Assert.False(YamlJson.TryParse(text, out var docs, out var error));
        Assert.Empty(docs);
        Assert.Contains(expected, error, StringComparison.Ordinal);
        Assert.False(YamlJson.TryParseObjects(text, out _, out _));
    }

    [Fact]
    public void Nesting_deeper_than_the_limit_is_refused_and_the_limit_itself_is_read()
    {
        static string Nested(int depth) => string.Concat(Enumerable.Repeat("[", depth)) + "1" + string.Concat(Enumerable.Repeat("]", depth));
        Assert.True(YamlJson.TryParse("v: " + Nested(YamlJson.MaxDepth - 1), out _, out var error), error);
        Assert.False(YamlJson.TryParse("v: " + Nested(YamlJson.MaxDepth + 1), out _, out error));
        Assert.Contains("deeper than", error, StringComparison.Ordinal);
        Assert.False(YamlJson.TryParse("v: " + Nested(10_000), out _, out _));
    }

    [Fact]
    public void Writer_puts_the_header_as_comments_and_quotes_what_would_change_type()
    {
        var text = YamlJson.Write([new JsonObject { ["a"] = "yes", ["b"] = "0x10", ["c"] = "plain", ["d"] = 5, ["e"] = new JsonArray() }, null], "line one\nline two");
        Assert.Equal("# line one\n# line two\n---\na: \"yes\"\nb: \"0x10\"\nc: plain\nd: 5\ne: []\n---\nnull\n", text);
    }

    [Fact]
    public void Writer_round_trips_awkward_strings_and_types()
    {
        var rng = new Random(8);
        string[] awkward = ["", "true", "no", "123", "1.5", "0x1F", "0o7", ".inf", "99999999999999999999", "yes", "a: b", "#x", "-x", " lead", "trail ", "64512:100", "large:1:2:3", "ünï", "line\nbreak", "null", "~", "2001:db8::1", "a\"q"];
        for (var round = 0; round < 200; round++)
        {
            var doc = new JsonObject();
            for (var i = 0; i < 6; i++)
            {
                JsonNode? value = rng.Next(5) switch
                {
                    0 => awkward[rng.Next(awkward.Length)],
                    1 => rng.NextInt64(-5_000_000_000, 5_000_000_000),
                    2 => rng.Next(2) == 0,
                    3 => new JsonArray(awkward[rng.Next(awkward.Length)], new JsonObject { ["k"] = awkward[rng.Next(awkward.Length)], ["n"] = rng.Next() }),
                    _ => new JsonObject { [awkward[rng.Next(awkward.Length)]] = new JsonArray() },
                };
                doc["k" + i] = value;
            }
            var text = YamlJson.Write([doc]);
            Assert.True(YamlJson.TryParse(text, out var back, out var error), error + "\n" + text);
            Assert.True(JsonNode.DeepEquals(doc, back.Single()), $"round {round}:\n{text}\n{doc.ToJsonString()}\n{back.Single()?.ToJsonString()}");
        }
    }

}
