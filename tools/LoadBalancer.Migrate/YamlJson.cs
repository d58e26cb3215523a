using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace LoadBalancer.Migrate;

/// <summary>
/// Multi-document YAML to and from <see cref="JsonNode"/> trees, with YAML 1.2 core-schema typing of plain
/// scalars (quoted scalars stay strings), so objects can be compared and rewritten like the API server sees them.
/// </summary>
internal static partial class YamlJson
{
    private const int MaxDepth = 64;

    /// <summary>Parses every document; false with a message (line and column) when the text is not YAML.</summary>
    public static bool TryParse(string text, out List<JsonNode?> documents, out string? error)
    {
        documents = [];
        error = null;
        var stream = new YamlStream();
        try
        {
            stream.Load(new StringReader(text));
        }
        catch (YamlException ex)
        {
            error = $"line {ex.Start.Line}, column {ex.Start.Column}: {ex.InnerException?.Message ?? ex.Message}";
            return false;
        }
        foreach (var doc in stream.Documents)
        {
            if (!TryConvert(doc.RootNode, 0, out var node, out error)) return false;
            documents.Add(node);
        }
        return true;
    }

    private static bool TryConvert(YamlNode yaml, int depth, out JsonNode? node, out string? error)
    {
        node = null;
        error = null;
        if (depth > MaxDepth)
        {
            error = $"line {yaml.Start.Line}: nested deeper than {MaxDepth} levels";
            return false;
        }
        switch (yaml)
        {
            case YamlMappingNode map:
                var obj = new JsonObject();
                foreach (var (k, v) in map.Children)
                {
                    if (k is not YamlScalarNode key || key.Value is null)
                    {
                        error = $"line {k.Start.Line}, column {k.Start.Column}: a mapping key must be a plain string";
                        return false;
                    }
                    if (!TryConvert(v, depth + 1, out var child, out error)) return false;
                    obj[key.Value] = child;
                }
                node = obj;
                return true;
            case YamlSequenceNode seq:
                var arr = new JsonArray();
                foreach (var item in seq.Children)
                {
                    if (!TryConvert(item, depth + 1, out var child, out error)) return false;
                    arr.Add(child);
                }
                node = arr;
                return true;
            case YamlScalarNode scalar:
                node = Scalar(scalar);
                return true;
            default:
                error = $"line {yaml.Start.Line}: unsupported YAML node";
                return false;
        }
    }

    private static JsonNode? Scalar(YamlScalarNode scalar)
    {
        var value = scalar.Value ?? "";
        if (scalar.Style != ScalarStyle.Plain) return JsonValue.Create(value);
        if (value is "" or "~" or "null" or "Null" or "NULL") return null;
        if (value is "true" or "True" or "TRUE") return JsonValue.Create(true);
        if (value is "false" or "False" or "FALSE") return JsonValue.Create(false);
        if (IntPattern().IsMatch(value) && long.TryParse(value, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var l))
            return JsonValue.Create(l);
        if (FloatPattern().IsMatch(value) && double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out var d))
            return JsonValue.Create(d);
        return JsonValue.Create(value);
    }

    [GeneratedRegex(@"^[-+]?[0-9]+$")]
    private static partial Regex IntPattern();

    [GeneratedRegex(@"^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$")]
    private static partial Regex FloatPattern();

    [GeneratedRegex(@"^[A-Za-z0-9_./][A-Za-z0-9_./ -]*$")]
    private static partial Regex SafePlain();

    /// <summary>Writes documents as block-style YAML separated by <c>---</c>; strings are quoted whenever plain style would change their type or meaning.</summary>
    public static string Write(IEnumerable<JsonNode?> documents, string? header = null)
    {
        var sb = new StringBuilder();
        if (header is not null)
            foreach (var line in header.Split('\n')) sb.Append("# ").Append(line).Append('\n');
        foreach (var doc in documents)
        {
            sb.Append("---\n");
            WriteBlock(sb, doc, 0);
        }
        return sb.ToString();
    }

    private static void WriteBlock(StringBuilder sb, JsonNode? node, int indent)
    {
        switch (node)
        {
            case JsonObject obj when obj.Count > 0:
                foreach (var (key, value) in obj)
                {
                    sb.Append(' ', indent).Append(Key(key)).Append(':');
                    WriteValueAfterKey(sb, value, indent);
                }
                break;
            case JsonArray arr when arr.Count > 0:
                foreach (var item in arr)
                {
                    sb.Append(' ', indent).Append('-');
                    if (item is JsonObject o && o.Count > 0)
                    {
                        // First key on the dash line, the rest indented under it.
                        var first = true;
                        foreach (var (key, value) in o)
                        {
                            if (first) { sb.Append(' ').Append(Key(key)).Append(':'); first = false; }
                            else sb.Append(' ', indent + 2).Append(Key(key)).Append(':');
                            WriteValueAfterKey(sb, value, indent + 2);
                        }
                    }
                    else if (item is JsonArray a && a.Count > 0)
                    {
                        sb.Append('\n');
                        WriteBlock(sb, a, indent + 2);
                    }
                    else sb.Append(' ').Append(Inline(item)).Append('\n');
                }
                break;
            default:
                sb.Append(' ', indent).Append(Inline(node)).Append('\n');
                break;
        }
    }

    private static void WriteValueAfterKey(StringBuilder sb, JsonNode? value, int indent)
    {
        if (value is JsonObject o && o.Count > 0) { sb.Append('\n'); WriteBlock(sb, o, indent + 2); }
        else if (value is JsonArray a && a.Count > 0) { sb.Append('\n'); WriteBlock(sb, a, indent); }
        else sb.Append(' ').Append(Inline(value)).Append('\n');
    }

    private static string Key(string key) => StringScalar(key);

    private static string Inline(JsonNode? node) => node switch
    {
        null => "null",
        JsonObject => "{}",
        JsonArray => "[]",
        JsonValue v when v.GetValueKind() == JsonValueKind.String => StringScalar(v.GetValue<string>()),
        JsonValue v => v.ToJsonString(),
        _ => node.ToJsonString(),
    };

    private static string StringScalar(string s)
        => s.Length > 0 && SafePlain().IsMatch(s) && !LooksTyped(s) && !s.EndsWith(' ') && !s.StartsWith('-') ? s : Quote(s);

    private static bool LooksTyped(string s)
        => s is "~" or "null" or "Null" or "NULL" or "true" or "True" or "TRUE" or "false" or "False" or "FALSE"
               or "yes" or "no" or "on" or "off" or "y" or "n" or "Yes" or "No" or "On" or "Off" or "Y" or "N"
           || IntPattern().IsMatch(s) || FloatPattern().IsMatch(s) || s.Contains(':', StringComparison.Ordinal) || s.Contains('#', StringComparison.Ordinal);

    private static string Quote(string s) => JsonSerializer.Serialize(s, MigrateJsonContext.Default.String);
}
