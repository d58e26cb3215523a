using LoadBalancer.Kube;
using LoadBalancer.Kube.Api;

namespace LoadBalancer.Model.Config;

/// <summary>
/// Validates label selectors in CRs, reporting every problem with its field path, then builds the Kube
/// <see cref="LabelSelectorMatcher"/> (an empty selector selects everything).
/// </summary>
public static class SelectorValidation
{
    /// <summary>True when any selector of the list matches; an empty list matches everything.</summary>
    public static bool MatchesAny(IReadOnlyList<LabelSelectorMatcher> selectors, IReadOnlyDictionary<string, string>? labels)
    {
        if (selectors.Count == 0) return true;
        foreach (var s in selectors) if (s.Matches(labels)) return true;
        return false;
    }

    /// <summary>Validates and parses; each problem is added to <paramref name="errors"/> as (field path, message).</summary>
    public static LabelSelectorMatcher? TryParse(LabelSelector? selector, string field, List<(string Field, string Message)> errors)
    {
        if (selector is null) return LabelSelectorMatcher.Everything;
        var before = errors.Count;
        var labels = new List<KeyValuePair<string, string>>();
        foreach (var (k, v) in selector.MatchLabels ?? [])
        {
            if (ValidateKey(k) is string e) errors.Add(($"{field}.matchLabels", $"invalid label key \"{k}\": {e}"));
            if (ValidateValue(v) is string ve) errors.Add(($"{field}.matchLabels[{k}]", $"invalid label value \"{v}\": {ve}"));
            labels.Add(new(k, v ?? ""));
        }
        var expressions = new List<(string, string, string[])>();
        var i = 0;
        foreach (var r in selector.MatchExpressions ?? [])
        {
            var path = $"{field}.matchExpressions[{i++}]";
            if (r is null) { errors.Add((path, "empty requirement")); continue; }
            if (ValidateKey(r.Key) is string e) errors.Add(($"{path}.key", $"invalid label key \"{r.Key}\": {e}"));
            var values = r.Values ?? [];
            switch (r.Operator)
            {
                case "In" or "NotIn":
                    if (values.Count == 0) errors.Add(($"{path}.values", $"operator {r.Operator} needs at least one value"));
                    break;
                case "Exists" or "DoesNotExist":
                    if (values.Count != 0) errors.Add(($"{path}.values", $"operator {r.Operator} takes no values"));
                    break;
                default:
                    errors.Add(($"{path}.operator", $"unknown operator \"{r.Operator}\" (In, NotIn, Exists, DoesNotExist)"));
                    break;
            }
            foreach (var v in values)
            {
                if (ValidateValue(v) is string ve) errors.Add(($"{path}.values", $"invalid label value \"{v}\": {ve}"));
            }
            expressions.Add((r.Key, r.Operator, values.Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToArray()));
        }
        if (errors.Count != before) return null;
        if (!LabelSelectorMatcher.TryFromSelector(selector, out var matcher, out var error))
        {
            errors.Add((field, error));
            return null;
        }
        return matcher;
    }

    /// <summary>Parses a list of selectors at <c>field[i]</c>; null when any is invalid.</summary>
    public static IReadOnlyList<LabelSelectorMatcher>? TryParseList(List<LabelSelector>? selectors, string field, List<(string Field, string Message)> errors)
    {
        var result = new List<LabelSelectorMatcher>();
        var ok = true;
        for (var i = 0; i < (selectors?.Count ?? 0); i++)
        {
            var m = TryParse(selectors![i], $"{field}[{i}]", errors);
            if (m is null) ok = false;
            else result.Add(m);
        }
        return ok ? result : null;
    }

    /// <summary>A label key: optional DNS-subdomain prefix and '/', then a name of 1-63 characters.</summary>
    public static string? ValidateKey(string? key)
    {
        if (string.IsNullOrEmpty(key)) return "must not be empty";
        var slash = key.IndexOf('/', StringComparison.Ordinal);
        var name = key;
        if (slash >= 0)
        {
            var prefix = key[..slash];
            name = key[(slash + 1)..];
            if (prefix.Length == 0 || prefix.Length > 253) return "the prefix must be a DNS subdomain of 1-253 characters";
            foreach (var label in prefix.Split('.'))
            {
                if (!IsDnsLabel(label)) return $"the prefix \"{prefix}\" must be a lowercase DNS subdomain";
            }
        }
        if (name.Length == 0 || name.Length > 63) return "the name part must be 1-63 characters";
        return IsQualifiedName(name) ? null : "the name part must consist of alphanumerics, '-', '_' or '.', and start and end with an alphanumeric";
    }

    public static string? ValidateValue(string? value)
    {
        if (string.IsNullOrEmpty(value)) return null;
        if (value.Length > 63) return "must be at most 63 characters";
        return IsQualifiedName(value) ? null : "must consist of alphanumerics, '-', '_' or '.', and start and end with an alphanumeric";
    }

    private static bool IsQualifiedName(string s)
    {
        if (!char.IsAsciiLetterOrDigit(s[0]) || !char.IsAsciiLetterOrDigit(s[^1])) return false;
        foreach (var c in s) if (!(char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.')) return false;
        return true;
    }

    /// <summary>RFC 1123 label: lowercase alphanumerics and '-', 1-63, alphanumeric at both ends.</summary>
    public static bool IsDnsLabel(string? s)
    {
        if (string.IsNullOrEmpty(s) || s.Length > 63) return false;
        if (!(char.IsAsciiLetterLower(s[0]) || char.IsAsciiDigit(s[0])) || !(char.IsAsciiLetterLower(s[^1]) || char.IsAsciiDigit(s[^1]))) return false;
        foreach (var c in s) if (!(char.IsAsciiLetterLower(c) || char.IsAsciiDigit(c) || c == '-')) return false;
        return true;
    }
}
