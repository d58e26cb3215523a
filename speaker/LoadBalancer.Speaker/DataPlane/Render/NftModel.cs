using System.Collections.Immutable;
using System.Text;
using LoadBalancer.Speaker.Announcing;

namespace LoadBalancer.Speaker.DataPlane.Render;

/// <summary>A regular chain and its rules, in order (rule text in nft syntax).</summary>
internal sealed record NftChain(string Name, ImmutableArray<string> Rules);

/// <summary>A named set whose whole definition is <paramref name="Definition"/> (e.g. <c>type ipv4_addr; flags dynamic,timeout; timeout 10800s;</c>).</summary>
internal sealed record NftSet(string Name, string Definition);

/// <summary>One element of a global set or map: <paramref name="Value"/> is null for sets.</summary>
internal readonly record struct NftElement(string Map, string Key, string? Value)
{
    public string Render() => Value is null ? Key : Key + " : " + Value;
}

/// <summary>
/// Everything one Service contributes to the table: its own chains, sets and counters, and its elements in the
/// global maps. The unit of incremental update: a changed Service is replaced as a whole in one transaction.
/// </summary>
internal sealed class NftServiceObjects
{
    private string? _fingerprint;

    public NftServiceObjects(ServiceKey key, ImmutableArray<NftChain> chains, ImmutableArray<NftSet> sets,
        ImmutableArray<string> counters, ImmutableArray<NftElement> elements)
    {
        Key = key;
        Chains = chains;
        Sets = sets;
        Counters = counters;
        Elements = elements;
    }

    public ServiceKey Key { get; }
    public ImmutableArray<NftChain> Chains { get; }
    public ImmutableArray<NftSet> Sets { get; }
    public ImmutableArray<string> Counters { get; }
    public ImmutableArray<NftElement> Elements { get; }

    /// <summary>The input it was rendered from (reused as is while a Service with the same content comes back).</summary>
    public DataPlaneService? Source { get; init; }

    /// <summary>Per LB IP:port, the endpoints its traffic can reach (for flushing stale UDP/SCTP conntrack entries).</summary>
    public ImmutableArray<NftFlow> Flows { get; init; } = [];

    /// <summary>The VIP . proto . port keys it owns in the dispatch maps.</summary>
    public ImmutableArray<string> DispatchKeys { get; init; } = [];

    /// <summary>
    /// The endpoint-choice shapes it uses (<see cref="NftShapes"/>: one set and one rule each, shared by every Service of
    /// that shape); its membership elements in those sets are in <see cref="Elements"/>.
    /// </summary>
    public ImmutableArray<string> Shapes { get; init; } = [];

    /// <summary>Elements that several Services may want (hairpin pairs of an endpoint): reference-counted across Services.</summary>
    public ImmutableArray<NftElement> Shared { get; init; } = [];

    /// <summary>What was wrong with the input; a Service with problems is always rendered afresh.</summary>
    public ImmutableArray<RenderProblem> Problems { get; init; } = [];

    /// <summary>A canonical text of the whole content: two objects are equal when their fingerprints are.</summary>
    public string Fingerprint => _fingerprint ??= BuildFingerprint();

    private string BuildFingerprint()
    {
        var sb = new StringBuilder();
        foreach (var c in Counters) sb.Append("counter ").Append(c).Append('\n');
        foreach (var s in Sets) sb.Append("set ").Append(s.Name).Append(' ').Append(s.Definition).Append('\n');
        foreach (var c in Chains)
        {
            sb.Append("chain ").Append(c.Name).Append('\n');
            foreach (var r in c.Rules) sb.Append('\t').Append(r).Append('\n');
        }
        foreach (var e in Elements) sb.Append("element ").Append(e.Map).Append(' ').Append(e.Render()).Append('\n');
        foreach (var e in Shared) sb.Append("shared ").Append(e.Map).Append(' ').Append(e.Render()).Append('\n');
        foreach (var shape in Shapes) sb.Append("shape ").Append(shape).Append('\n');
        return sb.ToString();
    }
}

/// <summary>An LB IP:port (<paramref name="Proto"/> is nft's name: tcp, udp, sctp) and the endpoints its traffic can reach.</summary>
internal sealed record NftFlow(string Proto, System.Net.IPAddress Vip, int Port, ImmutableArray<System.Net.IPEndPoint> Endpoints);

/// <summary>A problem with one Service that kept (part of) it out of the ruleset; the rest is programmed.</summary>
internal sealed record RenderProblem(ServiceKey Service, string Message);

/// <summary>
/// The desired table: fixed base objects (from options), per-Service objects, and what Services share: how many use each
/// endpoint-choice shape (its set and rule exist while one does) and each shared element.
/// </summary>
internal sealed record NftRuleset(
    NftRenderOptions Options,
    string NodeName,
    ImmutableSortedDictionary<ServiceKey, NftServiceObjects> Services,
    ImmutableArray<RenderProblem> Problems)
{
    public string? NodeZone { get; init; }

    public ImmutableSortedDictionary<string, int> ShapeCounts { get; init; } = ImmutableSortedDictionary.Create<string, int>(StringComparer.Ordinal);

    public ImmutableDictionary<NftElement, int> SharedCounts { get; init; } = ImmutableDictionary<NftElement, int>.Empty;

    /// <summary>
    /// The same Services by key, for O(1) lookups (the sorted map is for ordered output). Never mutated once the ruleset
    /// is built: the next render copies it (a flat array copy, far cheaper than N lookups in an immutable tree).
    /// </summary>
    public IReadOnlyDictionary<ServiceKey, NftServiceObjects> Index { get; init; } = new Dictionary<ServiceKey, NftServiceObjects>();

    /// <summary>Which Service owns each LB IP . proto . port.</summary>
    public ImmutableDictionary<string, ServiceKey> Claims { get; init; } = ImmutableDictionary.Create<string, ServiceKey>(StringComparer.Ordinal);

    /// <summary>When rendered incrementally: the ruleset it was rendered from and the Services that differ from it.</summary>
    public NftChangeSet? Changes { get; init; }

    /// <summary>The Services that may differ from <paramref name="from"/>, or null when that is not known (compare all).</summary>
    public IReadOnlyList<ServiceKey>? ChangedSince(NftRuleset from) => Changes is { } c && ReferenceEquals(c.From, from) ? c.Keys : null;

    public string Table => Options.TableName;
}

/// <summary>The Services (added, changed or removed) in which a ruleset may differ from <paramref name="From"/>.</summary>
internal sealed record NftChangeSet(NftRuleset From, ImmutableArray<ServiceKey> Keys);
