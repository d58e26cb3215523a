using System.Buffers;
using LoadBalancer.Proto.Ethernet;
using LoadBalancer.Proto.Primitives;

namespace LoadBalancer.Proto.Tests.Ethernet;

public class EthernetHeaderTests
{
    public static TheoryData<string> Headers() => new()
    {
        "untagged-arp", "tagged-vid100", "tagged-pcp7-dei", "ipv6",
    };

    private static EthernetHeader Header(string name) => name switch
    {
        "untagged-arp" => new(MacAddress.Broadcast, MacAddress.Parse("02:00:00:00:00:0a"), EtherType.Arp),
        "tagged-vid100" => new(MacAddress.Broadcast, MacAddress.Parse("02:00:00:00:00:0a"), EtherType.Arp, new VlanTag(0, false, 100)),
        "tagged-pcp7-dei" => new(MacAddress.Parse("02:00:00:00:00:0b"), MacAddress.Parse("02:00:00:00:00:0a"), EtherType.IPv6, new VlanTag(7, true, 4094)),
        _ => new(MacAddress.Parse("33:33:ff:00:00:0b"), MacAddress.Parse("02:00:00:00:00:0a"), EtherType.IPv6),
    };

    [Theory]
    [MemberData(nameof(Headers))]
    public void RoundTrip(string name)
    {
        var header = Header(name);
        var bytes = header.ToArray();
        Assert.Equal(OperationStatus.Done, EthernetHeader.TryRead(bytes, out var read, out var consumed));
        Assert.Equal(header, read);
        Assert.Equal(bytes.Length, consumed);
    }

    [Fact]
    public void Golden_ArpingRequest()
    {
        var frame = L2Fixtures.Load("arp-request-arping");
        Assert.Equal(OperationStatus.Done, EthernetHeader.TryRead(frame, out var header, out var consumed));
        Assert.Equal(new EthernetHeader(MacAddress.Broadcast, MacAddress.Parse("02:00:00:00:00:0a"), EtherType.Arp), header);
        Assert.Equal(14, consumed);
        Assert.Equal(frame[..14], header.ToArray());
    }

    [Fact]
    public void Golden_VlanTagged()
    {
        var frame = L2Fixtures.Load("arp-request-vlan100");
        Assert.Equal(OperationStatus.Done, EthernetHeader.TryRead(frame, out var header, out var consumed));
        Assert.Equal(new VlanTag(0, false, 100), header.Tag);
        Assert.Equal(EtherType.Arp, header.EtherType);
        Assert.Equal(18, consumed);
        Assert.Equal(frame[..18], header.ToArray());
    }

    [Fact]
    public void Truncation_EveryPrefix_NeverDone()
    {
        var frame = L2Fixtures.Load("arp-request-vlan100");
        for (var n = 0; n < 18; n++)
            Assert.Equal(OperationStatus.NeedMoreData, EthernetHeader.TryRead(frame.AsSpan(0, n), out _, out _));
    }

    [Theory]
    [InlineData("ffffffffffff02000000000a0040")] // 802.3 length field, not an EtherType
    [InlineData("ffffffffffff02000000000a810000648100")] // stacked 802.1Q
    [InlineData("ffffffffffff02000000000a88a8")] // QinQ S-tag
    public void Rejects_Unsupported(string hex)
        => Assert.Equal(OperationStatus.InvalidData, EthernetHeader.TryRead(Convert.FromHexString(hex), out _, out _));

    [Fact]
    public void TryWrite_TooSmall_ReturnsFalse()
        => Assert.False(Header("tagged-vid100").TryWrite(new byte[17], out _));

    [Fact]
    [Trait("Category", "Fuzz")]
    public void Fuzz_NeverThrows_AndAcceptedReencodes()
    {
        byte[][] seeds = [L2Fixtures.Load("arp-request-arping"), L2Fixtures.Load("arp-request-vlan100"), L2Fixtures.Load("ndp-ns-ndisc6")];
        MutationFuzz.Run(6001, seeds, input =>
        {
            if (EthernetHeader.TryRead(input, out var header, out var consumed) != OperationStatus.Done) return;
            Assert.Equal(input.AsSpan(0, consumed).ToArray(), header.ToArray());
        });
    }
}
