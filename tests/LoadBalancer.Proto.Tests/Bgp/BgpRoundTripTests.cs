using System.Buffers;
using System.Collections.Immutable;
using System.Net;
using LoadBalancer.Proto.Bgp;

namespace LoadBalancer.Proto.Tests.Bgp;

/// <summary>Encode then decode gives back the same message, for hand-picked and for seeded random messages.</summary>
public sealed class BgpRoundTripTests
{
    [Fact]
    public void FullOpen_RoundTrips()
    {
        var open = BgpSamples.FullOpen;
        Assert.Equal(BgpConstants.AsTrans, open.MyAutonomousSystem);
        Assert.True(BgpOpen.TryDecode(open.ToArray().AsSpan(19), out var back, out _));
        Assert.Equal(open, back);
        Assert.Equal(4200000001u, back!.Asn);
        Assert.True(back.Find<GracefulRestartCapability>()!.Restarting);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void FullUpdate_RoundTrips(bool fourOctet)
    {
        var ctx = new BgpDecodeContext(fourOctet);
        var bytes = BgpSamples.FullUpdate.ToArray(ctx);
        Assert.Equal(BgpUpdateStatus.Ok, BgpUpdate.TryDecode(bytes.AsSpan(19), ctx, out var back, out var error));
        Assert.Equal(BgpSamples.FullUpdate.Nlri.ToArray(), back.Nlri.ToArray());
        Assert.Equal(BgpSamples.FullUpdate.Withdrawn.ToArray(), back.Withdrawn.ToArray());
        if (fourOctet)
        {
            Assert.Null(error);
            Assert.Equal(BgpSamples.FullAttributes, back.Attributes);
        }
        else
        {
            // RFC 6793: a 2-octet session carries AS_TRANS in AS_PATH and the real path in AS4_PATH.
            Assert.Equal(new uint[] { 64513, BgpConstants.AsTrans }, back.Attributes.AsPath!.Value[0].Asns.ToArray());
            Assert.Equal(new uint[] { 64513, 4200000001 }, back.Attributes.As4Path!.Value[0].Asns.ToArray());
        }
    }

    [Fact]
    public void RouteRefresh_RoundTrips()
    {
        var bytes = BgpSamples.RouteRefresh(new BgpRouteRefresh(BgpAfi.IPv6, 1, BgpSafi.Unicast));
        Assert.Equal(OperationStatus.Done, BgpFraming.TryReadMessage(bytes, 4096, out var type, out _, out _));
        Assert.Equal(BgpMessageType.RouteRefresh, type);
        Assert.True(BgpRouteRefresh.TryDecode(bytes.AsSpan(19), out var back));
        Assert.Equal(new BgpRouteRefresh(BgpAfi.IPv6, 1, BgpSafi.Unicast), back);
    }

    [Fact]
    public void RandomUpdates_RoundTrip()
    {
        var random = new Random(42);
        for (var i = 0; i < 2000; i++)
        {
            var update = RandomUpdate(random);
            var ctx = BgpDecodeContext.Modern with { ExtendedMessages = true };
            var bytes = update.ToArray(ctx);
            var status = BgpUpdate.TryDecode(bytes.AsSpan(19), ctx, out var back, out var error);
            Assert.True(status == BgpUpdateStatus.Ok && error is null, $"case {i}: {status} {error}");
            Assert.Equal(update.Attributes, back.Attributes);
            Assert.Equal(update.Nlri.ToArray(), back.Nlri.ToArray());
            Assert.Equal(update.Withdrawn.ToArray(), back.Withdrawn.ToArray());
        }
    }

    private static IPNetwork RandomPrefix(Random r, bool v6)
    {
        var bytes = new byte[v6 ? 16 : 4];
        r.NextBytes(bytes);
        var bits = r.Next(bytes.Length * 8 + 1);
        for (var b = 0; b < bytes.Length * 8; b++)
            if (b >= bits) bytes[b / 8] &= (byte)~(0x80 >> (b % 8));
        return new IPNetwork(new IPAddress(bytes), bits);
    }

    private static ImmutableArray<T> Some<T>(Random r, int max, Func<T> make) => [.. Enumerable.Range(0, r.Next(max + 1)).Select(_ => make())];

    private static BgpUpdate RandomUpdate(Random r)
    {
        var path = Some(r, 3, () => new AsPathSegment((AsPathSegmentType)r.Next(1, 5), [.. Enumerable.Range(0, r.Next(1, 20)).Select(_ => (uint)r.NextInt64(uint.MaxValue))]));
        var attrs = new BgpPathAttributes
        {
            Origin = (BgpOrigin)r.Next(3),
            AsPath = path,
            NextHop = new IPAddress(r.NextInt64(uint.MaxValue)),
            MultiExitDisc = r.Next(2) == 0 ? null : (uint)r.NextInt64(uint.MaxValue),
            LocalPref = r.Next(2) == 0 ? null : (uint)r.NextInt64(uint.MaxValue),
            AtomicAggregate = r.Next(2) == 0,
            Aggregator = r.Next(2) == 0 ? null : new BgpAggregator((uint)r.NextInt64(uint.MaxValue), new IPAddress(r.NextInt64(uint.MaxValue))),
            Communities = Some(r, 80, () => (uint)r.NextInt64(uint.MaxValue)),
            ExtendedCommunities = Some(r, 5, () => (ulong)r.NextInt64()),
            LargeCommunities = Some(r, 30, () => new LargeCommunity((uint)r.Next(), (uint)r.Next(), (uint)r.Next())),
            MpReach = r.Next(2) == 0 ? null : new BgpMpReach(BgpAfi.IPv6, BgpSafi.Unicast, IPAddress.Parse("2001:db8::1"), r.Next(2) == 0 ? null : IPAddress.Parse("fe80::1"), Some(r, 50, () => RandomPrefix(r, true))),
            MpUnreach = r.Next(2) == 0 ? null : new BgpMpUnreach(BgpAfi.IPv6, BgpSafi.Unicast, Some(r, 50, () => RandomPrefix(r, true))),
            Other = r.Next(2) == 0 ? [] : [new BgpRawAttribute(BgpAttributeFlags.Optional | BgpAttributeFlags.Transitive, (byte)r.Next(33, 250), Some(r, 300, () => (byte)r.Next(256)))],
        };
        return new BgpUpdate(Some(r, 50, () => RandomPrefix(r, false)), attrs, Some(r, 50, () => RandomPrefix(r, false)));
    }
}
