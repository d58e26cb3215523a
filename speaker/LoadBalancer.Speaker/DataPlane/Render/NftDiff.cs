using System.Text;

namespace LoadBalancer.Speaker.DataPlane.Render;

/// <summary>The transaction that turns one applied ruleset into another, and how many Services it touches.</summary>
internal sealed record NftTransaction(string Text, int ChangedServices, int Operations)
{
    public bool IsEmpty => Operations == 0;
}

/// <summary>
/// Incremental update: only Services whose content changed are touched, each replaced as a whole (new chains,
/// flush and refill of surviving chains, element delete/add, removal of what is gone), all in one transaction.
/// The cost is O(changed Services), never O(all Services). Order inside the transaction matters because the
/// kernel checks references as it goes:
/// 1 add new chains, sets and counters; 2 flush surviving chains of changed Services; 3 delete stale elements;
/// 4 replace sets whose definition changed; 5 fill the chains; 6 add new elements; 7 flush, then delete, chains
/// that are gone, then sets and counters that are gone.
/// </summary>
internal static class NftDiff
{
    /// <summary>Returns null when the two rulesets do not share a base (other options or table): do a full replace.</summary>
    public static NftTransaction? Incremental(NftRuleset applied, NftRuleset desired)
    {
        if (!applied.Options.Equals(desired.Options)) return null;
        var t = desired.Table;
        var changed = new List<(NftServiceObjects? Old, NftServiceObjects? New)>();
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
        if (changed.Count == 0) return new NftTransaction("", 0, 0);

        var add = new StringBuilder();
        var flush = new StringBuilder();
        var replaceSets = new StringBuilder();
        var fill = new StringBuilder();
        var removeFlush = new StringBuilder();
        var remove = new StringBuilder();
        var oldElements = new Dictionary<(string Map, string Key), string?>();
        var newElements = new Dictionary<(string Map, string Key), string?>();
        var ops = 0;

        foreach (var (o, n) in changed)
        {
            var oldChains = o?.Chains.Select(c => c.Name).ToHashSet(StringComparer.Ordinal) ?? [];
            var newChains = n?.Chains.Select(c => c.Name).ToHashSet(StringComparer.Ordinal) ?? [];
            var oldSets = o?.Sets.ToDictionary(s => s.Name, s => s.Definition, StringComparer.Ordinal) ?? [];
            var newSets = n?.Sets.ToDictionary(s => s.Name, s => s.Definition, StringComparer.Ordinal) ?? [];
            var oldCounters = o?.Counters.ToHashSet(StringComparer.Ordinal) ?? [];
            var newCounters = n?.Counters.ToHashSet(StringComparer.Ordinal) ?? [];

            foreach (var c in (n?.Counters ?? []).Where(c => !oldCounters.Contains(c))) { add.Append($"add counter inet {t} {c}\n"); ops++; }
            foreach (var (name, def) in (n?.Sets ?? []).Where(s => !oldSets.ContainsKey(s.Name)).Select(s => (s.Name, s.Definition))) { add.Append($"add set inet {t} {name} {{ {def} }}\n"); ops++; }
            foreach (var c in (n?.Chains ?? []).Select(c => c.Name).Where(c => !oldChains.Contains(c))) { add.Append($"add chain inet {t} {c}\n"); ops++; }
            foreach (var c in (o?.Chains ?? []).Select(c => c.Name).Where(newChains.Contains)) { flush.Append($"flush chain inet {t} {c}\n"); ops++; }
            foreach (var (name, def) in (n?.Sets ?? []).Where(s => oldSets.TryGetValue(s.Name, out var d) && d != s.Definition).Select(s => (s.Name, s.Definition)))
            {
                replaceSets.Append($"delete set inet {t} {name}\nadd set inet {t} {name} {{ {def} }}\n");
                ops += 2;
            }
            foreach (var c in n?.Chains ?? [])
                foreach (var r in c.Rules) { fill.Append($"add rule inet {t} {c.Name} {r}\n"); ops++; }
            foreach (var c in (o?.Chains ?? []).Select(c => c.Name).Where(c => !newChains.Contains(c)))
            {
                removeFlush.Append($"flush chain inet {t} {c}\n");
                remove.Append($"delete chain inet {t} {c}\n");
                ops += 2;
            }
            foreach (var s in (o?.Sets ?? []).Select(s => s.Name).Where(s => !newSets.ContainsKey(s))) { remove.Append($"delete set inet {t} {s}\n"); ops++; }
            foreach (var c in (o?.Counters ?? []).Where(c => !newCounters.Contains(c))) { remove.Append($"delete counter inet {t} {c}\n"); ops++; }
            foreach (var e in o?.Elements ?? []) oldElements[(e.Map, e.Key)] = e.Value;
            foreach (var e in n?.Elements ?? []) newElements[(e.Map, e.Key)] = e.Value;
        }

        var deletes = new SortedDictionary<string, List<NftElement>>(StringComparer.Ordinal);
        var adds = new SortedDictionary<string, List<NftElement>>(StringComparer.Ordinal);
        foreach (var ((map, key), value) in oldElements)
            if (!newElements.TryGetValue((map, key), out var nv) || nv != value) Add(deletes, new NftElement(map, key, value));
        foreach (var ((map, key), value) in newElements)
            if (!oldElements.TryGetValue((map, key), out var ov) || ov != value) Add(adds, new NftElement(map, key, value));

        var sb = new StringBuilder(add.Length + flush.Length + fill.Length + remove.Length + removeFlush.Length + 256);
        sb.Append(add).Append(flush);
        foreach (var (map, list) in deletes) { NftText.AppendElements(sb, "delete", t, map, list); ops += list.Count; }
        sb.Append(replaceSets).Append(fill);
        foreach (var (map, list) in adds) { NftText.AppendElements(sb, "add", t, map, list); ops += list.Count; }
        sb.Append(removeFlush).Append(remove);
        return new NftTransaction(sb.ToString(), changed.Count, ops);
    }

    private static void Add(SortedDictionary<string, List<NftElement>> byMap, NftElement e)
    {
        if (!byMap.TryGetValue(e.Map, out var list)) byMap[e.Map] = list = [];
        list.Add(e);
    }
}
