using FsCheck;
using FsCheck.Fluent;
using LoadBalancer.Kube.Api;

namespace LoadBalancer.Kube.Tests.Unit;

public class LabelSelectorMatcherTests
{
    private static readonly Dictionary<string, string> Web = new() { ["app"] = "web", ["tier"] = "front", ["example.com/zone"] = "a", ["replicas"] = "3" };

    [Theory]
    [InlineData("", true)]
    [InlineData("app=web", true)]
    [InlineData("app==web", true)]
    [InlineData("app = web", true)]
    [InlineData("app=db", false)]
    [InlineData("app!=db", true)]
    [InlineData("app!=web", false)]
    [InlineData("missing!=x", true)]
    [InlineData("app", true)]
    [InlineData("!app", false)]
    [InlineData("!missing", true)]
    [InlineData("tier in (front,back)", true)]
    [InlineData("tier in (back)", false)]
    [InlineData("tier notin (back)", true)]
    [InlineData("missing notin (back)", true)]
    [InlineData("missing in (back)", false)]
    [InlineData("example.com/zone=a,app=web", true)]
    [InlineData("example.com/zone=a,app=db", false)]
    [InlineData("replicas>2", true)]
    [InlineData("replicas<3", false)]
    [InlineData("  app  in  ( web , x ) , tier ", true)]
    public void Parse_and_match(string selector, bool matches)
        => Assert.Equal(matches, LabelSelectorMatcher.Parse(selector).Matches(Web));

    [Theory]
    [InlineData("app=", true)] // empty value is a valid label value
    [InlineData("app=,tier=front", true)]
    public void Empty_value_matches_only_empty(string selector, bool valid)
    {
        Assert.Equal(valid, LabelSelectorMatcher.TryParse(selector, out var m, out _));
        Assert.False(m!.Matches(Web));
        Assert.True(m.Matches(new Dictionary<string, string> { ["app"] = "", ["tier"] = "front" }));
    }

    [Theory]
    [InlineData("app=web,", "selector[8]")]
    [InlineData("app in (web", "selector[11]")]
    [InlineData("app in web", "selector[7]")]
    [InlineData("-app=web", "selector[0]")]
    [InlineData("app=we b", "selector[7]")]
    [InlineData("app=web!", "selector[7]")]
    [InlineData("Example.com/app=web", "selector[0]")]
    [InlineData("app in ()", "selector[9]")]
    [InlineData("replicas>x", "selector[10]")]
    public void Bad_selector_strings_name_the_position(string selector, string field)
    {
        var ex = Assert.Throws<InvalidLabelSelectorException>(() => LabelSelectorMatcher.Parse(selector));
        Assert.Equal(field, ex.Field);
        Assert.False(LabelSelectorMatcher.TryParse(selector, out _, out var error));
        Assert.StartsWith(field + ": ", error);
    }

    [Fact]
    public void Null_selector_matches_nothing_and_empty_matches_everything()
    {
        Assert.False(LabelSelectorMatcher.FromSelector(null).Matches(Web));
        Assert.True(LabelSelectorMatcher.FromSelector(null).IsNothing);
        Assert.True(LabelSelectorMatcher.FromSelector(new LabelSelector()).Matches(Web));
        Assert.True(LabelSelectorMatcher.FromSelector(new LabelSelector()).Matches((IReadOnlyDictionary<string, string>?)null));
    }

    [Fact]
    public void MatchLabels_and_expressions_are_ANDed()
    {
        var sel = new LabelSelector
        {
            MatchLabels = new() { ["app"] = "web" },
            MatchExpressions = [new() { Key = "tier", Operator = "In", Values = ["front", "edge"] }, new() { Key = "canary", Operator = "DoesNotExist" }],
        };
        var m = LabelSelectorMatcher.FromSelector(sel);
        Assert.True(m.Matches(Web));
        Assert.False(m.Matches(new Dictionary<string, string>(Web) { ["canary"] = "true" }));
        Assert.Equal("app=web,!canary,tier in (edge,front)", m.ToString());
    }

