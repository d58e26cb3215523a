using System.Buffers;
using System.Net;
using LoadBalancer.Proto.Arp;
using LoadBalancer.Proto.Ethernet;
using LoadBalancer.Proto.Primitives;
using LoadBalancer.Proto.Tests.Ethernet;

namespace LoadBalancer.Proto.Tests.Arp;

public class ArpPacketTests
{
    private static readonly MacAddress A = MacAddress.Parse("02:00:00:00:00:0a");
    private static readonly MacAddress B = MacAddress.Parse("02:00:00:00:00:0b");
    private static uint Ip(string s) => IpAddressBits.ToUInt32(IPAddress.Parse(s));

    public sealed record Case(string Name, ArpPacket Packet)
    {
        public override string ToString() => Name;
    }

    public static TheoryData<Case> Cases() => new()
    {
        new Case("request", new ArpPacket(ArpOperation.Request, A, Ip("192.0.2.10"), MacAddress.Zero, Ip("192.0.2.11"))),
        new Case("reply", new ArpPacket(ArpOperation.Reply, B, Ip("192.0.2.11"), A, Ip("192.0.2.10"))),
        new Case("probe", ArpPacket.Probe(A, Ip("192.0.2.200"))),
        new Case("gratuitous", new ArpPacket(ArpOperation.Reply, A, Ip("192.0.2.200"), MacAddress.Broadcast, Ip("192.0.2.200"))),
        new Case("all-ones", new ArpPacket(ArpOperation.Reply, MacAddress.Broadcast, uint.MaxValue, MacAddress.Broadcast, uint.MaxValue)),
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void RoundTrip(Case c)
    {
        var bytes = c.Packet.ToArray();
        Assert.Equal(OperationStatus.Done, ArpPacket.TryRead(bytes, out var read, out var consumed));
        Assert.Equal(c.Packet, read);
        Assert.Equal(ArpPacket.Length, consumed);
        Assert.True(ArpFrame.TryWrite(new byte[ArpFrame.UntaggedLength], MacAddress.Broadcast, A, c.Packet, out var n));
        Assert.Equal(42, n);
    }

    [Fact]
    public void Golden_ArpingRequest()
    {
        var frame = L2Fixtures.Load("arp-request-arping");
        Assert.Equal(OperationStatus.Done, ArpFrame.TryRead(frame, out var eth, out var arp));
        Assert.Equal(new ArpPacket(ArpOperation.Request, A, Ip("192.0.2.10"), MacAddress.Zero, Ip("192.0.2.11")), arp);
        Assert.False(arp.IsGratuitous);
        var built = new byte[ArpFrame.UntaggedLength];
        Assert.True(ArpFrame.TryWrite(built, eth.Destination, eth.Source, arp, out _));
        Assert.Equal(frame[..42], built); // arping pads to 58 with zeros; the first 42 bytes are the frame.
    }

    [Fact]
    public void Golden_KernelReply_ByteExact()
    {
        var frame = L2Fixtures.Load("arp-reply-kernel");
        Assert.Equal(OperationStatus.Done, ArpFrame.TryRead(frame, out var eth, out var arp));
        Assert.Equal(new ArpPacket(ArpOperation.Reply, B, Ip("192.0.2.11"), A, Ip("192.0.2.10")), arp);
        var built = new byte[ArpFrame.UntaggedLength];
        Assert.True(ArpFrame.TryWrite(built, A, B, arp, out _));
        Assert.Equal(frame, built);
        Assert.Equal(eth.Destination, A);
    }

    [Fact]
    public void Golden_ArpingGratuitous()
    {
        Assert.Equal(OperationStatus.Done, ArpFrame.TryRead(L2Fixtures.Load("arp-gratuitous-arping"), out _, out var arp));
        Assert.True(arp.IsGratuitous);
        Assert.Equal(MacAddress.Broadcast, arp.TargetHardware);
    }

    [Fact]
    public void Golden_VlanTagged()
    {
        Assert.Equal(OperationStatus.Done, ArpFrame.TryRead(L2Fixtures.Load("arp-request-vlan100"), out var eth, out var arp));
        Assert.Equal((ushort)100, eth.Tag!.Value.Id);
        Assert.Equal(Ip("192.0.2.11"), arp.TargetIp);
    }

    [Fact]
    public void Truncation_EveryPrefix_NeverDone()
    {
        var frame = L2Fixtures.Load("arp-reply-kernel");
        for (var n = 0; n < frame.Length; n++)
        {
            var status = ArpFrame.TryRead(frame.AsSpan(0, n), out _, out _);
            Assert.True(status is OperationStatus.NeedMoreData or OperationStatus.InvalidData, $"prefix {n}: {status}");
        }
        var packet = frame[14..];
        for (var n = 0; n < packet.Length; n++)
            Assert.Equal(OperationStatus.NeedMoreData, ArpPacket.TryRead(packet.AsSpan(0, n), out _, out _));
    }

    [Theory]
    [InlineData("0006080006040001")] // hardware type IEEE 802 (6)
    [InlineData("000186dd06040001")] // protocol IPv6
    [InlineData("0001080006100001")] // protocol length 16
    [InlineData("0001080006040003")] // RARP request opcode
    public void Rejects_OtherTypes(string headerHex)
    {
        var bytes = new byte[28];
        Convert.FromHexString(headerHex).CopyTo(bytes, 0);
        Assert.Equal(OperationStatus.InvalidData, ArpPacket.TryRead(bytes, out _, out _));
    }

    [Fact]
    public void Rejects_NonArpEtherType()
        => Assert.Equal(OperationStatus.InvalidData, ArpFrame.TryRead(L2Fixtures.Load("ndp-ns-ndisc6"), out _, out _));

    [Fact]
    [Trait("Category", "Fuzz")]
    public void Fuzz_NeverThrows_AndAcceptedReencodes()
    {
        byte[][] seeds = [L2Fixtures.Load("arp-request-arping"), L2Fixtures.Load("arp-reply-kernel"), L2Fixtures.Load("arp-gratuitous-arping"), L2Fixtures.Load("arp-request-vlan100")];
        MutationFuzz.Run(6002, seeds, input =>
        {
            if (ArpFrame.TryRead(input, out var eth, out var arp) != OperationStatus.Done) return;
            var offset = eth.GetEncodedLength();
            Assert.Equal(input.AsSpan(offset, ArpPacket.Length).ToArray(), arp.ToArray());
            Assert.Equal(OperationStatus.Done, ArpPacket.TryRead(arp.ToArray(), out var again, out _));
            Assert.Equal(arp, again);
        });
    }
}
