using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Text;
using LoadBalancer.Kube.Api;

namespace LoadBalancer.Kube;

/// <summary>
/// An evaluated label selector (the rules of apimachinery's <c>labels.Selector</c>). Build one from a metav1
/// <see cref="LabelSelector"/> (<see cref="FromSelector"/>: a null selector matches nothing, an empty one matches
/// everything, as in Kubernetes) or parse a selector string (<see cref="Parse"/>). Invalid input throws
/// <see cref="InvalidLabelSelectorException"/> naming the field; the Try forms return the message instead.
/// Immutable and thread-safe.
/// </summary>
public sealed class LabelSelectorMatcher
{
    private readonly bool _nothing;

    private LabelSelectorMatcher(IReadOnlyList<LabelRequirement> requirements, bool nothing)
    {
        Requirements = requirements;
        _nothing = nothing;
    }

    /// <summary>Matches every label set (an empty selector).</summary>
    public static LabelSelectorMatcher Everything { get; } = new([], nothing: false);

    /// <summary>Matches no label set (a null metav1 selector).</summary>
    public static LabelSelectorMatcher Nothing { get; } = new([], nothing: true);

    /// <summary>The terms, sorted by key; all must match.</summary>
    public IReadOnlyList<LabelRequirement> Requirements { get; }

    public bool IsEverything => !_nothing && Requirements.Count == 0;
    public bool IsNothing => _nothing;

    public bool Matches(IReadOnlyDictionary<string, string>? labels)
    {
        if (_nothing) return false;
        foreach (var r in Requirements)
            if (!r.Matches(labels)) return false;
        return true;
    }

    public bool Matches(IKubeObject obj) => Matches(obj.Metadata.Labels);

    /// <summary>The canonical selector string (for a list/watch <c>labelSelector</c> query).</summary>
    public override string ToString() => string.Join(',', Requirements.Select(r => r.ToString()));

    /// <summary>From a metav1 LabelSelector (matchLabels AND matchExpressions).</summary>
    public static LabelSelectorMatcher FromSelector(LabelSelector? selector)
    {
        if (selector is null) return Nothing;
        var reqs = new List<LabelRequirement>();
        if (selector.MatchLabels is not null)
        {
            foreach (var (key, value) in selector.MatchLabels)
            {
                var field = $"matchLabels[{key}]";
                ValidateKey(key, field);
                ValidateValue(value, field);
                reqs.Add(new LabelRequirement(key, LabelOperator.In, [value]));
            }
        }
        if (selector.MatchExpressions is not null)
        {
            for (var i = 0; i < selector.MatchExpressions.Count; i++)
            {
                var e = selector.MatchExpressions[i];
                var field = $"matchExpressions[{i}]";
                if (e is null) throw new InvalidLabelSelectorException(field, "Required value: expression");
                ValidateKey(e.Key ?? "", field + ".key");
                var values = e.Values ?? [];
                LabelOperator op = e.Operator switch
                {
                    "In" => LabelOperator.In,
                    "NotIn" => LabelOperator.NotIn,
                    "Exists" => LabelOperator.Exists,
                    "DoesNotExist" => LabelOperator.DoesNotExist,
                    _ => throw new InvalidLabelSelectorException(field + ".operator",
                        $"Unsupported value: \"{e.Operator}\": supported values: \"In\", \"NotIn\", \"Exists\", \"DoesNotExist\""),
                };
                if (op is LabelOperator.In or LabelOperator.NotIn && values.Count == 0)
                    throw new InvalidLabelSelectorException(field + ".values", $"Required value: must be specified when `operator` is '{e.Operator}'");
                if (op is LabelOperator.Exists or LabelOperator.DoesNotExist && values.Count != 0)
                    throw new InvalidLabelSelectorException(field + ".values", $"Forbidden: may not be specified when `operator` is '{e.Operator}'");
                for (var j = 0; j < values.Count; j++) ValidateValue(values[j], $"{field}.values[{j}]");
                reqs.Add(new LabelRequirement(e.Key!, op, values.Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToArray()));
            }
        }
        return Build(reqs);
    }

    public static bool TryFromSelector(LabelSelector? selector, [NotNullWhen(true)] out LabelSelectorMatcher? matcher, [NotNullWhen(false)] out string? error)
    {
        try
        {
            matcher = FromSelector(selector);
            error = null;
            return true;
        }
        catch (InvalidLabelSelectorException ex)
        {
            matcher = null;
            error = ex.Message;
            return false;
        }
    }

