using System.Buffers.Binary;
using System.Collections.Immutable;
using System.Net;

namespace LoadBalancer.Proto.Bgp;

/// <summary>
/// An UPDATE message (RFC 4271 §4.3): IPv4 withdrawn routes, path attributes, IPv4 NLRI; other families travel in
/// MP_REACH_NLRI / MP_UNREACH_NLRI (RFC 4760). Decoding follows RFC 7606: a malformed attribute makes the UPDATE
/// "treat-as-withdraw" (or discards the attribute) where that RFC allows, and resets the session only where it must.
/// </summary>
public sealed record BgpUpdate(ImmutableArray<IPNetwork> Withdrawn, BgpPathAttributes Attributes, ImmutableArray<IPNetwork> Nlri)
{
    /// <summary>End-of-RIB (RFC 4724 §2): an empty UPDATE for IPv4 unicast, an empty MP_UNREACH_NLRI otherwise.</summary>
    public static BgpUpdate EndOfRib(BgpAfi afi, BgpSafi safi = BgpSafi.Unicast)
        => afi == BgpAfi.IPv4 && safi == BgpSafi.Unicast
            ? new BgpUpdate([], BgpPathAttributes.Empty, [])
            : new BgpUpdate([], new BgpPathAttributes { MpUnreach = new BgpMpUnreach(afi, safi, []) }, []);

    public bool IsEndOfRib(out BgpAfi afi, out BgpSafi safi)
    {
        afi = BgpAfi.IPv4;
        safi = BgpSafi.Unicast;
        if (!Withdrawn.IsEmpty || !Nlri.IsEmpty) return false;
        var a = Attributes;
        if (a == BgpPathAttributes.Empty || a.Equals(BgpPathAttributes.Empty)) return true;
        if (a.MpUnreach is { Withdrawn.IsEmpty: true, RawValue.IsEmpty: true } mu && a with { MpUnreach = null } is var rest && rest.Equals(BgpPathAttributes.Empty))
        {
            afi = mu.Afi;
            safi = mu.Safi;
            return true;
        }
        return false;
    }

    /// <summary>All prefixes this UPDATE withdraws (IPv4 field and MP_UNREACH_NLRI).</summary>
    public IEnumerable<IPNetwork> AllWithdrawn => Withdrawn.Concat(Attributes.MpUnreach?.Withdrawn ?? []);

    /// <summary>All prefixes this UPDATE announces (IPv4 NLRI and MP_REACH_NLRI).</summary>
    public IEnumerable<IPNetwork> AllAnnounced => Nlri.Concat(Attributes.MpReach?.Nlri ?? []);

    public int GetEncodedLength(BgpDecodeContext context)
    {
        var n = BgpConstants.HeaderLength + 4 + BgpAttributeCodec.GetLength(Attributes, context);
        foreach (var p in Withdrawn) n += BgpPrefix.GetEncodedLength(p);
        foreach (var p in Nlri) n += BgpPrefix.GetEncodedLength(p);
        return n;
    }

    /// <summary>Writes the whole message; false when it does not fit the destination or the negotiated maximum.</summary>
    public bool TryWrite(Span<byte> destination, BgpDecodeContext context, out int written)
    {
        written = 0;
        var length = GetEncodedLength(context);
        if (length > context.MaxMessageLength || destination.Length < length) return false;
        BgpFraming.WriteHeader(destination, length, BgpMessageType.Update);
        var i = 21;
        foreach (var p in Withdrawn) i += BgpPrefix.Write(destination[i..], p);
        BinaryPrimitives.WriteUInt16BigEndian(destination[19..], (ushort)(i - 21));
        var attrStart = i + 2;
        var attrLength = BgpAttributeCodec.Write(destination[attrStart..], Attributes, context);
        BinaryPrimitives.WriteUInt16BigEndian(destination[i..], (ushort)attrLength);
        i = attrStart + attrLength;
        foreach (var p in Nlri) i += BgpPrefix.Write(destination[i..], p);
        if (i != length) return false; // size and writer disagree: never send a broken message
        written = i;
        return true;
    }

    public byte[] ToArray(BgpDecodeContext context)
    {
        var bytes = new byte[GetEncodedLength(context)];
        return TryWrite(bytes, context, out _) ? bytes : throw new InvalidOperationException("UPDATE exceeds the maximum message length");
    }

