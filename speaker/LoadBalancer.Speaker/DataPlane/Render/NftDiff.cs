using System.Text;
using LoadBalancer.Speaker.Announcing;

namespace LoadBalancer.Speaker.DataPlane.Render;

/// <summary>The transaction that turns one applied ruleset into another, and how many Services it touches.</summary>
/// <param name="Text">The transaction as nft input (libnftables / <c>nft -f</c>).</param>
/// <param name="Ops">The same transaction as structured operations, in the same order (the netlink writer's input).</param>
internal sealed record NftTransaction(string Text, int ChangedServices, int Operations, IReadOnlyList<NftOp> Ops)
{
    public NftTransaction(string text, int changedServices, int operations) : this(text, changedServices, operations, []) { }

    public bool IsEmpty => Operations == 0;

    /// <summary>True when an endpoint-choice shape appears or goes (a set and a rule chain change, not only elements).</summary>
    public bool ChangesShapes { get; init; }

    /// <summary>
    /// The next phase, sent once this one is committed (make before break, see <see cref="NftDiff"/>); <see cref="Operations"/>
    /// counts all phases.
    /// </summary>
    public NftTransaction? Then { get; init; }

    /// <summary>This phase and the ones after it.</summary>
    public IEnumerable<NftTransaction> Phases()
    {
        for (var p = this; p is not null; p = p.Then) yield return p;
    }

    /// <summary>The operations of every phase, in order.</summary>
    public IEnumerable<NftOp> AllOps => Phases().SelectMany(p => p.Ops);
}

internal enum NftOpKind
{
    AddCounter, AddSet, AddChain, FlushChain, DeleteElements, DeleteSet, AddRule, AddElements, DeleteChain, DeleteCounter,
}

/// <summary>
/// One operation of an incremental transaction, on an object of <paramref name="Service"/>: a chain, set or counter
/// (<paramref name="Name"/>), a rule of chain Name (<paramref name="Text"/>, nft syntax), a set definition (Text), or
/// elements of map Name.
/// </summary>
internal sealed record NftOp(NftOpKind Kind, ServiceKey Service, string Name, string? Text = null, IReadOnlyList<NftElement>? Elements = null);

