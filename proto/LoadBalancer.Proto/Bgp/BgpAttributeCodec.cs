using System.Buffers.Binary;
using System.Collections.Immutable;
using System.Net;

namespace LoadBalancer.Proto.Bgp;

/// <summary>Writes path attributes (RFC 4271 §4.3) into a span; sizes are computed first so nothing is built twice.</summary>
internal static class BgpAttributeCodec
{
    private const BgpAttributeFlags WellKnown = BgpAttributeFlags.Transitive;
    private const BgpAttributeFlags OptionalTransitive = BgpAttributeFlags.Optional | BgpAttributeFlags.Transitive;
    private const BgpAttributeFlags OptionalNonTransitive = BgpAttributeFlags.Optional;

    public static int HeaderLength(int valueLength) => valueLength > 255 ? 4 : 3;

    /// <summary>Writes an attribute header; the extended length bit is set when the value needs it (or when forced).</summary>
    public static int WriteHeader(Span<byte> d, BgpAttributeFlags flags, byte type, int valueLength, bool forceExtended = false)
    {
        if (valueLength > 255 || forceExtended)
        {
            d[0] = (byte)(flags | BgpAttributeFlags.ExtendedLength);
            d[1] = type;
            BinaryPrimitives.WriteUInt16BigEndian(d[2..], (ushort)valueLength);
            return 4;
        }
        d[0] = (byte)(flags & ~BgpAttributeFlags.ExtendedLength);
        d[1] = type;
        d[2] = (byte)valueLength;
        return 3;
    }

    public static int AsPathValueLength(ImmutableArray<AsPathSegment> path, int width)
    {
        var n = 0;
        foreach (var s in path) n += 2 + width * s.Asns.Length;
        return n;
    }

    public static int WriteAsPath(Span<byte> d, ImmutableArray<AsPathSegment> path, int width)
    {
        var i = 0;
        foreach (var s in path)
        {
            d[i] = (byte)s.Type;
            d[i + 1] = (byte)s.Asns.Length;
            i += 2;
            foreach (var asn in s.Asns)
            {
                if (width == 4) BinaryPrimitives.WriteUInt32BigEndian(d[i..], asn);
                else BinaryPrimitives.WriteUInt16BigEndian(d[i..], asn > ushort.MaxValue ? BgpConstants.AsTrans : (ushort)asn);
                i += width;
            }
        }
        return i;
    }

    private static bool NeedsAs4Path(BgpPathAttributes a, BgpDecodeContext ctx)
        => !ctx.FourOctetAs && a.As4Path is null && a.AsPath is { } p && p.Any(s => s.Asns.Any(x => x > ushort.MaxValue));

    public static int MpReachValueLength(BgpMpReach m)
    {
        if (!m.RawValue.IsEmpty) return m.RawValue.Length;
        var nh = NextHopLength(m);
        var n = 5 + nh;
        foreach (var p in m.Nlri) n += BgpPrefix.GetEncodedLength(p);
        return n;
    }

    public static int NextHopLength(BgpMpReach m) => (m.NextHop is null ? 0 : m.NextHop.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6 ? 16 : 4) + (m.LinkLocalNextHop is null ? 0 : 16);

    public static int WriteMpReachHead(Span<byte> d, BgpAfi afi, BgpSafi safi, IPAddress? nextHop, IPAddress? linkLocal)
    {
        BinaryPrimitives.WriteUInt16BigEndian(d, (ushort)afi);
        d[2] = (byte)safi;
        var i = 4;
        if (nextHop is not null) { nextHop.TryWriteBytes(d[i..], out var w); i += w; }
        if (linkLocal is not null) { linkLocal.TryWriteBytes(d[i..], out var w); i += w; }
        d[3] = (byte)(i - 4);
        d[i] = 0; // reserved
        return i + 1;
    }

    public static int MpUnreachValueLength(BgpMpUnreach m)
    {
        if (!m.RawValue.IsEmpty) return m.RawValue.Length;
        var n = 3;
        foreach (var p in m.Withdrawn) n += BgpPrefix.GetEncodedLength(p);
        return n;
    }

