using System.Collections.Immutable;
using System.Net;
using LoadBalancer.Proto.Bgp;

namespace LoadBalancer.Proto.Tests.Bgp;

/// <summary>Synthetic messages that together use every field the codecs know, plus helpers to build raw bodies.</summary>
internal static class BgpSamples
{
    public static BgpOpen FullOpen => BgpOpen.Create(4200000001, 90, 0xC0000201,
    [
        new MultiprotocolCapability(BgpAfi.IPv4, BgpSafi.Unicast),
        new MultiprotocolCapability(BgpAfi.IPv6, BgpSafi.Unicast),
        new RouteRefreshCapability(),
        new ExtendedMessageCapability(),
        new GracefulRestartCapability(true, false, 120, [new(BgpAfi.IPv4, BgpSafi.Unicast, true), new(BgpAfi.IPv6, BgpSafi.Unicast, false)]),
        new UnknownCapability(73, [2, 0x76, 0x6d, 0]),
    ]);

    public static BgpPathAttributes FullAttributes => new()
    {
        Origin = BgpOrigin.Igp,
        AsPath = [new AsPathSegment(AsPathSegmentType.AsSequence, [64513, 4200000001]), new AsPathSegment(AsPathSegmentType.AsSet, [1, 2])],
        NextHop = IPAddress.Parse("192.0.2.11"),
        MultiExitDisc = 10,
        LocalPref = 200,
        AtomicAggregate = true,
        Aggregator = new BgpAggregator(64513, IPAddress.Parse("192.0.2.11")),
        Communities = [(64513u << 16) | 100, 0xFFFFFF01],
        ExtendedCommunities = [0x0002FC0100000005UL],
        LargeCommunities = [new LargeCommunity(64513, 1, 2), new LargeCommunity(4200000001, 3, 4)],
        MpReach = new BgpMpReach(BgpAfi.IPv6, BgpSafi.Unicast, IPAddress.Parse("2001:db8::11"), IPAddress.Parse("fe80::1"),
            [IPNetwork.Parse("2001:db8:100::10/128"), IPNetwork.Parse("2001:db8:200::/48")]),
        MpUnreach = new BgpMpUnreach(BgpAfi.IPv6, BgpSafi.Unicast, [IPNetwork.Parse("2001:db8:300::/64")]),
        Other = [new BgpRawAttribute(BgpAttributeFlags.Optional | BgpAttributeFlags.Transitive, 99, [1, 2, 3])],
    };

    public static BgpUpdate FullUpdate => new([IPNetwork.Parse("198.51.100.0/24"), IPNetwork.Parse("0.0.0.0/0")], FullAttributes,
        [IPNetwork.Parse("203.0.113.10/32"), IPNetwork.Parse("203.0.113.128/25")]);

    /// <summary>Every sample as a whole message (header included), named.</summary>
    public static IEnumerable<(string Name, byte[] Bytes)> AllMessages()
    {
        foreach (var (name, bytes) in BgpCaptures.All) yield return (name, bytes);
        yield return ("full-open", FullOpen.ToArray());
        yield return ("full-update-4", FullUpdate.ToArray(BgpDecodeContext.Modern));
        yield return ("full-update-2", FullUpdate.ToArray(new BgpDecodeContext(false)));
        yield return ("shutdown", BgpNotification.Shutdown("maintenance: node drained").ToArray());
        yield return ("route-refresh", RouteRefresh(new BgpRouteRefresh(BgpAfi.IPv6, 0, BgpSafi.Unicast)));
        yield return ("keepalive", BgpFraming.Keepalive());
    }

    public static byte[] RouteRefresh(BgpRouteRefresh r)
    {
        var b = new byte[23];
        r.TryWrite(b, out _);
        return b;
    }

    public static byte[] Attr(byte flags, byte type, params byte[] value) => [flags, type, (byte)value.Length, .. value];

    public static readonly byte[] Origin = Attr(0x40, 1, 0);
    public static readonly byte[] AsPath = Attr(0x40, 2, 2, 1, 0, 0, 0xFC, 0x01);
    public static readonly byte[] NextHop = Attr(0x40, 3, 192, 0, 2, 11);
    public static readonly byte[] Nlri = [32, 203, 0, 113, 10];

    /// <summary>An UPDATE body: withdrawn routes, attributes, NLRI.</summary>
    public static byte[] UpdateBody(byte[] withdrawn, byte[] attributes, byte[] nlri)
        => [(byte)(withdrawn.Length >> 8), (byte)withdrawn.Length, .. withdrawn, (byte)(attributes.Length >> 8), (byte)attributes.Length, .. attributes, .. nlri];

    public static byte[] Concat(params byte[][] parts) => [.. parts.SelectMany(p => p)];

    public static ImmutableArray<T> Arr<T>(params T[] items) => [.. items];
}