/// <summary>
/// Incremental update: only Services whose content changed are touched, each replaced as a whole (new chains,
/// flush and refill of surviving chains, element delete/add, removal of what is gone), all in one transaction.
/// The cost is O(changed Services), never O(all Services). Order inside the transaction matters because the
/// kernel checks references as it goes:
/// 1 add new chains, sets and counters; 2 flush the chains of changed Services (surviving ones and those that go
/// away); 3 delete stale elements; 4 replace sets whose definition changed; 5 fill the chains; 6 add new elements;
/// 7 delete the chains that are gone, then sets and counters that are gone.
/// </summary>
internal static class NftDiff
{
    /// <summary>Returns null when the two rulesets do not share a base (other options or table): do a full replace.</summary>
    public static NftTransaction? Incremental(NftRuleset applied, NftRuleset desired)
    {
        if (!applied.Options.Equals(desired.Options)) return null;
        var t = desired.Table;
        var changed = new List<(NftServiceObjects? Old, NftServiceObjects? New)>();
        if (desired.ChangedSince(applied) is { } keys)
        {
            // Rendered from applied: only these Services can differ (O(changed), no walk over all Services).
            foreach (var key in keys)
            {
                applied.Index.TryGetValue(key, out var o);
                desired.Index.TryGetValue(key, out var n);
                if (o is null && n is null) continue;
                if (o is null || n is null || (!ReferenceEquals(o, n) && o.Fingerprint != n.Fingerprint)) changed.Add((o, n));
            }
        }
        else
        {
            foreach (var (key, n) in desired.Services)
            {
                if (applied.Services.TryGetValue(key, out var o))
                {
                    if (!ReferenceEquals(o, n) && o.Fingerprint != n.Fingerprint) changed.Add((o, n));
                }
                else changed.Add((null, n));
            }
            foreach (var (key, o) in applied.Services)
                if (!desired.Services.ContainsKey(key)) changed.Add((o, null));
        }
        if (changed.Count == 0) return new NftTransaction("", 0, 0, []);

        var add = new List<NftOp>();
        var flush = new List<NftOp>();
        var replaceSets = new List<NftOp>();
        var fill = new List<NftOp>();
        var removeFlush = new List<NftOp>();
        var remove = new List<NftOp>();
        var oldElements = new Dictionary<(string Map, string Key), (string? Value, ServiceKey Service)>();
        var newElements = new Dictionary<(string Map, string Key), (string? Value, ServiceKey Service)>();

        foreach (var (o, n) in changed)
        {
            var svc = (n ?? o)!.Key;
            var oldChains = o?.Chains.Select(c => c.Name).ToHashSet(StringComparer.Ordinal) ?? [];
            var newChains = n?.Chains.Select(c => c.Name).ToHashSet(StringComparer.Ordinal) ?? [];
            var oldSets = o?.Sets.ToDictionary(s => s.Name, s => s.Definition, StringComparer.Ordinal) ?? [];
            var newSets = n?.Sets.ToDictionary(s => s.Name, s => s.Definition, StringComparer.Ordinal) ?? [];
            var oldCounters = o?.Counters.ToHashSet(StringComparer.Ordinal) ?? [];
            var newCounters = n?.Counters.ToHashSet(StringComparer.Ordinal) ?? [];

            foreach (var c in (n?.Counters ?? []).Where(c => !oldCounters.Contains(c))) add.Add(new(NftOpKind.AddCounter, svc, c));
            foreach (var set in (n?.Sets ?? []).Where(s => !oldSets.ContainsKey(s.Name))) add.Add(new(NftOpKind.AddSet, svc, set.Name, set.Definition));
            foreach (var c in (n?.Chains ?? []).Select(c => c.Name).Where(c => !oldChains.Contains(c))) add.Add(new(NftOpKind.AddChain, svc, c));
            foreach (var c in (o?.Chains ?? []).Select(c => c.Name).Where(newChains.Contains)) flush.Add(new(NftOpKind.FlushChain, svc, c));
            foreach (var set in (n?.Sets ?? []).Where(s => oldSets.TryGetValue(s.Name, out var d) && d != s.Definition))
            {
                replaceSets.Add(new(NftOpKind.DeleteSet, svc, set.Name));
                replaceSets.Add(new(NftOpKind.AddSet, svc, set.Name, set.Definition));
            }
            foreach (var c in n?.Chains ?? [])
                foreach (var r in c.Rules) fill.Add(new(NftOpKind.AddRule, svc, c.Name, r));
            foreach (var c in (o?.Chains ?? []).Select(c => c.Name).Where(c => !newChains.Contains(c)))
            {
                removeFlush.Add(new(NftOpKind.FlushChain, svc, c));
                remove.Add(new(NftOpKind.DeleteChain, svc, c));
            }
            foreach (var set in (o?.Sets ?? []).Select(s => s.Name).Where(s => !newSets.ContainsKey(s))) remove.Add(new(NftOpKind.DeleteSet, svc, set));
            foreach (var c in (o?.Counters ?? []).Where(c => !newCounters.Contains(c))) remove.Add(new(NftOpKind.DeleteCounter, svc, c));
            foreach (var e in o?.Elements ?? []) oldElements[(e.Map, e.Key)] = (e.Value, svc);
            foreach (var e in n?.Elements ?? []) newElements[(e.Map, e.Key)] = (e.Value, svc);
        }

        // Shapes: a new one adds its set and its rule in the first phase (make); one no Service uses any more loses its rule
        // and set in the second (break), once no LB IP:port is a member any more.
        var newShapes = desired.ShapeCounts.Keys.Where(k => !applied.ShapeCounts.ContainsKey(k)).ToList();
        var goneShapes = applied.ShapeCounts.Keys.Where(k => !desired.ShapeCounts.ContainsKey(k)).ToList();
        var breakOps = new List<NftOp>();
        var none = default(ServiceKey);
        if (newShapes.Count > 0)
        {
            foreach (var shape in newShapes) add.Add(new(NftOpKind.AddSet, none, shape, NftShapes.SetDefinition(shape)));
            var during = applied.ShapeCounts.Keys.Concat(newShapes).ToList();
            foreach (var chain in newShapes.Select(NftShapes.Chain).Distinct().Order(StringComparer.Ordinal))
            {
                flush.Add(new(NftOpKind.FlushChain, none, chain));
                foreach (var rule in NftShapes.RulesOf(chain, during, desired.Options.HashSeed)) fill.Add(new(NftOpKind.AddRule, none, chain, rule));
            }
        }
        var shapeChanges = newShapes.Concat(goneShapes).ToList();

        // Shared elements (reference-counted): only those a changed Service had or has can change.
        foreach (var (o, n) in changed)
        {
            var svc = (n ?? o)!.Key;
            foreach (var e in o?.Shared ?? [])
                if (!desired.SharedCounts.ContainsKey(e)) oldElements[(e.Map, e.Key)] = (e.Value, svc);
            foreach (var e in n?.Shared ?? [])
                if (!applied.SharedCounts.ContainsKey(e)) newElements[(e.Map, e.Key)] = (e.Value, svc);
        }

        var deletes = new SortedDictionary<(string Map, ServiceKey Service), List<NftElement>>(ElementGroupComparer.Instance);
        var adds = new SortedDictionary<(string Map, ServiceKey Service), List<NftElement>>(ElementGroupComparer.Instance);
        foreach (var ((map, key), (value, svc)) in oldElements)
            if (!newElements.TryGetValue((map, key), out var nv) || nv.Value != value) Add(deletes, svc, new NftElement(map, key, value));
        foreach (var ((map, key), (value, svc)) in newElements)
            if (!oldElements.TryGetValue((map, key), out var ov) || ov.Value != value) Add(adds, svc, new NftElement(map, key, value));

        // Make before break. A packet's set lookups are not one atomic read: each uses the generation current when it
        // runs, so a lookup before a commit and the next one after it can both miss (the LB IP:port left shape set A
        // before the packet looked there and joined B after it looked there), and the packet would go out un-NATed.
        // So: first everything that adds or replaces (an LB IP:port joins its new shape while still in the old one;
        // ring slots it no longer uses keep pointing at a live endpoint), then the removals of memberships and shapes,
        // then the ring slots nobody can draw any more. At any commit a straddling packet finds a valid path.
        var make = new List<NftOp>();
        var cleanup = new List<NftOp>();
        make.AddRange(add);
        make.AddRange(flush);
        // Chains that go away are emptied before any set is replaced: a rule of theirs may still use the set (EBUSY).
        make.AddRange(removeFlush);
        var padding = new List<NftOp>();
        foreach (var ((map, svc), list) in deletes)
        {
            if (IsMembership(map)) { breakOps.Add(new(NftOpKind.DeleteElements, svc, map, Elements: list)); continue; }
            // A source range goes after the LB IP:port stops being filtered (fw), or a packet could see fw from before
            // the commit and allow from after it, and be dropped.
            if (map.StartsWith("allow", StringComparison.Ordinal)) { cleanup.Add(new(NftOpKind.DeleteElements, svc, map, Elements: list)); continue; }
            if (NftShapes.IsRing(map) || map.StartsWith("hp", StringComparison.Ordinal))
            {
                var replaced = list.Where(e => newElements.ContainsKey((e.Map, e.Key))).ToList();
                var dropped = list.Where(e => !newElements.ContainsKey((e.Map, e.Key))).ToList();
                if (replaced.Count > 0) make.Add(new(NftOpKind.DeleteElements, svc, map, Elements: replaced));
                if (dropped.Count > 0)
                {
                    cleanup.Add(new(NftOpKind.DeleteElements, svc, map, Elements: dropped));
                    if (NftShapes.IsRing(map)) Pad(map, svc, dropped, newElements, make, padding);
                }
                continue;
            }
            make.Add(new(NftOpKind.DeleteElements, svc, map, Elements: list));
        }
        make.AddRange(replaceSets);
        make.AddRange(fill);
        foreach (var ((map, svc), list) in adds) make.Add(new(NftOpKind.AddElements, svc, map, Elements: list));
        make.AddRange(padding);
        make.AddRange(remove);
        if (goneShapes.Count > 0)
        {
            foreach (var chain in goneShapes.Select(NftShapes.Chain).Distinct().Order(StringComparer.Ordinal))
            {
                breakOps.Add(new(NftOpKind.FlushChain, none, chain));
                foreach (var rule in NftShapes.RulesOf(chain, desired.ShapeCounts.Keys, desired.Options.HashSeed)) breakOps.Add(new(NftOpKind.AddRule, none, chain, rule));
            }
            foreach (var shape in goneShapes) breakOps.Add(new(NftOpKind.DeleteSet, none, shape));
        }
        var phases = new[] { make, breakOps, cleanup }.Where(p => p.Count > 0).ToList();
        if (phases.Count == 0) return new NftTransaction("", changed.Count, 0, []);
        NftTransaction? next = null;
        for (var i = phases.Count - 1; i >= 0; i--)
        {
            var ops = phases[i];
            next = new NftTransaction(Text(t, ops), changed.Count, ops.Sum(op => op.Elements?.Count ?? 1) + (next?.Operations ?? 0), ops)
            {
                ChangesShapes = shapeChanges.Count > 0,
                Then = next,
            };
        }
        return next;
    }

