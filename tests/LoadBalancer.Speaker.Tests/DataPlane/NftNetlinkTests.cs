using System.Buffers.Binary;
using System.Net;
using System.Runtime.CompilerServices;
using LoadBalancer.Speaker.Announcing;
using LoadBalancer.Speaker.DataPlane.Apply;
using LoadBalancer.Speaker.DataPlane.Netlink;
using LoadBalancer.Speaker.DataPlane.Render;
using static LoadBalancer.Speaker.Tests.DataPlane.DataPlaneFixtures;

namespace LoadBalancer.Speaker.Tests.DataPlane;

/// <summary>
/// The nf_tables netlink encoder against the bytes nft 1.0.6 sends for the same commands
/// (testdata/NftNetlink/nft-1.0.6.txt, captured with <c>nft --debug=mnl</c>), plus its answers parser.
/// </summary>
public class NftNetlinkTests
{
    private static readonly ServiceKey Svc1 = new("ns1", "web");

    private static string SourceDir([CallerFilePath] string source = "") => Path.GetDirectoryName(source)!;

    public static TheoryData<string, int, string> Captured()
    {
        var data = new TheoryData<string, int, string>();
        var file = Path.Combine(SourceDir(), "testdata", "NftNetlink", "nft-1.0.6.txt");
        string? command = null;
        foreach (var line in File.ReadAllLines(file))
        {
            if (line.StartsWith("# ", StringComparison.Ordinal) && (line.StartsWith("# add", StringComparison.Ordinal)
                || line.StartsWith("# delete", StringComparison.Ordinal) || line.StartsWith("# flush", StringComparison.Ordinal)))
                command = line[2..];
            else if (!line.StartsWith('#') && command is not null)
            {
                var parts = line.Split(' ');
                data.Add(command, int.Parse(parts[0], System.Globalization.CultureInfo.InvariantCulture), parts[1]);
                command = null;
            }
        }
        return data;
    }

    /// <summary>The nft command of the capture as the diff's operation.</summary>
    private static NftOp Op(string command)
    {
        var w = command.Split(' ', 5);
        var (verb, what, name) = (w[0], w[1], w[4].Split(' ')[0]);
        var rest = w[4].Length > name.Length ? w[4][(name.Length + 1)..] : null;
        return (verb, what) switch
        {
            ("add", "chain") => new NftOp(NftOpKind.AddChain, Svc1, name),
            ("flush", "chain") => new NftOp(NftOpKind.FlushChain, Svc1, name),
            ("delete", "chain") => new NftOp(NftOpKind.DeleteChain, Svc1, name),
            ("add", "counter") => new NftOp(NftOpKind.AddCounter, Svc1, name),
            ("delete", "counter") => new NftOp(NftOpKind.DeleteCounter, Svc1, name),
            ("add", "rule") => new NftOp(NftOpKind.AddRule, Svc1, name, rest),
            ("add", "set") => new NftOp(NftOpKind.AddSet, Svc1, name, rest!.Trim('{', '}', ' ')),
            ("delete", "set") => new NftOp(NftOpKind.DeleteSet, Svc1, name),
            ("add" or "delete", "element") => new NftOp(verb == "add" ? NftOpKind.AddElements : NftOpKind.DeleteElements, Svc1, name,
                Elements: [Element(name, rest!.Trim('{', '}', ' '))]),
            _ => throw new InvalidOperationException(command),
        };
    }

    private static NftElement Element(string map, string text)
    {
        var colon = text.IndexOf(" : ", StringComparison.Ordinal);
        return colon < 0 ? new NftElement(map, text, null) : new NftElement(map, text[..colon], text[(colon + 3)..]);
    }

    [Theory]
    [MemberData(nameof(Captured))]
    public void Encoder_WritesTheBytesNftWrites(string command, int type, string payloadHex)
    {
        var buffer = new byte[8192];
        Assert.True(NftNetlink.TryEncode("lb", [Op(command)], 100, buffer, out var length, out var unsupported), unsupported);
        // batch begin (20 bytes), the message, batch end (20 bytes)
        var message = buffer.AsSpan(20, length - 40);
        Assert.Equal(message.Length, (int)BinaryPrimitives.ReadUInt32LittleEndian(message));
        Assert.Equal(type, BinaryPrimitives.ReadUInt16LittleEndian(message[4..]));
        Assert.Equal(101u, BinaryPrimitives.ReadUInt32LittleEndian(message[8..]));
        Assert.Equal(payloadHex, Convert.ToHexStringLower(message[16..]));
    }

