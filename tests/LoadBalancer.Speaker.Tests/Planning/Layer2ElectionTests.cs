using System.Net;
using LoadBalancer.Speaker.Announcing;
using LoadBalancer.Speaker.Planning;
using static LoadBalancer.Speaker.Tests.Planning.World;

namespace LoadBalancer.Speaker.Tests.Planning;

public class Layer2ElectionTests
{
    [Theory]
    // Expected digests computed independently: python3 -c "import hashlib; print(hashlib.sha256(b'n1#203.0.113.10').hexdigest())"
    [InlineData("n1", "203.0.113.10", "6ed9f2ba26227ad23af070e2ef747f1bf323345c5a91addf1a4ce8bfc04688d6")]
    [InlineData("n2", "2001:db8::10", "a43bec36d245dbb1566c252af3bd13bce24bb26a40b0490d387982a8f4f8bcd3")]
    public void Digest_is_sha256_of_node_hash_ip_text(string node, string ip, string hex)
        => Assert.Equal(hex, Convert.ToHexStringLower(Layer2Election.Digest(node, IPAddress.Parse(ip))));

    [Fact]
    public void Digest_uses_canonical_ipv6_text()
        => Assert.Equal(Layer2Election.Digest("n1", IPAddress.Parse("2001:0DB8:0:0::0010")), Layer2Election.Digest("n1", IPAddress.Parse("2001:db8::10")));

    [Theory]
    [InlineData("203.0.113.10", "n3")]
    [InlineData("2001:db8::10", "n1")]
    public void Owner_is_the_smallest_digest(string ip, string expected)
    {
        Assert.Equal(expected, Layer2Election.Owner(["n1", "n2", "n3"], IPAddress.Parse(ip)));
        Assert.Equal(expected, Layer2Election.Owner(["n3", "n2", "n1"], IPAddress.Parse(ip)));
    }

    [Fact]
    public void No_candidates_no_owner() => Assert.Null(Layer2Election.Owner([], V4));

    private static IPAddress Ip(int i) => new(new byte[] { 10, (byte)(i >> 16), (byte)(i >> 8), (byte)i });

    [Fact]
    public void Spread_10k_ips_over_10_nodes_is_even()
    {
        var nodes = Enumerable.Range(1, 10).Select(i => $"node-{i}").ToArray();
        var counts = nodes.ToDictionary(n => n, _ => 0);
        for (var i = 0; i < 10_000; i++) counts[Layer2Election.Owner(nodes, Ip(i))!]++;
        // Each node's share within 1.5 percentage points of 1/10 (1000 +- 150 of 10k; the binomial sd is 30).
        Assert.All(counts, kv => Assert.InRange(kv.Value, 850, 1150));
    }

    [Fact]
    public void Removing_a_non_owner_moves_no_ip_and_adding_a_node_moves_only_what_it_wins()
    {
        var nodes = Enumerable.Range(1, 10).Select(i => $"node-{i}").ToList();
        var before = Enumerable.Range(0, 10_000).ToDictionary(i => i, i => Layer2Election.Owner(nodes, Ip(i)));
        var without = nodes.Where(n => n != "node-4").ToList();
        var moved = 0;
        for (var i = 0; i < 10_000; i++)
        {
            var after = Layer2Election.Owner(without, Ip(i));
            if (before[i] == "node-4") { moved++; Assert.NotEqual("node-4", after); }
            else Assert.Equal(before[i], after);
        }
        Assert.InRange(moved, 850, 1150);
        var with11 = nodes.Append("node-11").ToList();
        for (var i = 0; i < 10_000; i++)
        {
            var after = Layer2Election.Owner(with11, Ip(i));
            Assert.True(after == before[i] || after == "node-11");
        }
    }

    private static string[] Show(IEnumerable<Layer2Announcement> l2) => [.. l2.Select(a => $"{a.Ip} {string.Join(',', a.Interfaces)} {string.Join(',', a.Services)} {a.GratuitousInterval}")];

    [Fact]
    public void Planner_is_deterministic_whatever_the_input_order()
    {
        var s = Base();
        var reversed = s with { Nodes = [.. s.Nodes.Reverse()], LiveSpeakers = [.. s.LiveSpeakers.Reverse()] };
        foreach (var n in new[] { "n1", "n2", "n3" })
        {
            var a = AnnouncementPlanner.Plan(n, s);
            var b = AnnouncementPlanner.Plan(n, reversed);
            Assert.Equal(Show(a.Layer2), Show(b.Layer2));
            Assert.Equal(a.Services[Web], b.Services[Web]);
        }
        Assert.Equal(["n3"], Layer2Owners(s)[V4]);
    }

    [Fact]
    public void Planner_spread_over_nodes_and_removal_of_non_owner()
    {
        var nodes = Enumerable.Range(1, 10).Select(i => Node($"node-{i}")).ToList();
        var services = Enumerable.Range(0, 500).Select(i => Service(new ServiceKey("ns", $"s{i}"), TrafficPolicy.Cluster, IPAddress.Parse($"203.0.113.{i % 250}"))).ToList();
        // 500 Services on 250 IPs (pairs share an IP).
        var s = new PlannerSnapshot([.. services], [.. services.Select(x => Slice(x.Key, Ready("node-1")))], [.. nodes],
            new PlannerConfig([Pool()], [new L2AdvertisementInput("all")], [], []), [.. nodes.Select(n => n.Name)]);
        var owners = Layer2Owners(s);
        Assert.Equal(250, owners.Count);
        Assert.All(owners.Values, v => Assert.Single(v));
        var victim = nodes.Select(n => n.Name).First(n => owners.Values.All(v => v[0] != n) || true);
        var s2 = s with { LiveSpeakers = s.LiveSpeakers.Remove(victim) };
        var owners2 = Layer2Owners(s2);
        foreach (var (ip, o) in owners)
        {
            if (o[0] != victim) Assert.Equal(o, owners2[ip]);
            else Assert.NotEqual(victim, Assert.Single(owners2[ip]));
        }
    }
}