    /// <summary>Total octets of all attributes, headers included.</summary>
    public static int GetLength(BgpPathAttributes a, BgpDecodeContext ctx)
    {
        var n = 0;
        var width = ctx.FourOctetAs ? 4 : 2;
        if (a.MpReach is { } mr) { var v = MpReachValueLength(mr); n += HeaderLength(v) + v; }
        if (a.MpUnreach is { } mu) { var v = MpUnreachValueLength(mu); n += HeaderLength(v) + v; }
        if (a.Origin is not null) n += 4;
        if (a.AsPath is { } path) { var v = AsPathValueLength(path, width); n += HeaderLength(v) + v; }
        if (a.NextHop is not null) n += 7;
        if (a.MultiExitDisc is not null) n += 7;
        if (a.LocalPref is not null) n += 7;
        if (a.AtomicAggregate) n += 3;
        if (a.Aggregator is not null) n += 3 + width + 4;
        if (!a.Communities.IsEmpty) { var v = 4 * a.Communities.Length; n += HeaderLength(v) + v; }
        if (!a.ExtendedCommunities.IsEmpty) { var v = 8 * a.ExtendedCommunities.Length; n += HeaderLength(v) + v; }
        if (a.As4Path is { } p4) { var v = AsPathValueLength(p4, 4); n += HeaderLength(v) + v; }
        else if (NeedsAs4Path(a, ctx)) { var v = AsPathValueLength(a.AsPath!.Value, 4); n += HeaderLength(v) + v; }
        if (a.As4Aggregator is not null) n += 11;
        else if (!ctx.FourOctetAs && a.Aggregator is { Asn: > ushort.MaxValue }) n += 11;
        if (!a.LargeCommunities.IsEmpty) { var v = 12 * a.LargeCommunities.Length; n += HeaderLength(v) + v; }
        foreach (var o in a.Other) n += HeaderLength(o.Value.Length) + o.Value.Length;
        return n;
    }

