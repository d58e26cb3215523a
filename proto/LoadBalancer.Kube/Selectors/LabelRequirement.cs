namespace LoadBalancer.Kube;

/// <summary>One term of a label selector.</summary>
public sealed record LabelRequirement(string Key, LabelOperator Operator, IReadOnlyList<string> Values)
{
    public bool Matches(IReadOnlyDictionary<string, string>? labels)
    {
        string? value = null;
        var has = labels is not null && labels.TryGetValue(Key, out value);
        return Operator switch
        {
            LabelOperator.In => has && Values.Contains(value!, StringComparer.Ordinal),
            LabelOperator.NotIn => !has || !Values.Contains(value!, StringComparer.Ordinal),
            LabelOperator.Exists => has,
            LabelOperator.DoesNotExist => !has,
            LabelOperator.GreaterThan => has && long.TryParse(value, out var g) && g > long.Parse(Values[0], System.Globalization.CultureInfo.InvariantCulture),
            LabelOperator.LessThan => has && long.TryParse(value, out var l) && l < long.Parse(Values[0], System.Globalization.CultureInfo.InvariantCulture),
            _ => false,
        };
    }

    /// <summary>The selector-string form (<c>k in (a,b)</c>, <c>k=v</c>, <c>!k</c>...).</summary>
    public override string ToString() => Operator switch
    {
        LabelOperator.In when Values.Count == 1 => $"{Key}={Values[0]}",
        LabelOperator.NotIn when Values.Count == 1 => $"{Key}!={Values[0]}",
        LabelOperator.In => $"{Key} in ({string.Join(',', Values)})",
        LabelOperator.NotIn => $"{Key} notin ({string.Join(',', Values)})",
        LabelOperator.Exists => Key,
        LabelOperator.DoesNotExist => "!" + Key,
        LabelOperator.GreaterThan => $"{Key}>{Values[0]}",
        LabelOperator.LessThan => $"{Key}<{Values[0]}",
        _ => Key,
    };
}

public enum LabelOperator
{
    In,
    NotIn,
    Exists,
    DoesNotExist,
    GreaterThan,
    LessThan,
}