    /// <summary>Sets whose elements say "this LB IP:port is/has X": policy, dispatch and shape membership.</summary>
    private static bool IsMembership(string map) => NftShapes.IsShape(map) || NftNames.IsPolicySet(map);

    /// <summary>
    /// Ring slots the new ring does not have (it shrank) keep a live endpoint until the cleanup phase: slot j takes the
    /// new ring's slot j mod n. An LB IP:port that leaves the ring altogether keeps its old slots (it leaves its shape
    /// set first, so only a packet straddling that commit can still draw them).
    /// </summary>
    private static void Pad(string map, ServiceKey svc, List<NftElement> dropped, Dictionary<(string Map, string Key), (string? Value, ServiceKey Service)> newElements,
        List<NftOp> make, List<NftOp> padding)
    {
        var replace = new List<NftElement>();
        var values = new List<NftElement>();
        foreach (var e in dropped)
        {
            var cut = e.Key.LastIndexOf(" . ", StringComparison.Ordinal);
            if (cut < 0 || !int.TryParse(e.Key.AsSpan(cut + 3), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var slot)) continue;
            var prefix = e.Key[..(cut + 3)];
            var n = 0;
            while (newElements.ContainsKey((map, prefix + n.ToString(System.Globalization.CultureInfo.InvariantCulture)))) n++;
            if (n == 0) continue;
            var live = newElements[(map, prefix + (slot % n).ToString(System.Globalization.CultureInfo.InvariantCulture))].Value;
            if (live == e.Value) continue;
            replace.Add(e);
            values.Add(new NftElement(map, e.Key, live));
        }
        if (replace.Count == 0) return;
        make.Add(new(NftOpKind.DeleteElements, svc, map, Elements: replace));
        padding.Add(new(NftOpKind.AddElements, svc, map, Elements: values));
    }