    /// <summary>
    /// Parses a selector string: comma-separated <c>k</c>, <c>!k</c>, <c>k=v</c>, <c>k==v</c>, <c>k!=v</c>,
    /// <c>k in (a,b)</c>, <c>k notin (a,b)</c>, <c>k&gt;1</c>, <c>k&lt;1</c>. Empty or whitespace is <see cref="Everything"/>.
    /// </summary>
    public static LabelSelectorMatcher Parse(string selector)
    {
        ArgumentNullException.ThrowIfNull(selector);
        return Build(new SelectorParser(selector).ParseAll());
    }

    public static bool TryParse(string selector, [NotNullWhen(true)] out LabelSelectorMatcher? matcher, [NotNullWhen(false)] out string? error)
    {
        try
        {
            matcher = Parse(selector);
            error = null;
            return true;
        }
        catch (InvalidLabelSelectorException ex)
        {
            matcher = null;
            error = ex.Message;
            return false;
        }
    }

    /// <summary>A selector that matches exactly these labels (like matchLabels).</summary>
    public static LabelSelectorMatcher FromLabels(IReadOnlyDictionary<string, string> labels)
        => FromSelector(new LabelSelector { MatchLabels = labels.ToDictionary(p => p.Key, p => p.Value, StringComparer.Ordinal) });

    private static LabelSelectorMatcher Build(List<LabelRequirement> reqs)
    {
        if (reqs.Count == 0) return Everything;
        reqs.Sort((a, b) =>
        {
            var c = string.CompareOrdinal(a.Key, b.Key);
            if (c != 0) return c;
            c = a.Operator.CompareTo(b.Operator);
            return c != 0 ? c : string.CompareOrdinal(a.ToString(), b.ToString());
        });
        return new LabelSelectorMatcher(reqs.ToArray(), nothing: false);
    }

    /// <summary>Validates a label key (optional DNS-subdomain prefix and '/', then a name of at most 63 characters).</summary>
    public static void ValidateKey(string key, string field)
    {
        if (string.IsNullOrEmpty(key)) throw new InvalidLabelSelectorException(field, "Invalid value: \"\": name part must be non-empty");
        var slash = key.IndexOf('/', StringComparison.Ordinal);
        var name = key;
        if (slash >= 0)
        {
            var prefix = key[..slash];
            name = key[(slash + 1)..];
            if (prefix.Length == 0) throw new InvalidLabelSelectorException(field, $"Invalid value: \"{key}\": prefix part must be non-empty");
            if (prefix.Length > 253) throw new InvalidLabelSelectorException(field, $"Invalid value: \"{key}\": prefix part must be no more than 253 characters");
            if (!IsDnsSubdomain(prefix))
                throw new InvalidLabelSelectorException(field, $"Invalid value: \"{key}\": prefix part must be a lowercase RFC 1123 subdomain (e.g. 'example.com')");
        }
        if (name.Length == 0) throw new InvalidLabelSelectorException(field, $"Invalid value: \"{key}\": name part must be non-empty");
        if (name.Length > 63) throw new InvalidLabelSelectorException(field, $"Invalid value: \"{key}\": name part must be no more than 63 characters");
        if (!IsQualifiedNamePart(name))
            throw new InvalidLabelSelectorException(field,
                $"Invalid value: \"{key}\": name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character");
    }

    /// <summary>Validates a label value (empty, or at most 63 characters of [A-Za-z0-9-_.] starting and ending alphanumeric).</summary>
    public static void ValidateValue(string? value, string field)
    {
        if (string.IsNullOrEmpty(value)) return;
        if (value.Length > 63) throw new InvalidLabelSelectorException(field, $"Invalid value: \"{value}\": must be no more than 63 characters");
        if (!IsQualifiedNamePart(value))
            throw new InvalidLabelSelectorException(field,
                $"Invalid value: \"{value}\": a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character");
    }

    private static bool IsQualifiedNamePart(string s)
    {
        if (!char.IsAsciiLetterOrDigit(s[0]) || !char.IsAsciiLetterOrDigit(s[^1])) return false;
        foreach (var c in s)
            if (!char.IsAsciiLetterOrDigit(c) && c is not ('-' or '_' or '.')) return false;
        return true;
    }