    [Fact]
    public void Batch_IsBeginMessagesEnd_WithConsecutiveSequences()
    {
        var buffer = new byte[8192];
        NftOp[] ops = [new(NftOpKind.AddChain, Svc1, "a"), new(NftOpKind.AddRule, Svc1, "a", "drop")];
        Assert.True(NftNetlink.TryEncode("lb", ops, 7, buffer, out var length, out _));
        var seen = new List<(ushort Type, uint Seq, ushort Flags)>();
        var span = buffer.AsSpan(0, length);
        while (span.Length > 0)
        {
            var len = (int)BinaryPrimitives.ReadUInt32LittleEndian(span);
            seen.Add((BinaryPrimitives.ReadUInt16LittleEndian(span[4..]), BinaryPrimitives.ReadUInt32LittleEndian(span[8..]), BinaryPrimitives.ReadUInt16LittleEndian(span[6..])));
            span = span[len..];
        }
        Assert.Equal([(NftNetlink.NFNL_MSG_BATCH_BEGIN, 7u), ((ushort)0x0a03, 8u), ((ushort)0x0a06, 9u), (NftNetlink.NFNL_MSG_BATCH_END, 10u)],
            seen.Select(s => (s.Type, s.Seq)).ToArray());
        Assert.All(seen.Skip(1).Take(2), s => Assert.Equal(NftNetlink.NLM_F_ACK, s.Flags & NftNetlink.NLM_F_ACK));
        // resource id of the batch = NFNL_SUBSYS_NFTABLES, big-endian
        Assert.Equal(NftNetlink.NFNL_SUBSYS_NFTABLES, BinaryPrimitives.ReadUInt16BigEndian(buffer.AsSpan(18)));
    }

    [Fact]
    public void TooSmallBuffer_FailsWithoutThrowing_AndNamesNothing()
    {
        Assert.False(NftNetlink.TryEncode("lb", [new(NftOpKind.AddRule, Svc1, "a", "meta l4proto tcp dnat ip to 10.1.0.1:8080")], 1, new byte[64], out var length, out var unsupported));
        Assert.Equal(0, length);
        Assert.Null(unsupported);
    }

    [Theory]
    [InlineData("update @aff-x { ip saddr }")]
    [InlineData("jhash ip saddr . th sport mod 251 seed 0x1 offset 0 vmap @pick")]
    [InlineData("ip saddr 2001:db8::1 drop")]
    [InlineData("meta l4proto icmp drop")]
    [InlineData("goto")]
    [InlineData("dnat ip to 10.1.0.1")]
    public void RulesOutsideTheGrammar_AreNotCovered(string rule)
    {
        Assert.False(NftNetlink.Covers(new NftOp(NftOpKind.AddRule, Svc1, "c", rule), out var why));
        Assert.Contains(rule, why);
        Assert.False(NftNetlink.TryEncode("lb", [new(NftOpKind.AddRule, Svc1, "c", rule)], 1, new byte[4096], out _, out var unsupported));
        Assert.NotNull(unsupported);
    }

