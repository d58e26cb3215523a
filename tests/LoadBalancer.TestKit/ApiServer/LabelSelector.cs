namespace LoadBalancer.TestKit.ApiServer;

/// <summary>A parsed label selector: <c>a=b,c==d,e!=f,g in (h,i),j notin (k),l,!m</c>.</summary>
internal sealed class LabelSelector
{
    private enum Op { Equals, NotEquals, In, NotIn, Exists, DoesNotExist }

    private sealed record Requirement(string Key, Op Op, IReadOnlyList<string> Values);

    private readonly List<Requirement> _requirements;

    private LabelSelector(List<Requirement> requirements) => _requirements = requirements;

    public static LabelSelector Everything { get; } = new([]);

    public bool IsEmpty => _requirements.Count == 0;

    public bool Matches(IReadOnlyDictionary<string, string> labels)
    {
        foreach (var r in _requirements)
        {
            var has = labels.TryGetValue(r.Key, out var value);
            var ok = r.Op switch
            {
                Op.Equals => has && value == r.Values[0],
                Op.NotEquals => !has || value != r.Values[0],
                Op.In => has && r.Values.Contains(value!),
                Op.NotIn => !has || !r.Values.Contains(value!),
                Op.Exists => has,
                Op.DoesNotExist => !has,
                _ => false,
            };
            if (!ok) return false;
        }
        return true;
    }

    /// <summary>Parses a selector; throws 400 BadRequest on a malformed one, as the server does.</summary>
    public static LabelSelector Parse(string? text)
    {
        if (string.IsNullOrWhiteSpace(text)) return Everything;
        var requirements = new List<Requirement>();
        foreach (var part in SplitTopLevel(text))
        {
            var p = part.Trim();
            if (p.Length == 0) throw ApiException.BadRequest($"unable to parse requirement: found '', expected: identifier in labelSelector \"{text}\"");
            if (p.StartsWith('!'))
            {
                requirements.Add(new Requirement(CheckKey(p[1..].Trim(), text), Op.DoesNotExist, []));
                continue;
            }
            var notin = IndexOfWord(p, "notin");
            var inIdx = IndexOfWord(p, "in");
            if (notin > 0)
            {
                requirements.Add(new Requirement(CheckKey(p[..notin].Trim(), text), Op.NotIn, ParseSet(p[(notin + 5)..], text)));
            }
            else if (inIdx > 0)
            {
                requirements.Add(new Requirement(CheckKey(p[..inIdx].Trim(), text), Op.In, ParseSet(p[(inIdx + 2)..], text)));
            }
            else if (p.Contains("!=", StringComparison.Ordinal))
            {
                var i = p.IndexOf("!=", StringComparison.Ordinal);
                requirements.Add(new Requirement(CheckKey(p[..i].Trim(), text), Op.NotEquals, [CheckValue(p[(i + 2)..].Trim(), text)]));
            }
            else if (p.Contains("==", StringComparison.Ordinal))
            {
                var i = p.IndexOf("==", StringComparison.Ordinal);
                requirements.Add(new Requirement(CheckKey(p[..i].Trim(), text), Op.Equals, [CheckValue(p[(i + 2)..].Trim(), text)]));
            }
            else if (p.Contains('=', StringComparison.Ordinal))
            {
                var i = p.IndexOf('=', StringComparison.Ordinal);
                requirements.Add(new Requirement(CheckKey(p[..i].Trim(), text), Op.Equals, [CheckValue(p[(i + 1)..].Trim(), text)]));
            }
            else
            {
                requirements.Add(new Requirement(CheckKey(p, text), Op.Exists, []));
            }
        }
        return new LabelSelector(requirements);
    }

    private static int IndexOfWord(string s, string word)
    {
        var i = s.IndexOf(" " + word + " ", StringComparison.Ordinal);
        if (i >= 0) return i + 1;
        i = s.IndexOf(" " + word + "(", StringComparison.Ordinal);
        return i >= 0 ? i + 1 : -1;
    }

    private static List<string> ParseSet(string rest, string text)
    {
        rest = rest.Trim();
        if (!rest.StartsWith('(') || !rest.EndsWith(')'))
            throw ApiException.BadRequest($"unable to parse requirement: found '{rest}', expected: '(' in labelSelector \"{text}\"");
        return rest[1..^1].Split(',').Select(v => CheckValue(v.Trim(), text)).ToList();
    }

    private static string CheckKey(string key, string text)
    {
        if (key.Length == 0 || key.Any(c => !(char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.' or '/')))
            throw ApiException.BadRequest($"unable to parse requirement: invalid label key \"{key}\" in labelSelector \"{text}\"");
        return key;
    }

    private static string CheckValue(string value, string text)
    {
        if (value.Any(c => !(char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.')))
            throw ApiException.BadRequest($"unable to parse requirement: invalid label value: \"{value}\" in labelSelector \"{text}\"");
        return value;
    }

    /// <summary>Splits on commas that are not inside parentheses.</summary>
    private static List<string> SplitTopLevel(string text)
    {
        var parts = new List<string>();
        var depth = 0;
        var start = 0;
        for (var i = 0; i < text.Length; i++)
        {
            if (text[i] == '(') depth++;
            else if (text[i] == ')') depth--;
            else if (text[i] == ',' && depth == 0)
            {
                parts.Add(text[start..i]);
                start = i + 1;
            }
        }
        parts.Add(text[start..]);
        return parts;
    }
}
