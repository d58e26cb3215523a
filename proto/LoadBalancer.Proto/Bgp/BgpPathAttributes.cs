using System.Collections.Immutable;
using System.Net;

namespace LoadBalancer.Proto.Bgp;

/// <summary>An AS_PATH / AS4_PATH segment.</summary>
public readonly record struct AsPathSegment(AsPathSegmentType Type, ImmutableArray<uint> Asns)
{
    public bool Equals(AsPathSegment other) => Type == other.Type && Asns.SequenceEqual(other.Asns);

    public override int GetHashCode() => HashCode.Combine(Type, Asns.Length);

    public override string ToString() => Type == AsPathSegmentType.AsSequence ? string.Join(' ', Asns) : $"{Type}{{{string.Join(',', Asns)}}}";
}

/// <summary>An RFC 8092 large community.</summary>
public readonly record struct LargeCommunity(uint GlobalAdministrator, uint LocalData1, uint LocalData2)
{
    public override string ToString() => $"{GlobalAdministrator}:{LocalData1}:{LocalData2}";
}

/// <summary>AGGREGATOR / AS4_AGGREGATOR.</summary>
public readonly record struct BgpAggregator(uint Asn, IPAddress Address);

/// <summary>A path attribute this code does not interpret, kept with its flags (passed on with the Partial bit when transitive).</summary>
public sealed record BgpRawAttribute(BgpAttributeFlags Flags, byte TypeCode, ImmutableArray<byte> Value)
{
    public bool Equals(BgpRawAttribute? other) => other is not null && Flags == other.Flags && TypeCode == other.TypeCode && Value.SequenceEqual(other.Value);

    public override int GetHashCode() => HashCode.Combine(Flags, TypeCode, Value.Length);
}

/// <summary>MP_REACH_NLRI (RFC 4760). For a family other than IPv4/IPv6 unicast only <see cref="RawValue"/> is set.</summary>
public sealed record BgpMpReach(BgpAfi Afi, BgpSafi Safi, IPAddress? NextHop, IPAddress? LinkLocalNextHop, ImmutableArray<IPNetwork> Nlri)
{
    public ImmutableArray<byte> RawValue { get; init; } = [];

    public bool Equals(BgpMpReach? other) => other is not null && Afi == other.Afi && Safi == other.Safi && Equals(NextHop, other.NextHop)
        && Equals(LinkLocalNextHop, other.LinkLocalNextHop) && Nlri.SequenceEqual(other.Nlri) && RawValue.SequenceEqual(other.RawValue);

    public override int GetHashCode() => HashCode.Combine(Afi, Safi, NextHop, Nlri.Length);
}

/// <summary>MP_UNREACH_NLRI (RFC 4760); empty <see cref="Withdrawn"/> for IPv6 is the IPv6 End-of-RIB.</summary>
public sealed record BgpMpUnreach(BgpAfi Afi, BgpSafi Safi, ImmutableArray<IPNetwork> Withdrawn)
{
    public ImmutableArray<byte> RawValue { get; init; } = [];

    public bool Equals(BgpMpUnreach? other) => other is not null && Afi == other.Afi && Safi == other.Safi
        && Withdrawn.SequenceEqual(other.Withdrawn) && RawValue.SequenceEqual(other.RawValue);

    public override int GetHashCode() => HashCode.Combine(Afi, Safi, Withdrawn.Length);
}

/// <summary>
/// The path attributes of one UPDATE. A null or empty member means the attribute is absent (an empty AS_PATH, as
/// iBGP sends it, is an empty array, not null).
/// </summary>
public sealed record BgpPathAttributes
{
    public static BgpPathAttributes Empty { get; } = new();

    public BgpOrigin? Origin { get; init; }

    public ImmutableArray<AsPathSegment>? AsPath { get; init; }

    public IPAddress? NextHop { get; init; }

    public uint? MultiExitDisc { get; init; }

    public uint? LocalPref { get; init; }

    public bool AtomicAggregate { get; init; }

    public BgpAggregator? Aggregator { get; init; }

    public ImmutableArray<uint> Communities { get; init; } = [];

    public ImmutableArray<ulong> ExtendedCommunities { get; init; } = [];

    public ImmutableArray<AsPathSegment>? As4Path { get; init; }

    public BgpAggregator? As4Aggregator { get; init; }

    public ImmutableArray<LargeCommunity> LargeCommunities { get; init; } = [];

    public BgpMpReach? MpReach { get; init; }

    public BgpMpUnreach? MpUnreach { get; init; }

    /// <summary>Attributes not interpreted here (ORIGINATOR_ID, CLUSTER_LIST, unknown optional ones), in arrival order.</summary>
    public ImmutableArray<BgpRawAttribute> Other { get; init; } = [];

    /// <summary>The AS numbers of the AS_SEQUENCE segments, in order (for loop checks and display).</summary>
    public IEnumerable<uint> SequenceAsns => (AsPath ?? []).Where(s => s.Type == AsPathSegmentType.AsSequence).SelectMany(s => s.Asns);

    /// <summary>What we would pass on: unknown optional transitive attributes get the Partial bit, others are dropped.</summary>
    public BgpPathAttributes ForPropagation() => this with
    {
        Other = [.. Other.Where(a => (a.Flags & (BgpAttributeFlags.Optional | BgpAttributeFlags.Transitive)) == (BgpAttributeFlags.Optional | BgpAttributeFlags.Transitive)
                                      && !Enum.IsDefined((BgpAttributeType)a.TypeCode))
                     .Select(a => a with { Flags = a.Flags | BgpAttributeFlags.Partial })],
    };

    public bool Equals(BgpPathAttributes? other) => other is not null && Origin == other.Origin
        && SeqEq(AsPath, other.AsPath) && Equals(NextHop, other.NextHop) && MultiExitDisc == other.MultiExitDisc
        && LocalPref == other.LocalPref && AtomicAggregate == other.AtomicAggregate && Aggregator == other.Aggregator
        && Communities.SequenceEqual(other.Communities) && ExtendedCommunities.SequenceEqual(other.ExtendedCommunities)
        && SeqEq(As4Path, other.As4Path) && As4Aggregator == other.As4Aggregator && LargeCommunities.SequenceEqual(other.LargeCommunities)
        && Equals(MpReach, other.MpReach) && Equals(MpUnreach, other.MpUnreach) && Other.SequenceEqual(other.Other);

    public override int GetHashCode() => HashCode.Combine(Origin, NextHop, MultiExitDisc, LocalPref, Communities.Length, LargeCommunities.Length);

    private static bool SeqEq(ImmutableArray<AsPathSegment>? a, ImmutableArray<AsPathSegment>? b)
        => a is null ? b is null : b is not null && a.Value.SequenceEqual(b.Value);
}
