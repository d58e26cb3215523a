using System.Buffers;
using System.Collections.Immutable;
using System.Net;
using LoadBalancer.Proto.Bgp;

namespace LoadBalancer.Proto.Tests.Bgp;

/// <summary>Prefixes with equal attributes share UPDATEs up to the message size; withdrawals are batched the same way.</summary>
public sealed class BgpUpdatePackerTests
{
    private static readonly BgpPathAttributes Attrs = new()
    {
        Origin = BgpOrigin.Igp,
        AsPath = [new AsPathSegment(AsPathSegmentType.AsSequence, [64513])],
        Communities = [(64513u << 16) | 100],
        LargeCommunities = [new LargeCommunity(64513, 1, 2)],
    };

    private static IPNetwork[] V4(int n) => [.. Enumerable.Range(0, n).Select(i => new IPNetwork(new IPAddress(new byte[] { 203, 0, (byte)(i >> 8), (byte)i }), 32))];

    private static IPNetwork[] V6(int n) => [.. Enumerable.Range(0, n).Select(i => new IPNetwork(IPAddress.Parse($"2001:db8:100::{i:x}"), 128))];

    private static List<BgpUpdate> Split(ReadOnlySpan<byte> bytes, BgpDecodeContext ctx)
    {
        var result = new List<BgpUpdate>();
        while (!bytes.IsEmpty)
        {
            Assert.Equal(OperationStatus.Done, BgpFraming.TryReadMessage(bytes, ctx.MaxMessageLength, out var type, out var length, out _));
            Assert.Equal(BgpMessageType.Update, type);
            Assert.True(length <= ctx.MaxMessageLength);
            Assert.Equal(BgpUpdateStatus.Ok, BgpUpdate.TryDecode(bytes[19..length], ctx, out var u, out var e));
            Assert.Null(e);
            result.Add(u);
            bytes = bytes[length..];
        }
        return result;
    }

    [Theory]
    [InlineData(false, 4)]
    [InlineData(true, 1)]
    public void Ipv4_ThousandsOfPrefixes_FillMessages(bool extended, int expectedMessages)
    {
        var ctx = new BgpDecodeContext(true, extended);
        var writer = new ArrayBufferWriter<byte>();
        var prefixes = V4(3000);
        var count = BgpUpdatePacker.WriteAnnouncements(writer, Attrs, IPAddress.Parse("192.0.2.11"), null, prefixes, ctx);
        // 3000 /32s take 15000 octets of NLRI: 4 messages of 4096, or one extended message.
        Assert.Equal(expectedMessages, count);
        var updates = Split(writer.WrittenSpan, ctx);
        Assert.Equal(prefixes, updates.SelectMany(u => u.Nlri).ToArray());
        Assert.All(updates, u => Assert.Equal(Attrs with { NextHop = IPAddress.Parse("192.0.2.11") }, u.Attributes));
    }

    [Fact]
    public void Ipv6_UsesOneMpReachPerMessage_First()
    {
        var ctx = BgpDecodeContext.Modern;
        var writer = new ArrayBufferWriter<byte>();
        var prefixes = V6(500);
        var count = BgpUpdatePacker.WriteAnnouncements(writer, Attrs with { LocalPref = 200 }, IPAddress.Parse("2001:db8::11"), null, prefixes, ctx);
        var updates = Split(writer.WrittenSpan, ctx);
        Assert.Equal(count, updates.Count);
        Assert.Equal(prefixes, updates.SelectMany(u => u.Attributes.MpReach!.Nlri).ToArray());
        Assert.All(updates, u => Assert.Equal(IPAddress.Parse("2001:db8::11"), u.Attributes.MpReach!.NextHop));
        Assert.All(updates, u => Assert.Equal(200u, u.Attributes.LocalPref));
        Assert.Equal((byte)BgpAttributeType.MpReachNlri, writer.WrittenSpan[24]); // RFC 7606 §5.1: first attribute
        Assert.Equal(3, count); // 500 x 17 octets in messages of 4096
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Withdrawals_AreBatched(bool v6)
    {
        var ctx = BgpDecodeContext.Modern;
        var writer = new ArrayBufferWriter<byte>();
        var prefixes = v6 ? V6(1000) : V4(1000);
        var count = BgpUpdatePacker.WriteWithdrawals(writer, prefixes, ctx);
        var updates = Split(writer.WrittenSpan, ctx);
        Assert.Equal(count, updates.Count);
        Assert.True(count <= (v6 ? 5 : 2), $"{count} messages");
        Assert.Equal(prefixes, updates.SelectMany(u => u.AllWithdrawn).ToArray());
        Assert.All(updates, u => Assert.Empty(u.AllAnnounced));
    }

    [Fact]
    public void Nothing_WritesNothing()
    {
        var writer = new ArrayBufferWriter<byte>();
        Assert.Equal(0, BgpUpdatePacker.WriteAnnouncements(writer, Attrs, IPAddress.Loopback, null, ReadOnlySpan<IPNetwork>.Empty, BgpDecodeContext.Modern));
        Assert.Equal(0, BgpUpdatePacker.WriteWithdrawals(writer, ReadOnlySpan<IPNetwork>.Empty, BgpDecodeContext.Modern));
        Assert.Equal(0, writer.WrittenCount);
        _ = ImmutableArray<int>.Empty;
    }
}