    [Fact]
    public void AffinitySetsAndForeignRules_AreNotCovered_ShapesRingsPairsAndRangesAre()
    {
        Assert.True(NftNetlink.Covers(new NftOp(NftOpKind.AddElements, Svc1, "cep4-tcp", Elements: [new("cep4-tcp", "203.0.113.1 . 80 . 2", "10.1.0.1 . 8080")]), out _));
        Assert.True(NftNetlink.Covers(new NftOp(NftOpKind.AddElements, Svc1, "lep6-udp", Elements: [new("lep6-udp", "2001:db8::1 . 53 . 0", "fd00::1 . 53")]), out _));
        Assert.False(NftNetlink.Covers(new NftOp(NftOpKind.AddElements, Svc1, "cep4-tcp", Elements: [new("cep4-tcp", "203.0.113.1 . 80 . 2", "10.1.0.1")]), out _));
        Assert.True(NftNetlink.Covers(new NftOp(NftOpKind.AddElements, Svc1, "hp4", Elements: [new("hp4", "10.1.0.1 . 10.1.0.1", null)]), out _));
        Assert.False(NftNetlink.Covers(new NftOp(NftOpKind.AddElements, Svc1, "hp4", Elements: [new("hp4", "10.1.0.1 . fd00::1", null)]), out _));
        Assert.True(NftNetlink.Covers(new NftOp(NftOpKind.AddElements, Svc1, "c4tn3", Elements: [new("c4tn3", "203.0.113.1 . tcp . 80", null)]), out _));
        Assert.True(NftNetlink.Covers(new NftOp(NftOpKind.AddSet, Svc1, "c4tn3", "type ipv4_addr . inet_proto . inet_service;"), out _));
        Assert.False(NftNetlink.Covers(new NftOp(NftOpKind.AddSet, Svc1, "c4tn3", "type ipv6_addr . inet_proto . inet_service;"), out _));
        Assert.False(NftNetlink.Covers(new NftOp(NftOpKind.AddRule, Svc1, "clu4",
            "ip daddr . meta l4proto . th dport @c4tn3 meta l4proto tcp dnat ip to ip daddr . tcp dport . numgen random mod 4 map @cep4-tcp"), out _));
        Assert.True(NftNetlink.Covers(new NftOp(NftOpKind.AddElements, Svc1, "allow4", Elements: [new("allow4", "203.0.113.1 . tcp . 80 . 192.0.2.0/24", null)]), out _));
        Assert.False(NftNetlink.Covers(new NftOp(NftOpKind.AddElements, Svc1, "allow4", Elements: [new("allow4", "203.0.113.1 . tcp . 80 . 2001:db8::/64", null)]), out _));
        Assert.False(NftNetlink.Covers(new NftOp(NftOpKind.AddElements, Svc1, "fw4", Elements: [new("fw4", "203.0.113.1 . tcp . 80 . 192.0.2.0/24", null)]), out _));
        Assert.False(NftNetlink.Covers(new NftOp(NftOpKind.AddElements, Svc1, "pick", Elements: [new("pick", "0", "goto x")]), out _));
        Assert.False(NftNetlink.Covers(new NftOp(NftOpKind.AddSet, Svc1, "aff-x", "type ipv4_addr;"), out _));
        Assert.True(NftNetlink.Covers(new NftOp(NftOpKind.AddElements, Svc1, "fw4", Elements: [new("fw4", "203.0.113.1 . tcp . 80", null)]), out _));
    }

    [Fact]
    public void EveryIncrementalOp_OfACommonService_IsCovered()
    {
        // Cluster and Local, v4 and v6, TCP and UDP, random choice and consistent hashing: once their endpoint-choice
        // shapes exist (other Services of the same shapes), a Service arriving, changing and leaving is netlink only.
        static DataPlaneService[] Services(string prefix, int octet) => [
            Svc(prefix + "a", [$"203.0.{octet}.10", $"2001:db8:{octet}::10"], [Ep("10.1.0.1"), Ep("10.2.0.1", "n2"), Ep("fd00:10::1"), Ep("fd00:10::2", "n2")]),
            Svc(prefix + "b", [$"203.0.{octet}.11"], [Ep("10.1.0.2"), Ep("10.1.0.3"), Ep("10.2.0.3", "n2")], etp: TrafficPolicy.Local,
                ports: [new ServicePortSpec("http", "UDP", 53)]),
            Svc(prefix + "c", [$"203.0.{octet}.12"], [Ep("10.2.0.9", "n2")], etp: TrafficPolicy.Local, itp: TrafficPolicy.Local),
            Svc(prefix + "d", [$"203.0.{octet}.13"], []),
            Svc(prefix + "e", [$"203.0.{octet}.14"], [Ep("10.1.0.5"), Ep("10.2.0.5", "n2")]) with { LoadBalancing = LoadBalancingMode.ConsistentHash },
        ];
        var holders = Services("x", 113);
        var before = NftRenderer.Render(Snapshot(holders), NftRendererGoldenTests.Options);
        var after = NftRenderer.Render(Snapshot([.. holders, .. Services("", 114)]), NftRendererGoldenTests.Options, before);
        var tx = NftDiff.Incremental(before, after)!;
        Assert.Equal(5, tx.ChangedServices);
        string? why = null;
        Assert.All(tx.Phases(), p => Assert.True(NftNetlinkWriter.Covers(p.Ops, out why), why));
        var back = NftDiff.Incremental(after, NftRenderer.Render(Snapshot(holders), NftRendererGoldenTests.Options, after))!;
        Assert.All(back.Phases(), p => Assert.True(NftNetlinkWriter.Covers(p.Ops, out why), why));
        // The first Service of a shape adds a set and rewrites a rule chain: netlink too.
        var first = NftDiff.Incremental(NftRenderer.Render(Snapshot(), NftRendererGoldenTests.Options), before)!;
        Assert.True(first.ChangesShapes);
        Assert.All(first.Phases(), p => Assert.True(NftNetlinkWriter.Covers(p.Ops, out why), why));
    }

