using System.Globalization;
using System.Text.Json.Nodes;

namespace LoadBalancer.TestKit.ApiServer;

/// <summary>
/// The JSONPath subset printer columns use: <c>.a.b</c>, <c>.a[0].b</c>, <c>.a[*].b</c>, <c>.a['x.y']</c>, and filters
/// <c>.a[?(@.type=="Valid")].status</c> (<c>==</c> or <c>!=</c> against a quoted string or a number).
/// </summary>
internal static class JsonPath
{
    public static List<JsonNode?> Eval(JsonNode? root, string path)
    {
        var p = path.Trim();
        if (p.StartsWith('{') && p.EndsWith('}')) p = p[1..^1];
        if (p.StartsWith('$')) p = p[1..];
        var current = new List<JsonNode?> { root };
        var i = 0;
        while (i < p.Length && current.Count > 0)
        {
            if (p[i] == '.')
            {
                var end = i + 1;
                while (end < p.Length && p[end] != '.' && p[end] != '[') end++;
                var name = p[(i + 1)..end];
                current = current.Select(n => n is JsonObject o ? o[name] : null).Where(n => n is not null).ToList();
                i = end;
            }
            else if (p[i] == '[')
            {
                var end = p.IndexOf(']', i);
                if (end < 0) return [];
                var index = p[(i + 1)..end].Trim();
                if (index == "*")
                    current = current.SelectMany(n => n switch { JsonArray a => a.AsEnumerable(), JsonObject o => o.Select(kv => kv.Value), _ => [] }).ToList();
                else if (index.StartsWith('\'') && index.EndsWith('\''))
                    current = current.Select(n => n is JsonObject o ? o[index[1..^1]] : null).Where(n => n is not null).ToList();
                else if (index.StartsWith("?(@", StringComparison.Ordinal) && index.EndsWith(')'))
                    current = Filter(current, index[3..^1]);
                else if (int.TryParse(index, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var k))
                    current = current.Select(n => n is JsonArray a ? (k >= 0 ? (k < a.Count ? a[k] : null) : (a.Count + k >= 0 ? a[a.Count + k] : null)) : null).Where(n => n is not null).ToList();
                else return [];
                i = end + 1;
            }
            else return [];
        }
        return current;
    }

    /// <summary>Array elements whose <c>@path</c> equals (or not) the literal: <c>.type=="Valid"</c>.</summary>
    private static List<JsonNode?> Filter(List<JsonNode?> current, string expression)
    {
        var equal = !expression.Contains("!=", StringComparison.Ordinal);
        var parts = expression.Split(equal ? "==" : "!=", 2);
        if (parts.Length != 2) return [];
        var path = parts[0].Trim();
        var literal = parts[1].Trim();
        if (literal.Length >= 2 && (literal[0] == '"' || literal[0] == '\'') && literal[^1] == literal[0]) literal = literal[1..^1];
        return current.SelectMany(n => n is JsonArray a ? a.AsEnumerable() : [])
            .Where(e => (Eval(e, path).FirstOrDefault() is JsonValue v && v.ToString() == literal) == equal).ToList();
    }
}
