using System.Buffers;
using System.Net;
using LoadBalancer.Proto.Ethernet;
using LoadBalancer.Proto.Ip;
using LoadBalancer.Proto.Ndp;
using LoadBalancer.Proto.Primitives;
using LoadBalancer.Proto.Tests.Ethernet;

namespace LoadBalancer.Proto.Tests.Ndp;

public class NdpFrameTests
{
    private static readonly MacAddress A = MacAddress.Parse("02:00:00:00:00:0a");
    private static readonly MacAddress B = MacAddress.Parse("02:00:00:00:00:0b");
    private static UInt128 Ip(string s) => IpAddressBits.ToUInt128(IPAddress.Parse(s));

    public sealed record Case(string Name, NdpMessage Message)
    {
        public override string ToString() => Name;
    }

    public static TheoryData<Case> Cases() => new()
    {
        new Case("ns-with-sll", new NdpMessage(NdpMessageType.NeighborSolicitation, Ip("2001:db8::200"), SourceLinkLayer: A)),
        new Case("ns-dad", new NdpMessage(NdpMessageType.NeighborSolicitation, Ip("2001:db8::200"))),
        new Case("na-solicited", new NdpMessage(NdpMessageType.NeighborAdvertisement, Ip("2001:db8::200"), TargetLinkLayer: B, Solicited: true, Override: true)),
        new Case("na-unsolicited", new NdpMessage(NdpMessageType.NeighborAdvertisement, Ip("2001:db8::200"), TargetLinkLayer: B, Override: true)),
        new Case("na-router-both-options", new NdpMessage(NdpMessageType.NeighborAdvertisement, Ip("fe80::1"), A, B, Router: true)),
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void RoundTrip_Message(Case c)
    {
        var bytes = new byte[c.Message.GetEncodedLength()];
        Assert.True(c.Message.TryWrite(bytes, out var n));
        Assert.Equal(bytes.Length, n);
        Assert.Equal(OperationStatus.Done, NdpMessage.TryRead(bytes, out var read));
        Assert.Equal(c.Message, read);
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void RoundTrip_Frame_WithChecksum(Case c)
    {
        var bytes = new byte[NdpFrame.GetEncodedLength(c.Message, new VlanTag(0, false, 7))];
        Assert.True(NdpFrame.TryWrite(bytes, MacAddress.Broadcast, A, Ip("fe80::a"), Ip("ff02::1"), c.Message, out var n, new VlanTag(0, false, 7)));
        Assert.Equal(bytes.Length, n);
        Assert.Equal(OperationStatus.Done, NdpFrame.TryRead(bytes, out var eth, out var ip, out var read));
        Assert.Equal(c.Message, read);
        Assert.Equal(255, ip.HopLimit);
        Assert.Equal((ushort)7, eth.Tag!.Value.Id);
    }

    [Fact]
    public void Golden_Ndisc6Solicitation()
    {
        var frame = L2Fixtures.Load("ndp-ns-ndisc6");
        Assert.Equal(OperationStatus.Done, NdpFrame.TryRead(frame, out var eth, out var ip, out var ns));
        Assert.Equal(new NdpMessage(NdpMessageType.NeighborSolicitation, Ip("2001:db8::b"), SourceLinkLayer: A), ns);
        Assert.Equal(MacAddress.Parse("33:33:ff:00:00:0b"), eth.Destination);
        Assert.Equal(IpAddressBits.SolicitedNodeMulticast(Ip("2001:db8::b")), ip.Destination);
    }

    [Fact]
    public void Golden_KernelAdvertisement_ByteExact()
    {
        var frame = L2Fixtures.Load("ndp-na-kernel");
        Assert.Equal(OperationStatus.Done, NdpFrame.TryRead(frame, out _, out var ip, out var na));
        Assert.Equal(new NdpMessage(NdpMessageType.NeighborAdvertisement, Ip("2001:db8::b"), TargetLinkLayer: B, Solicited: true, Override: true), na);
        var built = new byte[frame.Length];
        Assert.True(NdpFrame.TryWrite(built, A, B, ip.Source, ip.Destination, na, out var n));
        Assert.Equal(frame.Length, n);
        Assert.Equal(frame, built); // including the kernel's checksum 0xba85
    }

    [Theory]
    [InlineData("icmpv6-rs-kernel")] // ICMPv6 type 133
    [InlineData("mld-report-kernel")] // Hop-by-Hop header first
    [InlineData("arp-reply-kernel")] // not IPv6
    public void Rejects_OtherPackets(string fixture)
        => Assert.Equal(OperationStatus.InvalidData, NdpFrame.TryRead(L2Fixtures.Load(fixture), out _, out _, out _));

    [Fact]
    public void Rejects_BadChecksum()
    {
        var frame = L2Fixtures.Load("ndp-ns-ndisc6");
        frame[^1] ^= 1;
        Assert.Equal(OperationStatus.InvalidData, NdpFrame.TryRead(frame, out _, out _, out _));
    }

    [Fact]
    public void Rejects_HopLimitBelow255()
    {
        var frame = L2Fixtures.Load("ndp-ns-ndisc6");
        frame[14 + 7] = 254;
        Assert.Equal(OperationStatus.InvalidData, NdpFrame.TryRead(frame, out _, out _, out _));
    }

    [Fact]
    public void Rejects_ZeroLengthOption()
    {
        var message = new NdpMessage(NdpMessageType.NeighborSolicitation, Ip("2001:db8::1"), SourceLinkLayer: A);
        var bytes = new byte[message.GetEncodedLength()];
        message.TryWrite(bytes, out _);
        bytes[25] = 0;
        Assert.Equal(OperationStatus.InvalidData, NdpMessage.TryRead(bytes, out _));
    }

    [Fact]
    public void UnknownOptions_AreSkipped()
    {
        // NS fixed part, then a nonce option (type 14, RFC 3971), then the source link-layer option.
        var message = new NdpMessage(NdpMessageType.NeighborSolicitation, Ip("2001:db8::1"), SourceLinkLayer: A);
        var bytes = new byte[24 + 8 + 8];
        new NdpMessage(NdpMessageType.NeighborSolicitation, Ip("2001:db8::1")).TryWrite(bytes, out _);
        bytes[24] = 14; bytes[25] = 1;
        bytes[32] = 1; bytes[33] = 1;
        A.TryWrite(bytes.AsSpan(34));
        Assert.Equal(OperationStatus.Done, NdpMessage.TryRead(bytes, out var read));
        Assert.Equal(message, read);
    }

    [Fact]
    public void Truncation_EveryPrefix_NeverDone()
    {
        foreach (var name in new[] { "ndp-ns-ndisc6", "ndp-na-kernel" })
        {
            var frame = L2Fixtures.Load(name);
            for (var n = 0; n < frame.Length; n++)
            {
                var status = NdpFrame.TryRead(frame.AsSpan(0, n), out _, out _, out _);
                Assert.True(status is OperationStatus.NeedMoreData or OperationStatus.InvalidData, $"{name} prefix {n}: {status}");
            }
            var icmp = frame[54..];
            // The ICMPv6 length comes from the IPv6 payload length: cut exactly after the fixed part it is a valid
            // message without options; every other cut is short.
            for (var n = 0; n < icmp.Length; n++)
                Assert.Equal(n == NdpMessage.FixedLength ? OperationStatus.Done : OperationStatus.NeedMoreData, NdpMessage.TryRead(icmp.AsSpan(0, n), out _));
        }
    }

    [Fact]
    [Trait("Category", "Fuzz")]
    public void Fuzz_NeverThrows_AndAcceptedReencodes()
    {
        byte[][] seeds = [L2Fixtures.Load("ndp-ns-ndisc6"), L2Fixtures.Load("ndp-na-kernel"), L2Fixtures.Load("icmpv6-rs-kernel")];
        MutationFuzz.Run(6004, seeds, input =>
        {
            if (NdpFrame.TryRead(input, out var eth, out var ip, out var message) != OperationStatus.Done) return;
            var bytes = new byte[NdpFrame.GetEncodedLength(message, eth.Tag)];
            Assert.True(NdpFrame.TryWrite(bytes, eth.Destination, eth.Source, ip.Source, ip.Destination, message, out _, eth.Tag));
            Assert.Equal(OperationStatus.Done, NdpFrame.TryRead(bytes, out _, out _, out var again));
            Assert.Equal(message, again);
        });
        // The bare message decoder sees mutated ICMPv6 bodies directly too (no checksum to hide behind).
        MutationFuzz.Run(6005, [L2Fixtures.Load("ndp-ns-ndisc6")[54..], L2Fixtures.Load("ndp-na-kernel")[54..]], input =>
        {
            if (NdpMessage.TryRead(input, out var message) != OperationStatus.Done) return;
            var bytes = new byte[message.GetEncodedLength()];
            message.TryWrite(bytes, out _);
            Assert.Equal(OperationStatus.Done, NdpMessage.TryRead(bytes, out var again));
            Assert.Equal(message, again);
        });
    }
}
