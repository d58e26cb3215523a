using System.Collections.Immutable;
using System.Net;
using LoadBalancer.Proto.Bgp;

namespace LoadBalancer.Speaker.Bgp;

/// <summary>What one prefix carries towards one peer (besides the session-wide ORIGIN, AS_PATH and next hop).</summary>
internal sealed record RouteAttributes(ImmutableArray<uint> Communities, ImmutableArray<LargeCommunity> LargeCommunities, uint? LocalPreference)
{
    public bool Equals(RouteAttributes? other) => other is not null && LocalPreference == other.LocalPreference
        && Communities.SequenceEqual(other.Communities) && LargeCommunities.SequenceEqual(other.LargeCommunities);

    public override int GetHashCode()
    {
        var h = new HashCode();
        h.Add(LocalPreference);
        foreach (var c in Communities) h.Add(c);
        foreach (var c in LargeCommunities) h.Add(c);
        return h.ToHashCode();
    }
}

/// <summary>Announcements of one UPDATE group: one family, one attribute set.</summary>
internal sealed record RibGroup(BgpAfi Afi, RouteAttributes Attributes, List<IPNetwork> Prefixes);

/// <summary>What has to go on the wire to bring the peer from what it has to what we want.</summary>
internal sealed record RibDelta(List<IPNetwork> WithdrawIPv4, List<IPNetwork> WithdrawIPv6, List<RibGroup> Announce)
{
    public bool IsEmpty => WithdrawIPv4.Count == 0 && WithdrawIPv6.Count == 0 && Announce.Count == 0;
}

/// <summary>
/// The Adj-RIB-Out of one session (pure): the desired routes and what the peer was last sent. A delta holds only
/// the difference, withdrawals batched per family and announcements grouped by equal attributes so that they
/// pack into shared UPDATEs. When the session drops, the peer has nothing (<see cref="PeerLost"/>).
/// </summary>
internal sealed class AdjRibOut
{
    private Dictionary<IPNetwork, RouteAttributes> _desired = [];
    private readonly Dictionary<IPNetwork, RouteAttributes> _sent = [];

    public int AdvertisedCount => _sent.Count;

    public int DesiredCount => _desired.Count;

    public void SetDesired(Dictionary<IPNetwork, RouteAttributes> desired) => _desired = desired;

    public void PeerLost() => _sent.Clear();

    /// <summary>Computes the delta for the families the session can carry and records it as sent.</summary>
    public RibDelta TakeDelta(Func<BgpAfi, bool> canCarry)
    {
        var delta = new RibDelta([], [], []);
        foreach (var (prefix, _) in _sent)
        {
            if (_desired.ContainsKey(prefix)) continue;
            (BgpPrefix.AfiOf(prefix) == BgpAfi.IPv4 ? delta.WithdrawIPv4 : delta.WithdrawIPv6).Add(prefix);
        }
        foreach (var p in delta.WithdrawIPv4) _sent.Remove(p);
        foreach (var p in delta.WithdrawIPv6) _sent.Remove(p);
        var groups = new Dictionary<(BgpAfi, RouteAttributes), RibGroup>();
        foreach (var (prefix, attributes) in _desired)
        {
            if (_sent.TryGetValue(prefix, out var had) && had.Equals(attributes)) continue; // the peer has it
            var afi = BgpPrefix.AfiOf(prefix);
            if (!canCarry(afi)) continue;
            if (!groups.TryGetValue((afi, attributes), out var group))
                groups[(afi, attributes)] = group = new RibGroup(afi, attributes, []);
            group.Prefixes.Add(prefix);
            _sent[prefix] = attributes;
        }
        delta.Announce.AddRange(groups.Values);
        return delta;
    }
}