    /// <summary>The nft input for <paramref name="ops"/> (element operations grouped per map, as nft prints them).</summary>
    private static string Text(string t, List<NftOp> ops)
    {
        var sb = new StringBuilder(256 + ops.Count * 96);
        for (var i = 0; i < ops.Count; i++)
        {
            var op = ops[i];
            switch (op.Kind)
            {
                case NftOpKind.AddCounter: sb.Append($"add counter inet {t} {op.Name}\n"); break;
                case NftOpKind.AddSet: sb.Append($"add set inet {t} {op.Name} {{ {op.Text} }}\n"); break;
                case NftOpKind.AddChain: sb.Append($"add chain inet {t} {op.Name}\n"); break;
                case NftOpKind.FlushChain: sb.Append($"flush chain inet {t} {op.Name}\n"); break;
                case NftOpKind.DeleteSet: sb.Append($"delete set inet {t} {op.Name}\n"); break;
                case NftOpKind.AddRule: sb.Append($"add rule inet {t} {op.Name} {op.Text}\n"); break;
                case NftOpKind.DeleteChain: sb.Append($"delete chain inet {t} {op.Name}\n"); break;
                case NftOpKind.DeleteCounter: sb.Append($"delete counter inet {t} {op.Name}\n"); break;
                case NftOpKind.AddElements or NftOpKind.DeleteElements:
                    // Consecutive groups of the same map become one command.
                    var list = new List<NftElement>(op.Elements!);
                    while (i + 1 < ops.Count && ops[i + 1].Kind == op.Kind && ops[i + 1].Name == op.Name) list.AddRange(ops[++i].Elements!);
                    NftText.AppendElements(sb, op.Kind == NftOpKind.AddElements ? "add" : "delete", t, op.Name, list);
                    break;
            }
        }
        return sb.ToString();
    }

    private sealed class ElementGroupComparer : IComparer<(string Map, ServiceKey Service)>
    {
        public static readonly ElementGroupComparer Instance = new();

        public int Compare((string Map, ServiceKey Service) x, (string Map, ServiceKey Service) y)
        {
            var c = string.CompareOrdinal(x.Map, y.Map);
            return c != 0 ? c : ServiceKeyComparer.Instance.Compare(x.Service, y.Service);
        }
    }

    private static void Add(SortedDictionary<(string Map, ServiceKey Service), List<NftElement>> groups, ServiceKey svc, NftElement e)
    {
        if (!groups.TryGetValue((e.Map, svc), out var list)) groups[(e.Map, svc)] = list = [];
        list.Add(e);
    }
}