    private static bool IsDnsSubdomain(string s)
    {
        foreach (var label in s.Split('.'))
        {
            if (label.Length is 0 or > 63) return false;
            if (!IsLowerAlnum(label[0]) || !IsLowerAlnum(label[^1])) return false;
            foreach (var c in label)
                if (!IsLowerAlnum(c) && c != '-') return false;
        }
        return true;
    }

    private static bool IsLowerAlnum(char c) => char.IsAsciiDigit(c) || char.IsAsciiLetterLower(c);

    // Hand-written scanner for the selector-string grammar.
    private sealed class SelectorParser(string text)
    {
        private int _pos;

        public List<LabelRequirement> ParseAll()
        {
            var reqs = new List<LabelRequirement>();
            SkipSpace();
            if (_pos == text.Length) return reqs;
            while (true)
            {
                reqs.Add(ParseRequirement());
                SkipSpace();
                if (_pos == text.Length) return reqs;
                if (text[_pos] != ',') throw Error($"expected ',' or end of selector, found '{text[_pos]}'");
                _pos++;
                SkipSpace();
                if (_pos == text.Length) throw Error("expected a requirement after ','");
            }
        }

        private LabelRequirement ParseRequirement()
        {
            if (text[_pos] == '!')
            {
                _pos++;
                SkipSpace();
                var k = ReadToken();
                ValidateKey(k, Field());
                return new LabelRequirement(k, LabelOperator.DoesNotExist, []);
            }
            var keyStart = _pos;
            var key = ReadToken();
            if (key.Length == 0) throw Error($"expected a label key, found '{(_pos < text.Length ? text[_pos] : ' ')}'");
            ValidateKey(key, $"selector[{keyStart}]");
            SkipSpace();
            if (_pos == text.Length || text[_pos] == ',') return new LabelRequirement(key, LabelOperator.Exists, []);
            if (Take("==") || Take("="))
                return new LabelRequirement(key, LabelOperator.In, [ReadValue()]);
            if (Take("!="))
                return new LabelRequirement(key, LabelOperator.NotIn, [ReadValue()]);
            if (Take(">")) return new LabelRequirement(key, LabelOperator.GreaterThan, [ReadInteger()]);
            if (Take("<")) return new LabelRequirement(key, LabelOperator.LessThan, [ReadInteger()]);
            var word = ReadToken();
            var op = word switch
            {
                "in" => LabelOperator.In,
                "notin" => LabelOperator.NotIn,
                _ => throw Error($"expected an operator (=, ==, !=, in, notin, >, <) after key '{key}', found '{word}'"),
            };
            SkipSpace();
            if (!Take("(")) throw Error($"expected '(' after '{word}'");
            var values = new List<string>();
            while (true)
            {
                SkipSpace();
                if (Take(")")) break;
                if (values.Count > 0 && !Take(",")) throw Error("expected ',' or ')' in value set");
                SkipSpace();
                var start = _pos;
                var v = ReadToken();
                ValidateValue(v, $"selector[{start}]");
                values.Add(v);
                SkipSpace();
                if (_pos == text.Length) throw Error("unterminated value set: expected ')'");
            }
            if (values.Count == 0) throw Error($"'{word}' needs at least one value");
            return new LabelRequirement(key, op, values.Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToArray());
        }

        private string ReadValue()
        {
            SkipSpace();
            var start = _pos;
            var v = ReadToken();
            ValidateValue(v, $"selector[{start}]");
            return v;
        }

        private string ReadInteger()
        {
            SkipSpace();
            var v = ReadToken();
            if (!long.TryParse(v, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out _))
                throw Error($"expected an integer, found '{v}'");
            return v;
        }

        private string ReadToken()
        {
            var sb = new StringBuilder();
            while (_pos < text.Length)
            {
                var c = text[_pos];
                if (char.IsWhiteSpace(c) || c is ',' or '(' or ')' or '=' or '!' or '<' or '>') break;
                sb.Append(c);
                _pos++;
            }
            return sb.ToString();
        }

        private bool Take(string s)
        {
            if (string.CompareOrdinal(text, _pos, s, 0, s.Length) != 0) return false;
            _pos += s.Length;
            return true;
        }

        private void SkipSpace()
        {
            while (_pos < text.Length && char.IsWhiteSpace(text[_pos])) _pos++;
        }

        private string Field() => $"selector[{_pos}]";

        private InvalidLabelSelectorException Error(string detail) => new(Field(), $"{detail} in \"{text}\"");
    }
}
