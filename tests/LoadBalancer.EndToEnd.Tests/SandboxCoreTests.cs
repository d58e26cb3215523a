using LoadBalancer.Sandbox;

namespace LoadBalancer.EndToEnd.Tests;

/// <summary>Pure tables: the GoBGP router's FIB mirror and what a polling client saw.</summary>
public sealed class SandboxCoreTests
{
    private static string Path(string prefix, string neighbor, int asPathLength = 1)
        => $$"""{"nlri":{"prefix":"{{prefix}}"},"attrs":[{"type":1,"value":0},{"type":2,"as_paths":[{"segment_type":2,"num":{{asPathLength}},"asns":[{{string.Join(",", Enumerable.Repeat("64513", asPathLength))}}]}]},{"type":3,"nexthop":"{{neighbor}}"}],"stale":false,"neighbor-ip":"{{neighbor}}"}""";

    /// <summary>`gobgp global rib -j`: prefix -> every path.</summary>
    private static string Rib(params (string Prefix, string[] Paths)[] prefixes)
        => "{" + string.Join(",", prefixes.Select(p => $"\"{p.Prefix}\":[{string.Join(",", p.Paths)}]")) + "}";

    [Fact]
    public void Gobgp_fib_installs_ecmp_over_the_shortest_paths_and_deletes_what_the_rib_lost()
    {
        const string P = "203.0.113.1/32";
        var fib = new GoBgpFib();
        Assert.Equal([["route", "replace", P, "proto", "bgp", "via", "192.0.2.11"]], fib.Sync(Rib((P, [Path(P, "192.0.2.11")]))));
        Assert.Empty(fib.Sync(Rib((P, [Path(P, "192.0.2.11")])))); // no change, no command
        // A second equal path joins the ECMP set; a longer AS path does not.
        Assert.Equal([["route", "replace", P, "proto", "bgp", "nexthop", "via", "192.0.2.11", "nexthop", "via", "192.0.2.12"]],
            fib.Sync(Rib((P, [Path(P, "192.0.2.12"), Path(P, "192.0.2.11"), Path(P, "192.0.2.13", asPathLength: 2)]))));
        Assert.Equal(["192.0.2.11", "192.0.2.12"], fib.NextHops(P));
        // The longer path is all that is left: it becomes the route.
        Assert.Equal([["route", "replace", P, "proto", "bgp", "via", "192.0.2.13"]], fib.Sync(Rib((P, [Path(P, "192.0.2.13", asPathLength: 2)]))));
        // Gone from the RIB: deleted (an empty RIB prints nothing or {}).
        Assert.Equal([["route", "del", P, "proto", "bgp"]], fib.Sync("{}"));
        Assert.Empty(fib.NextHops(P));
        Assert.Empty(fib.Sync("{}"));
    }

    [Theory]
    [InlineData("")]
    [InlineData("not json")]
    [InlineData("[1,2]")]
    [InlineData("{\"203.0.113.1/32\":[1,{\"nlri\":{}}]}")]
    public void Gobgp_fib_ignores_output_that_is_not_a_rib(string rib) => Assert.Empty(new GoBgpFib().Sync(rib));

    private static Attempt A(int ms, bool ok) => new(TimeSpan.FromMilliseconds(ms), ok, ok ? "node1" : null);

    [Fact]
    public void Client_view_measures_the_longest_run_of_failures_to_the_next_answer()
    {
        var view = new ClientView("203.0.113.1", [A(0, true), A(100, false), A(200, false), A(400, true), A(500, false), A(600, true), A(700, true)]);
        Assert.Equal(TimeSpan.FromMilliseconds(300), view.LongestInterruption);
        Assert.Equal(3, view.Failed);
        Assert.True(view.EndsAnswered);
        var open = new ClientView("203.0.113.1", [A(0, true), A(100, false), A(900, false)]);
        Assert.Equal(TimeSpan.FromMilliseconds(800), open.LongestInterruption);
        Assert.False(open.EndsAnswered);
        Assert.Equal(TimeSpan.Zero, new ClientView("x", []).LongestInterruption);
    }
}
