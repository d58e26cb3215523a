using LoadBalancer.Sandbox;

namespace LoadBalancer.EndToEnd.Tests;

/// <summary>Pure tables: the GoBGP router's FIB mirror and what a polling client saw.</summary>
public sealed class SandboxCoreTests
{
    private static string Path(string prefix, string neighbor, int asPathLength = 1, bool withdrawal = false)
        => $$"""{"nlri":{"prefix":"{{prefix}}"},"attrs":[{"type":1,"value":0},{"type":2,"as_paths":[{"segment_type":2,"num":{{asPathLength}},"asns":[{{string.Join(",", Enumerable.Repeat("64513", asPathLength))}}]}]},{"type":3,"nexthop":"{{neighbor}}"}],"stale":false,"neighbor-ip":"{{neighbor}}"{{(withdrawal ? ",\"withdrawal\":true" : "")}}}""";

    [Fact]
    public void Gobgp_fib_installs_ecmp_over_equal_paths_and_deletes_when_the_last_goes()
    {
        var fib = new GoBgpFib();
        Assert.Equal([["route", "replace", "203.0.113.1/32", "proto", "bgp", "via", "192.0.2.11"]],
            fib.Reset($"[{Path("203.0.113.1/32", "192.0.2.11")}]"));
        Assert.Equal([["route", "replace", "203.0.113.1/32", "proto", "bgp", "nexthop", "via", "192.0.2.11", "nexthop", "via", "192.0.2.12"]],
            fib.Apply($"[{Path("203.0.113.1/32", "192.0.2.12")}]"));
        // A longer AS path is not part of the multipath set: nothing changes.
        Assert.Empty(fib.Apply($"[{Path("203.0.113.1/32", "192.0.2.13", asPathLength: 2)}]"));
        Assert.Equal(["192.0.2.11", "192.0.2.12"], fib.NextHops("203.0.113.1/32"));
        Assert.Equal([["route", "replace", "203.0.113.1/32", "proto", "bgp", "via", "192.0.2.12"]],
            fib.Apply($"[{Path("203.0.113.1/32", "192.0.2.11", withdrawal: true)}]"));
        // The longer path is all that is left: it becomes the route.
        Assert.Equal([["route", "replace", "203.0.113.1/32", "proto", "bgp", "via", "192.0.2.13"]],
            fib.Apply($"[{Path("203.0.113.1/32", "192.0.2.12", withdrawal: true)}]"));
        Assert.Equal([["route", "del", "203.0.113.1/32", "proto", "bgp"]], fib.Apply($"[{Path("203.0.113.1/32", "192.0.2.13", 2, withdrawal: true)}]"));
        Assert.Empty(fib.NextHops("203.0.113.1/32"));
    }

    [Theory]
    [InlineData("")]
    [InlineData("not json")]
    [InlineData("{\"a\":1}")]
    [InlineData("[1,2,{\"nlri\":{}}]")]
    public void Gobgp_fib_ignores_lines_that_are_not_paths(string line) => Assert.Empty(new GoBgpFib().Apply(line));

    [Fact]
    public void Gobgp_fib_reset_drops_routes_the_new_dump_lacks()
    {
        var fib = new GoBgpFib();
        fib.Apply($"[{Path("203.0.113.1/32", "192.0.2.11")},{Path("203.0.113.2/32", "192.0.2.11")}]");
        var commands = fib.Reset($"[{Path("203.0.113.2/32", "192.0.2.11")}]");
        Assert.Equal([["route", "del", "203.0.113.1/32", "proto", "bgp"]], commands);
        Assert.Equal(["192.0.2.11"], fib.NextHops("203.0.113.2/32"));
    }

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
