using System.Collections.Immutable;

namespace LoadBalancer.Speaker.Planning;

/// <summary>The operator of one <see cref="SelectorRequirement"/> (Kubernetes LabelSelectorRequirement).</summary>
internal enum SelectorOperator { In, NotIn, Exists, DoesNotExist }

/// <summary>One <c>matchExpressions</c> entry.</summary>
internal sealed record SelectorRequirement(string Key, SelectorOperator Operator, ImmutableArray<string> Values);

/// <summary>
/// A Kubernetes label selector (<c>matchLabels</c> AND every <c>matchExpressions</c> entry). An empty selector matches
/// everything. A list of selectors (nodeSelectors, serviceSelectors, ipAddressPoolSelectors) is an OR, and an empty list
/// matches everything: see <see cref="MatchesAny"/>.
/// </summary>
/// <remarks><see cref="Predicate"/>, when set, replaces the label rules (a parsed selector from the validated configuration).</remarks>
internal sealed record Selector(ImmutableDictionary<string, string> MatchLabels, ImmutableArray<SelectorRequirement> MatchExpressions,
    Func<IReadOnlyDictionary<string, string>, bool>? Predicate = null)
{
    public static Selector Everything { get; } = new(ImmutableDictionary<string, string>.Empty, []);

    /// <summary>Matches nothing (an advertisement whose pools all went away).</summary>
    public static Selector Nothing { get; } = From(_ => false);

    public static Selector From(Func<IReadOnlyDictionary<string, string>, bool> predicate) => new(ImmutableDictionary<string, string>.Empty, [], predicate);

    public static Selector Labels(params (string Key, string Value)[] labels)
        => new(labels.ToImmutableDictionary(l => l.Key, l => l.Value, StringComparer.Ordinal), []);

    public bool Matches(IReadOnlyDictionary<string, string> labels)
    {
        if (Predicate is not null) return Predicate(labels);
        foreach (var (key, value) in MatchLabels)
        {
            if (!labels.TryGetValue(key, out var actual) || actual != value) return false;
        }
        foreach (var r in MatchExpressions.IsDefault ? [] : MatchExpressions)
        {
            var has = labels.TryGetValue(r.Key, out var actual);
            var ok = r.Operator switch
            {
                SelectorOperator.In => has && r.Values.Contains(actual!),
                SelectorOperator.NotIn => !has || !r.Values.Contains(actual!),
                SelectorOperator.Exists => has,
                SelectorOperator.DoesNotExist => !has,
                _ => false,
            };
            if (!ok) return false;
        }
        return true;
    }

    /// <summary>OR over <paramref name="selectors"/>; an empty (or default) list matches everything.</summary>
    public static bool MatchesAny(ImmutableArray<Selector> selectors, IReadOnlyDictionary<string, string> labels)
    {
        if (selectors.IsDefaultOrEmpty) return true;
        foreach (var s in selectors)
        {
            if (s.Matches(labels)) return true;
        }
        return false;
    }
}