    /// <summary>
    /// Decodes an UPDATE body (after the header). On <see cref="BgpUpdateStatus.TreatAsWithdraw"/> the returned update
    /// carries every prefix of the message as withdrawn and no attributes; <paramref name="error"/> says why (it is not
    /// sent). On <see cref="BgpUpdateStatus.SessionReset"/> <paramref name="error"/> is the NOTIFICATION to send.
    /// </summary>
    public static BgpUpdateStatus TryDecode(ReadOnlySpan<byte> body, BgpDecodeContext context, out BgpUpdate update, out BgpNotification? error)
    {
        update = new BgpUpdate([], BgpPathAttributes.Empty, []);
        error = null;
        if (body.Length < 4)
        {
            error = BgpNotification.Update(BgpUpdateSubcode.MalformedAttributeList);
            return BgpUpdateStatus.SessionReset;
        }
        int withdrawnLength = BinaryPrimitives.ReadUInt16BigEndian(body);
        if (2 + withdrawnLength + 2 > body.Length)
        {
            error = BgpNotification.Update(BgpUpdateSubcode.MalformedAttributeList);
            return BgpUpdateStatus.SessionReset;
        }
        var withdrawn = new List<IPNetwork>();
        if (!BgpPrefix.TryReadAll(body.Slice(2, withdrawnLength), BgpAfi.IPv4, withdrawn))
        {
            error = BgpNotification.Update(BgpUpdateSubcode.InvalidNetworkField);
            return BgpUpdateStatus.SessionReset;
        }
        int attrLength = BinaryPrimitives.ReadUInt16BigEndian(body[(2 + withdrawnLength)..]);
        var attrStart = 4 + withdrawnLength;
        if (attrStart + attrLength > body.Length)
        {
            error = BgpNotification.Update(BgpUpdateSubcode.MalformedAttributeList);
            return BgpUpdateStatus.SessionReset;
        }
        var nlri = new List<IPNetwork>();
        if (!BgpPrefix.TryReadAll(body[(attrStart + attrLength)..], BgpAfi.IPv4, nlri))
        {
            error = BgpNotification.Update(BgpUpdateSubcode.InvalidNetworkField);
            return BgpUpdateStatus.SessionReset;
        }
        var reader = new AttributeReader(context);
        var status = reader.Read(body.Slice(attrStart, attrLength), nlri.Count > 0, out error);
        if (status == BgpUpdateStatus.SessionReset) return status;
        if (status == BgpUpdateStatus.TreatAsWithdraw)
        {
            var a = reader.Result;
            var mpWithdrawn = (a.MpReach?.Nlri ?? []).Concat(a.MpUnreach?.Withdrawn ?? []).ToImmutableArray();
            var attrs = BgpPathAttributes.Empty;
            var family = a.MpReach ?? null;
            if (family is not null || a.MpUnreach is not null)
                attrs = new BgpPathAttributes { MpUnreach = new BgpMpUnreach(family?.Afi ?? a.MpUnreach!.Afi, family?.Safi ?? a.MpUnreach!.Safi, mpWithdrawn) };
            update = new BgpUpdate([.. withdrawn, .. nlri], attrs, []);
            return status;
        }
        update = new BgpUpdate([.. withdrawn], reader.Result, [.. nlri]);
        return BgpUpdateStatus.Ok;
    }

