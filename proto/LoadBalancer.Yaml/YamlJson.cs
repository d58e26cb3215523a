using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace LoadBalancer.Yaml;

/// <summary>
/// Multi-document YAML to and from <see cref="JsonNode"/> trees, typed the way the API server receives them from
/// kubectl: plain scalars by the YAML 1.2 core schema (null, booleans, decimal / 0x / 0o integers, floats), quoted,
/// literal and folded scalars and <c>!!str</c>-tagged ones stay strings. No reflection (Native AOT), never throws on
/// bad input: <see cref="TryParse"/> reports the line and column instead.
/// </summary>
public static partial class YamlJson
{
    /// <summary>Deepest nesting accepted (a guard against hostile input).</summary>
    public const int MaxDepth = 64;

    private const string StrTag = "tag:yaml.org,2002:str";

    private static readonly JsonDocumentOptions ReadBack = new() { MaxDepth = MaxDepth + 2 };

    /// <summary>
    /// Parses every document (an empty document gives null); false with a message (line and column) when the text
    /// is not YAML, nests deeper than <see cref="MaxDepth"/> or has a mapping key that is not a scalar. Values are
    /// backed by JSON text, so numbers convert to any numeric type.
    /// </summary>
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
            documents = [];
            return false;
        }
        foreach (var doc in stream.Documents)
        {
            if (!TryConvert(doc.RootNode, 0, out var node, out error))
            {
                documents = [];
                return false;
            }
            // Round-trip through text so every value is JSON-backed (GetValue<int> works on a number read as long).
            documents.Add(node is null ? null : JsonNode.Parse(node.ToJsonString(), documentOptions: ReadBack));
        }
        return true;
    }

    /// <summary>The documents that are mappings (Kubernetes objects), skipping empty ones; false as for <see cref="TryParse"/>.</summary>
    public static bool TryParseObjects(string text, out List<JsonObject> objects, out string? error)
    {
        objects = [];
        if (!TryParse(text, out var documents, out error)) return false;
        objects.AddRange(documents.OfType<JsonObject>());
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
                var value = scalar.Value ?? "";
                node = scalar.Style is ScalarStyle.Plain or ScalarStyle.Any && !(!scalar.Tag.IsEmpty && scalar.Tag.Value == StrTag)
                    ? Plain(value)
                    : JsonValue.Create(value);
                return true;
            default:
                error = $"line {yaml.Start.Line}: unsupported YAML node (alias or tag)";
                return false;
        }
    }

    /// <summary>A plain scalar typed by the YAML 1.2 core schema; what JSON cannot hold (.inf, .nan, overflowing numbers) stays a string.</summary>
    private static JsonNode? Plain(string value)
    {
        if (value is "" or "~" or "null" or "Null" or "NULL") return null;
        if (value is "true" or "True" or "TRUE") return JsonValue.Create(true);
        if (value is "false" or "False" or "FALSE") return JsonValue.Create(false);
        if (IntPattern().IsMatch(value) && long.TryParse(value, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var l))
            return JsonValue.Create(l);
        if (HexPattern().IsMatch(value) && long.TryParse(value.AsSpan(2), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out var hex) && hex >= 0)
            return JsonValue.Create(hex);
        if (OctalPattern().IsMatch(value) && TryOctal(value.AsSpan(2), out var octal))
            return JsonValue.Create(octal);
        if (FloatPattern().IsMatch(value) && double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out var d) && double.IsFinite(d))
            return JsonValue.Create(d);
        return JsonValue.Create(value);
    }

    private static bool TryOctal(ReadOnlySpan<char> digits, out long value)
    {
        value = 0;
        foreach (var c in digits)
        {
            if (value > (long.MaxValue >> 3)) return false;
            value = (value << 3) | (long)(c - '0');
        }
        return true;
    }

    /// <summary>True when <paramref name="s"/> written plain would be read back as something else than this string.</summary>
    private static bool ResolvesToNonString(string s)
        => Plain(s) is not JsonValue v || v.GetValueKind() != JsonValueKind.String
           || s is ".inf" or ".Inf" or ".INF" or "-.inf" or "+.inf" or ".nan" or ".NaN" or ".NAN"
           || IntPattern().IsMatch(s) || FloatPattern().IsMatch(s) || HexPattern().IsMatch(s) || OctalPattern().IsMatch(s);

    [GeneratedRegex(@"^[-+]?[0-9]+$")]
    private static partial Regex IntPattern();

    [GeneratedRegex(@"^0x[0-9a-fA-F]+$")]
    private static partial Regex HexPattern();

    [GeneratedRegex(@"^0o[0-7]+$")]
    private static partial Regex OctalPattern();

    [GeneratedRegex(@"^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$")]
    private static partial Regex FloatPattern();

    [GeneratedRegex(@"^[A-Za-z0-9_./][A-Za-z0-9_./ -]*$")]
    private static partial Regex SafePlain();

    /// <summary>
    /// Writes documents as block-style YAML separated by <c>---</c>, after <paramref name="header"/> as comment lines;
    /// strings are quoted whenever plain style would change their type or meaning (YAML 1.1 booleans such as
    /// <c>yes</c> included, for older parsers). <see cref="TryParse"/> reads the result back equal.
    /// </summary>
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
                    sb.Append(' ', indent).Append(StringScalar(key)).Append(':');
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
                            if (first) { sb.Append(' ').Append(StringScalar(key)).Append(':'); first = false; }
                            else sb.Append(' ', indent + 2).Append(StringScalar(key)).Append(':');
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

    private static string Inline(JsonNode? node) => node switch
    {
        null => "null",
        JsonObject => "{}",
        JsonArray => "[]",
        JsonValue v when v.GetValueKind() == JsonValueKind.String => StringScalar(v.GetValue<string>()),
        _ => node.ToJsonString(),
    };

    private static string StringScalar(string s)
        => s.Length > 0 && SafePlain().IsMatch(s) && !LooksTyped(s) && !s.EndsWith(' ') && !s.StartsWith('-') ? s : Quote(s);

    private static bool LooksTyped(string s)
        => s is "yes" or "no" or "on" or "off" or "y" or "n" or "Yes" or "No" or "On" or "Off" or "Y" or "N"
               or "YES" or "NO" or "ON" or "OFF"
           || ResolvesToNonString(s) || s.Contains(':', StringComparison.Ordinal) || s.Contains('#', StringComparison.Ordinal);

    /// <summary>A double-quoted YAML scalar: JSON string escaping is valid YAML double-quoted escaping.</summary>
    private static string Quote(string s) => "\"" + JsonEncodedText.Encode(s).ToString() + "\"";
}