    [Theory]
    [InlineData("Within", new string[0], "matchExpressions[0].operator")]
    [InlineData("In", new string[0], "matchExpressions[0].values")]
    [InlineData("Exists", new[] { "x" }, "matchExpressions[0].values")]
    [InlineData("In", new[] { "bad value" }, "matchExpressions[0].values[0]")]
    public void Bad_expressions_name_the_field(string op, string[] values, string field)
    {
        var sel = new LabelSelector { MatchExpressions = [new() { Key = "k", Operator = op, Values = [.. values] }] };
        var ex = Assert.Throws<InvalidLabelSelectorException>(() => LabelSelectorMatcher.FromSelector(sel));
        Assert.Equal(field, ex.Field);
        Assert.False(LabelSelectorMatcher.TryFromSelector(sel, out _, out var error));
        Assert.Contains(field, error);
    }

    [Theory]
    [InlineData("", "matchLabels[]")]
    [InlineData("a/b/c", "matchLabels[a/b/c]")]
    [InlineData("UPPER.example/x", "matchLabels[UPPER.example/x]")]
    public void Bad_keys_in_matchLabels_name_the_key(string key, string field)
    {
        var ex = Assert.Throws<InvalidLabelSelectorException>(() =>
            LabelSelectorMatcher.FromSelector(new LabelSelector { MatchLabels = new() { [key] = "v" } }));
        Assert.Equal(field, ex.Field);
    }

    [Fact]
    public void Too_long_name_part_is_rejected()
        => Assert.Throws<InvalidLabelSelectorException>(() => LabelSelectorMatcher.Parse(new string('a', 64) + "=x"));

    [Fact]
    public void ToString_round_trips_through_Parse()
    {
        var keys = Gen.Elements("app", "tier", "example.com/zone", "k8s.io/x-y_z.w");
        var values = Gen.Elements("a", "web", "b-1", "x.y", "Z9");
        var req = from key in keys
                  from op in Gen.Elements(LabelOperator.In, LabelOperator.NotIn, LabelOperator.Exists, LabelOperator.DoesNotExist)
                  from vs in Gen.NonEmptyListOf(values)
                  select new LabelRequirement(key, op, op is LabelOperator.Exists or LabelOperator.DoesNotExist ? [] : vs.Distinct().Order(StringComparer.Ordinal).ToArray());
        var labelSets = Gen.ListOf(from k in keys from v in values select (k, v))
            .Select(l => (IReadOnlyDictionary<string, string>)l.DistinctBy(p => p.k).ToDictionary(p => p.k, p => p.v));
        Prop.ForAll(Arb.From(Gen.ListOf(req)), Arb.From(labelSets), (reqs, labels) =>
        {
            var text = string.Join(',', reqs.Select(r => r.ToString()));
            var parsed = LabelSelectorMatcher.Parse(text);
            var reparsed = LabelSelectorMatcher.Parse(parsed.ToString());
            var expected = reqs.All(r => r.Matches(labels));
            return parsed.Matches(labels) == expected && reparsed.Matches(labels) == expected && reparsed.ToString() == parsed.ToString();
        }).QuickCheckThrowOnFailure();
    }

    [Fact]
    public void Random_garbage_never_throws_anything_but_InvalidLabelSelectorException()
    {
        var random = new Random(42);
        const string alphabet = "ab=!,() in notin<>/.-_ \t9Z";
        for (var i = 0; i < 5000; i++)
        {
            var s = new string(Enumerable.Range(0, random.Next(20)).Select(_ => alphabet[random.Next(alphabet.Length)]).ToArray());
            if (LabelSelectorMatcher.TryParse(s, out var m, out var error)) Assert.NotNull(m.ToString());
            else Assert.False(string.IsNullOrEmpty(error));
        }
    }
}