    [Fact]
    public void Answers_AreReadPerSequence_AndGarbageIsIgnored()
    {
        var d = new byte[2 * 36 + 5];
        for (var i = 0; i < 2; i++)
        {
            var m = d.AsSpan(i * 36);
            BinaryPrimitives.WriteUInt32LittleEndian(m, 36);
            BinaryPrimitives.WriteUInt16LittleEndian(m[4..], NftNetlink.NLMSG_ERROR);
            BinaryPrimitives.WriteInt32LittleEndian(m[16..], i == 0 ? 0 : -2);
            BinaryPrimitives.WriteUInt32LittleEndian(m[28..], 40u + (uint)i);
        }
        var answers = new List<(uint, int)>();
        NftNetlink.ParseAnswers(d, answers);
        Assert.Equal([(40u, 0), (41u, -2)], answers);
        answers.Clear();
        NftNetlink.ParseAnswers(new byte[] { 200, 0, 0, 0, 2, 0 }, answers);
        NftNetlink.ParseAnswers(new byte[20], answers);
        Assert.Empty(answers);
    }
}

public class StaleFlowTests
{
    [Fact]
    public void RemovedUdpEndpoint_IsStale_TcpAndKeptOnesAreNot()
    {
        var ports = new[] { new ServicePortSpec("http", "UDP", 53), new ServicePortSpec("tcp", "TCP", 53) };
        static EndpointSpec E(string ip) => Ep(ip) with { PortsByName = System.Collections.Immutable.ImmutableDictionary<string, int>.Empty.Add("http", 5353).Add("tcp", 5353) };
        var a = NftRenderer.Render(Snapshot(Svc("dns", ["203.0.113.10"], [E("10.1.0.1"), E("10.1.0.2")], ports: ports)), NftRendererGoldenTests.Options);
        var b = NftRenderer.Render(Snapshot(Svc("dns", ["203.0.113.10"], [E("10.1.0.2"), E("10.1.0.3")], ports: ports)), NftRendererGoldenTests.Options, a);
        var stale = StaleFlows.Find(a, b);
        var s = Assert.Single(stale);
        Assert.Equal(("udp", IPAddress.Parse("203.0.113.10"), 53, new IPEndPoint(IPAddress.Parse("10.1.0.1"), 5353)), (s.Proto, s.Vip, s.Port, s.Endpoint));
        Assert.Equal(["-D", "-f", "ipv4", "-p", "udp", "--orig-dst", "203.0.113.10", "--orig-port-dst", "53", "--reply-src", "10.1.0.1", "--reply-port-src", "5353"],
            ConntrackCliFlusher.Arguments(s));

        // The Service gone: both its UDP endpoints are stale; nothing applied before: nothing is.
        var gone = StaleFlows.Find(b, NftRenderer.Render(Snapshot(), NftRendererGoldenTests.Options, b));
        Assert.Equal(["10.1.0.2:5353", "10.1.0.3:5353"], gone.Select(f => f.Endpoint.ToString()).Order());
        Assert.Empty(StaleFlows.Find(null, b));
        Assert.Empty(StaleFlows.Find(b, NftRenderer.Render(Snapshot(Svc("dns", ["203.0.113.10"], [E("10.1.0.2"), E("10.1.0.3")], ports: ports)), NftRendererGoldenTests.Options, b)));
    }
}
