using System.Globalization;
using System.Text.Json.Nodes;

namespace LoadBalancer.TestKit.ApiServer;

/// <summary>The JSONPath subset printer columns use: <c>.a.b</c>, <c>.a[0].b</c>, <c>.a[*].b</c>, <c>.a['x.y']</c>.</summary>
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
                else if (int.TryParse(index, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var k))
                    current = current.Select(n => n is JsonArray a ? (k >= 0 ? (k < a.Count ? a[k] : null) : (a.Count + k >= 0 ? a[a.Count + k] : null)) : null).Where(n => n is not null).ToList();
                else return [];
                i = end + 1;
            }
            else return [];
        }
        return current;
    }
}