    /// <summary>Reads path attributes and applies RFC 7606 §3 and §7 (per-attribute error handling).</summary>
    private ref struct AttributeReader(BgpDecodeContext context)
    {
        public BgpPathAttributes Result = BgpPathAttributes.Empty;
        private BgpUpdateStatus _status = BgpUpdateStatus.Ok;
        private BgpNotification? _error;

        private void Withdraw(BgpUpdateSubcode subcode, ReadOnlySpan<byte> data = default)
        {
            if (_status == BgpUpdateStatus.Ok)
            {
                _status = BgpUpdateStatus.TreatAsWithdraw;
                _error = BgpNotification.Update(subcode, data);
            }
        }

        private void Discard(BgpUpdateSubcode subcode, ReadOnlySpan<byte> data)
        {
            if (_error is null) _error = BgpNotification.Update(subcode, data);
        }

        public BgpUpdateStatus Read(ReadOnlySpan<byte> attrs, bool hasNlri, out BgpNotification? error)
        {
            Span<bool> seen = stackalloc bool[256];
            var other = ImmutableArray.CreateBuilder<BgpRawAttribute>();
            var a = new BgpPathAttributes();
            var full = attrs;
            while (!attrs.IsEmpty)
            {
                if (attrs.Length < 3 || ((attrs[0] & 0x10) != 0 && attrs.Length < 4))
                {
                    // RFC 7606 §4: an attribute header that does not fit: treat-as-withdraw.
                    Withdraw(BgpUpdateSubcode.MalformedAttributeList);
                    break;
                }
                var flags = (BgpAttributeFlags)attrs[0];
                var type = attrs[1];
                var extended = (flags & BgpAttributeFlags.ExtendedLength) != 0;
                int length = extended ? BinaryPrimitives.ReadUInt16BigEndian(attrs[2..]) : attrs[2];
                var headerLength = extended ? 4 : 3;
                if (attrs.Length < headerLength + length)
                {
                    // RFC 7606 §4: the attribute overruns the Path Attributes field: treat-as-withdraw, except for MP
                    // attributes, whose NLRI cannot then be located: session reset (§5.3).
                    if (type is (byte)BgpAttributeType.MpReachNlri or (byte)BgpAttributeType.MpUnreachNlri)
                    {
                        error = BgpNotification.Update(BgpUpdateSubcode.AttributeLengthError, attrs);
                        return BgpUpdateStatus.SessionReset;
                    }
                    Withdraw(BgpUpdateSubcode.AttributeLengthError, attrs);
                    break;
                }
                var whole = attrs[..(headerLength + length)];
                var value = attrs.Slice(headerLength, length);
                attrs = attrs[(headerLength + length)..];
                if (seen[type])
                {
                    // RFC 7606 §3g: repeated MP attributes reset the session; other repeats are discarded.
                    if (type is (byte)BgpAttributeType.MpReachNlri or (byte)BgpAttributeType.MpUnreachNlri)
                    {
                        error = BgpNotification.Update(BgpUpdateSubcode.MalformedAttributeList);
                        return BgpUpdateStatus.SessionReset;
                    }
                    continue;
                }
                seen[type] = true;
                var optTrans = flags & (BgpAttributeFlags.Optional | BgpAttributeFlags.Transitive);
                switch ((BgpAttributeType)type)
                {
                    case BgpAttributeType.Origin:
                        if (optTrans != BgpAttributeFlags.Transitive) { Withdraw(BgpUpdateSubcode.AttributeFlagsError, whole); break; }
                        if (length != 1) { Withdraw(BgpUpdateSubcode.AttributeLengthError, whole); break; }
                        if (value[0] > 2) { Withdraw(BgpUpdateSubcode.InvalidOriginAttribute, whole); break; }
                        a = a with { Origin = (BgpOrigin)value[0] };
                        break;
                    case BgpAttributeType.AsPath:
                        if (optTrans != BgpAttributeFlags.Transitive) { Withdraw(BgpUpdateSubcode.AttributeFlagsError, whole); break; }
                        if (!TryReadAsPath(value, context.FourOctetAs ? 4 : 2, out var path)) { Withdraw(BgpUpdateSubcode.MalformedAsPath); break; }
                        a = a with { AsPath = path };
                        break;
                    case BgpAttributeType.NextHop:
                        if (optTrans != BgpAttributeFlags.Transitive) { Withdraw(BgpUpdateSubcode.AttributeFlagsError, whole); break; }
                        if (length != 4) { Withdraw(BgpUpdateSubcode.AttributeLengthError, whole); break; }
                        a = a with { NextHop = new IPAddress(value) };
                        break;
                    case BgpAttributeType.MultiExitDisc:
                        if (optTrans != BgpAttributeFlags.Optional) { Withdraw(BgpUpdateSubcode.AttributeFlagsError, whole); break; }
                        if (length != 4) { Withdraw(BgpUpdateSubcode.AttributeLengthError, whole); break; }
                        a = a with { MultiExitDisc = BinaryPrimitives.ReadUInt32BigEndian(value) };
                        break;
                    case BgpAttributeType.LocalPref:
                        if (optTrans != BgpAttributeFlags.Transitive) { Withdraw(BgpUpdateSubcode.AttributeFlagsError, whole); break; }
                        if (length != 4) { Withdraw(BgpUpdateSubcode.AttributeLengthError, whole); break; }
                        a = a with { LocalPref = BinaryPrimitives.ReadUInt32BigEndian(value) };
                        break;
                    case BgpAttributeType.AtomicAggregate:
                        // RFC 7606 §7.6: attribute discard.
                        if (optTrans != BgpAttributeFlags.Transitive || length != 0) { Discard(BgpUpdateSubcode.AttributeLengthError, whole); break; }
                        a = a with { AtomicAggregate = true };
                        break;
                    case BgpAttributeType.Aggregator:
                        // RFC 7606 §7.7: attribute discard.
                        var aggWidth = context.FourOctetAs ? 4 : 2;
                        if (optTrans != (BgpAttributeFlags.Optional | BgpAttributeFlags.Transitive) || length != aggWidth + 4) { Discard(BgpUpdateSubcode.AttributeLengthError, whole); break; }
                        a = a with { Aggregator = new BgpAggregator(aggWidth == 4 ? BinaryPrimitives.ReadUInt32BigEndian(value) : BinaryPrimitives.ReadUInt16BigEndian(value), new IPAddress(value[aggWidth..])) };
                        break;
                    case BgpAttributeType.Communities:
                        // RFC 7606 §7.8: treat-as-withdraw.
                        if (optTrans != (BgpAttributeFlags.Optional | BgpAttributeFlags.Transitive)) { Withdraw(BgpUpdateSubcode.AttributeFlagsError, whole); break; }
                        if (length == 0 || length % 4 != 0) { Withdraw(BgpUpdateSubcode.OptionalAttributeError, whole); break; }
                        var communities = new uint[length / 4];
                        for (var i = 0; i < communities.Length; i++) communities[i] = BinaryPrimitives.ReadUInt32BigEndian(value[(4 * i)..]);
                        a = a with { Communities = ImmutableArray.Create(communities) };
                        break;
                    case BgpAttributeType.ExtendedCommunities:
                        // RFC 7606 §7.14: treat-as-withdraw.
                        if (optTrans != (BgpAttributeFlags.Optional | BgpAttributeFlags.Transitive)) { Withdraw(BgpUpdateSubcode.AttributeFlagsError, whole); break; }
                        if (length == 0 || length % 8 != 0) { Withdraw(BgpUpdateSubcode.OptionalAttributeError, whole); break; }
                        var ext = new ulong[length / 8];
                        for (var i = 0; i < ext.Length; i++) ext[i] = BinaryPrimitives.ReadUInt64BigEndian(value[(8 * i)..]);
                        a = a with { ExtendedCommunities = ImmutableArray.Create(ext) };
                        break;
                    case BgpAttributeType.LargeCommunity:
                        // RFC 8092 §5: treat-as-withdraw.
                        if (optTrans != (BgpAttributeFlags.Optional | BgpAttributeFlags.Transitive)) { Withdraw(BgpUpdateSubcode.AttributeFlagsError, whole); break; }
                        if (length == 0 || length % 12 != 0) { Withdraw(BgpUpdateSubcode.OptionalAttributeError, whole); break; }
                        var large = new LargeCommunity[length / 12];
                        for (var i = 0; i < large.Length; i++)
                            large[i] = new LargeCommunity(BinaryPrimitives.ReadUInt32BigEndian(value[(12 * i)..]),
                                BinaryPrimitives.ReadUInt32BigEndian(value[(12 * i + 4)..]), BinaryPrimitives.ReadUInt32BigEndian(value[(12 * i + 8)..]));
                        a = a with { LargeCommunities = ImmutableArray.Create(large) };
                        break;
                    case BgpAttributeType.As4Path:
                        // RFC 6793 §6 / RFC 7606 §7.10: attribute discard.
                        if (optTrans != (BgpAttributeFlags.Optional | BgpAttributeFlags.Transitive) || !TryReadAsPath(value, 4, out var path4)) { Discard(BgpUpdateSubcode.MalformedAsPath, whole); break; }
                        a = a with { As4Path = path4 };
                        break;
                    case BgpAttributeType.As4Aggregator:
                        if (optTrans != (BgpAttributeFlags.Optional | BgpAttributeFlags.Transitive) || length != 8) { Discard(BgpUpdateSubcode.AttributeLengthError, whole); break; }
                        a = a with { As4Aggregator = new BgpAggregator(BinaryPrimitives.ReadUInt32BigEndian(value), new IPAddress(value[4..])) };
                        break;
                    case BgpAttributeType.MpReachNlri:
                        if (!TryReadMpReach(value, out var reach))
                        {
                            error = BgpNotification.Update(BgpUpdateSubcode.OptionalAttributeError, whole);
                            return BgpUpdateStatus.SessionReset;
                        }
                        a = a with { MpReach = reach };
                        break;
                    case BgpAttributeType.MpUnreachNlri:
                        if (!TryReadMpUnreach(value, out var unreach))
                        {
                            error = BgpNotification.Update(BgpUpdateSubcode.OptionalAttributeError, whole);
                            return BgpUpdateStatus.SessionReset;
                        }
                        a = a with { MpUnreach = unreach };
                        break;
                    default:
                        if ((flags & BgpAttributeFlags.Optional) == 0 && !Enum.IsDefined((BgpAttributeType)type))
                        {
                            // RFC 4271 §6.3: unrecognized well-known attribute.
                            error = BgpNotification.Update(BgpUpdateSubcode.UnrecognizedWellKnownAttribute, whole);
                            return BgpUpdateStatus.SessionReset;
                        }
                        other.Add(new BgpRawAttribute(flags & ~BgpAttributeFlags.ExtendedLength, type, [.. value])); // the writer picks the length form
                        break;
                }
            }
            a = a with { Other = other.ToImmutable() };
            Result = a;
            // RFC 7606 §3d: a missing well-known mandatory attribute makes the UPDATE treat-as-withdraw.
            var reaches = hasNlri || a.MpReach is { Nlri.IsEmpty: false };
            if (_status == BgpUpdateStatus.Ok && reaches)
            {
                if (a.Origin is null) Withdraw(BgpUpdateSubcode.MissingWellKnownAttribute, [(byte)BgpAttributeType.Origin]);
                else if (a.AsPath is null) Withdraw(BgpUpdateSubcode.MissingWellKnownAttribute, [(byte)BgpAttributeType.AsPath]);
                else if (hasNlri && a.NextHop is null) Withdraw(BgpUpdateSubcode.MissingWellKnownAttribute, [(byte)BgpAttributeType.NextHop]);
            }
            _ = full;
            error = _error;
            return _status;
        }

        private static bool TryReadAsPath(ReadOnlySpan<byte> value, int width, out ImmutableArray<AsPathSegment> path)
        {
            var segments = ImmutableArray.CreateBuilder<AsPathSegment>();
            path = [];
            while (!value.IsEmpty)
            {
                if (value.Length < 2) return false;
                var type = value[0];
                int count = value[1];
                if (type is < 1 or > 4 || count == 0 || value.Length < 2 + count * width) return false;
                var asns = new uint[count];
                for (var i = 0; i < count; i++)
                    asns[i] = width == 4 ? BinaryPrimitives.ReadUInt32BigEndian(value[(2 + 4 * i)..]) : BinaryPrimitives.ReadUInt16BigEndian(value[(2 + 2 * i)..]);
                segments.Add(new AsPathSegment((AsPathSegmentType)type, ImmutableArray.Create(asns)));
                value = value[(2 + count * width)..];
            }
            path = segments.ToImmutable();
            return true;
        }

        private static bool IsUnicastIp(BgpAfi afi, BgpSafi safi) => afi is BgpAfi.IPv4 or BgpAfi.IPv6 && safi == BgpSafi.Unicast;

        private static bool TryReadMpReach(ReadOnlySpan<byte> value, out BgpMpReach reach)
        {
            reach = null!;
            if (value.Length < 5) return false;
            var afi = (BgpAfi)BinaryPrimitives.ReadUInt16BigEndian(value);
            var safi = (BgpSafi)value[2];
            int nhLength = value[3];
            if (value.Length < 4 + nhLength + 1) return false;
            if (!IsUnicastIp(afi, safi))
            {
                reach = new BgpMpReach(afi, safi, null, null, []) { RawValue = [.. value] };
                return true;
            }
            var nh = value.Slice(4, nhLength);
            IPAddress? nextHop, linkLocal = null;
            switch (nhLength)
            {
                case 4 when afi == BgpAfi.IPv4: nextHop = new IPAddress(nh); break;
                case 16: nextHop = new IPAddress(nh); break;
                case 32: nextHop = new IPAddress(nh[..16]); linkLocal = new IPAddress(nh[16..]); break;
                default: return false; // RFC 7606 §7.11: inconsistent next hop length
            }
            var nlri = new List<IPNetwork>();
            if (!BgpPrefix.TryReadAll(value[(4 + nhLength + 1)..], afi, nlri)) return false;
            reach = new BgpMpReach(afi, safi, nextHop, linkLocal, [.. nlri]);
            return true;
        }

        private static bool TryReadMpUnreach(ReadOnlySpan<byte> value, out BgpMpUnreach unreach)
        {
            unreach = null!;
            if (value.Length < 3) return false;
            var afi = (BgpAfi)BinaryPrimitives.ReadUInt16BigEndian(value);
            var safi = (BgpSafi)value[2];
            if (!IsUnicastIp(afi, safi))
            {
                unreach = new BgpMpUnreach(afi, safi, []) { RawValue = [.. value] };
                return true;
            }
            var withdrawn = new List<IPNetwork>();
            if (!BgpPrefix.TryReadAll(value[3..], afi, withdrawn)) return false;
            unreach = new BgpMpUnreach(afi, safi, [.. withdrawn]);
            return true;
        }
    }
}
