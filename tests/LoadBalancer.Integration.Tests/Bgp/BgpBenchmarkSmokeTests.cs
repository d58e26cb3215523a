using System.Net;
using LoadBalancer.Benchmarks.Bgp;

namespace LoadBalancer.Integration.Tests.Bgp;

/// <summary>
/// Runs the BgpConvergence scenario at a tiny size so every sender path (ours, BIRD, gobgpd via MRT injection,
/// ExaBGP via its API process) keeps working in CI; the times are not checked, only that each sender installed and
/// withdrew every prefix in the BIRD receiver.
/// </summary>
[Trait("Category", "Privileged")]
public sealed class BgpBenchmarkSmokeTests
{
    [Fact]
    public async Task Scenario_RunsEverySenderAtTinySize()
    {
        var results = await BgpConvergenceScenario.RunAsync(300).WaitAsync(TimeSpan.FromSeconds(240));
        Assert.Equal(["LoadBalancer", "BIRD", "gobgpd", "ExaBGP"], results.Select(r => r.Sender.Split(' ')[0]));
        Assert.All(results, r => Assert.Equal(300, r.Prefixes));
        Assert.NotNull(results[0].ManagedBytes);
        Assert.NotNull(results[0].RssBytes);
    }

    [Fact]
    public void MrtTableDump_WritesPeerIndexThenOneRibRecordPerPrefix()
    {
        var bytes = BgpConvergenceScenario.MrtTableDump([IPNetwork.Parse("198.18.0.1/32")], IPAddress.Parse("192.0.2.11"), 64513);
        byte[] expected =
        [
            // PEER_INDEX_TABLE: header (type 13, subtype 1, length 21), collector id, empty view, 1 peer (AS4, IPv4).
            0, 0, 0, 0, 0, 13, 0, 1, 0, 0, 0, 21,
            192, 0, 2, 11, 0, 0, 0, 1, 0b10, 192, 0, 2, 11, 192, 0, 2, 11, 0, 0, 0xfc, 0x01,
            // RIB_IPV4_UNICAST: header (type 13, subtype 2, length 33), sequence 0, 198.18.0.1/32, 1 entry from peer 0.
            0, 0, 0, 0, 0, 13, 0, 2, 0, 0, 0, 33,
            0, 0, 0, 0, 32, 198, 18, 0, 1, 0, 1, 0, 0, 0, 0, 0, 0, 0, 14,
            0x40, 1, 1, 0, 0x40, 2, 0, 0x40, 3, 4, 192, 0, 2, 11,
        ];
        Assert.Equal(expected, bytes);
    }

    [Fact]
    public void ExabgpCommands_PackThousandPrefixesPerLine()
    {
        var lines = BgpConvergenceScenario.ExabgpCommands("withdraw", BgpConvergenceScenario.Prefixes(2500)).ToList();
        Assert.Equal(3, lines.Count);
        Assert.StartsWith("withdraw attributes next-hop 192.0.2.11 nlri 198.18.0.0/32 198.18.0.1/32 ", lines[0]);
        Assert.Equal(1000, lines[0].Split(' ').Length - 5);
        Assert.EndsWith(" 198.18.9.195/32", lines[2]);
    }
}