    /// <summary>
    /// Writes all attributes; MP_REACH_NLRI / MP_UNREACH_NLRI go first (RFC 7606 §5.1), the rest in ascending type
    /// order (RFC 4271 §5), unknown ones after the known ones of lower type. <paramref name="d"/> must hold
    /// <see cref="GetLength"/> octets.
    /// </summary>
    public static int Write(Span<byte> d, BgpPathAttributes a, BgpDecodeContext ctx)
    {
        var width = ctx.FourOctetAs ? 4 : 2;
        var i = 0;
        if (a.MpReach is { } mr) i += WriteMpReach(d[i..], mr);
        if (a.MpUnreach is { } mu)
        {
            var v = MpUnreachValueLength(mu);
            i += WriteHeader(d[i..], OptionalNonTransitive, (byte)BgpAttributeType.MpUnreachNlri, v);
            if (!mu.RawValue.IsEmpty) { mu.RawValue.AsSpan().CopyTo(d[i..]); i += v; }
            else
            {
                BinaryPrimitives.WriteUInt16BigEndian(d[i..], (ushort)mu.Afi);
                d[i + 2] = (byte)mu.Safi;
                i += 3;
                foreach (var p in mu.Withdrawn) i += BgpPrefix.Write(d[i..], p);
            }
        }
        var other = 0;
        void Others(Span<byte> dd, ref int ii, int below)
        {
            while (other < a.Other.Length && a.Other[other].TypeCode < below)
            {
                var o = a.Other[other++];
                ii += WriteHeader(dd[ii..], o.Flags, o.TypeCode, o.Value.Length);
                o.Value.AsSpan().CopyTo(dd[ii..]);
                ii += o.Value.Length;
            }
        }
        Others(d, ref i, 1);
        if (a.Origin is { } origin) { i += WriteHeader(d[i..], WellKnown, 1, 1); d[i++] = (byte)origin; }
        Others(d, ref i, 2);
        if (a.AsPath is { } path)
        {
            i += WriteHeader(d[i..], WellKnown, 2, AsPathValueLength(path, width));
            i += WriteAsPath(d[i..], path, width);
        }
        Others(d, ref i, 3);
        if (a.NextHop is { } nh) { i += WriteHeader(d[i..], WellKnown, 3, 4); nh.TryWriteBytes(d[i..], out _); i += 4; }
        Others(d, ref i, 4);
        if (a.MultiExitDisc is { } med) { i += WriteHeader(d[i..], OptionalNonTransitive, 4, 4); BinaryPrimitives.WriteUInt32BigEndian(d[i..], med); i += 4; }
        Others(d, ref i, 5);
        if (a.LocalPref is { } lp) { i += WriteHeader(d[i..], WellKnown, 5, 4); BinaryPrimitives.WriteUInt32BigEndian(d[i..], lp); i += 4; }
        Others(d, ref i, 6);
        if (a.AtomicAggregate) i += WriteHeader(d[i..], WellKnown, 6, 0);
        Others(d, ref i, 7);
        if (a.Aggregator is { } ag)
        {
            i += WriteHeader(d[i..], OptionalTransitive, 7, width + 4);
            if (width == 4) BinaryPrimitives.WriteUInt32BigEndian(d[i..], ag.Asn);
            else BinaryPrimitives.WriteUInt16BigEndian(d[i..], ag.Asn > ushort.MaxValue ? BgpConstants.AsTrans : (ushort)ag.Asn);
            i += width;
            ag.Address.TryWriteBytes(d[i..], out _);
            i += 4;
        }
        Others(d, ref i, 8);
        if (!a.Communities.IsEmpty)
        {
            i += WriteHeader(d[i..], OptionalTransitive, 8, 4 * a.Communities.Length);
            foreach (var c in a.Communities) { BinaryPrimitives.WriteUInt32BigEndian(d[i..], c); i += 4; }
        }
        Others(d, ref i, 16);
        if (!a.ExtendedCommunities.IsEmpty)
        {
            i += WriteHeader(d[i..], OptionalTransitive, 16, 8 * a.ExtendedCommunities.Length);
            foreach (var c in a.ExtendedCommunities) { BinaryPrimitives.WriteUInt64BigEndian(d[i..], c); i += 8; }
        }
        Others(d, ref i, 17);
        var as4 = a.As4Path ?? (NeedsAs4Path(a, ctx) ? a.AsPath : null);
        if (as4 is { } p4)
        {
            i += WriteHeader(d[i..], OptionalTransitive, 17, AsPathValueLength(p4, 4));
            i += WriteAsPath(d[i..], p4, 4);
        }
        Others(d, ref i, 18);
        var as4Agg = a.As4Aggregator ?? (!ctx.FourOctetAs && a.Aggregator is { Asn: > ushort.MaxValue } x ? x : null);
        if (as4Agg is { } a4)
        {
            i += WriteHeader(d[i..], OptionalTransitive, 18, 8);
            BinaryPrimitives.WriteUInt32BigEndian(d[i..], a4.Asn);
            a4.Address.TryWriteBytes(d[(i + 4)..], out _);
            i += 8;
        }
        Others(d, ref i, 32);
        if (!a.LargeCommunities.IsEmpty)
        {
            i += WriteHeader(d[i..], OptionalTransitive, 32, 12 * a.LargeCommunities.Length);
            foreach (var c in a.LargeCommunities)
            {
                BinaryPrimitives.WriteUInt32BigEndian(d[i..], c.GlobalAdministrator);
                BinaryPrimitives.WriteUInt32BigEndian(d[(i + 4)..], c.LocalData1);
                BinaryPrimitives.WriteUInt32BigEndian(d[(i + 8)..], c.LocalData2);
                i += 12;
            }
        }
        Others(d, ref i, 256);
        return i;
    }

    private static int WriteMpReach(Span<byte> d, BgpMpReach m)
    {
        var v = MpReachValueLength(m);
        var i = WriteHeader(d, OptionalNonTransitive, (byte)BgpAttributeType.MpReachNlri, v);
        if (!m.RawValue.IsEmpty) { m.RawValue.AsSpan().CopyTo(d[i..]); return i + v; }
        i += WriteMpReachHead(d[i..], m.Afi, m.Safi, m.NextHop, m.LinkLocalNextHop);
        foreach (var p in m.Nlri) i += BgpPrefix.Write(d[i..], p);
        return i;
    }
}
