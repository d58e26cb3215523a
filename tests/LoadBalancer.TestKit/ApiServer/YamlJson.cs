using System.Globalization;
using System.Text.Json.Nodes;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace LoadBalancer.TestKit.ApiServer;

/// <summary>YAML documents to JSON nodes with YAML 1.2 core-schema scalars (what kubectl and the server do).</summary>
public static class YamlJson
{
    /// <summary>Every non-empty document of a (multi-document) YAML text.</summary>
    public static List<JsonObject> ParseDocuments(string yaml)
    {
        var stream = new YamlStream();
        try
        {
            stream.Load(new StringReader(yaml));
        }
        catch (YamlException e)
        {
            throw ApiException.BadRequest("error converting YAML to JSON: " + e.Message);
        }
        var result = new List<JsonObject>();
        // Round-trip through text so every value is JSON-backed (numbers convert to any CLR type).
        foreach (var doc in stream.Documents)
            if (Convert(doc.RootNode) is JsonObject o) result.Add(JsonNode.Parse(o.ToJsonString())!.AsObject());
        return result;
    }

    public static JsonObject ParseObject(string yaml) =>
        ParseDocuments(yaml).FirstOrDefault() ?? throw ApiException.BadRequest("the body of the request was empty");

    public static JsonNode? Convert(YamlNode node)
    {
        switch (node)
        {
            case YamlMappingNode map:
                {
                    var o = new JsonObject();
                    foreach (var (k, v) in map.Children) o[((YamlScalarNode)k).Value ?? ""] = Convert(v);
                    return o;
                }
            case YamlSequenceNode seq:
                return new JsonArray(seq.Children.Select(Convert).ToArray());
            case YamlScalarNode s:
                {
                    var text = s.Value ?? "";
                    if (s.Style is ScalarStyle.SingleQuoted or ScalarStyle.DoubleQuoted or ScalarStyle.Literal or ScalarStyle.Folded)
                        return JsonValue.Create(text);
                    if (s.Tag == "tag:yaml.org,2002:str") return JsonValue.Create(text);
                    switch (text)
                    {
                        case "" or "~" or "null" or "Null" or "NULL": return null;
                        case "true" or "True" or "TRUE": return JsonValue.Create(true);
                        case "false" or "False" or "FALSE": return JsonValue.Create(false);
                    }
                    if (long.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var l)) return JsonValue.Create(l);
                    if (text.StartsWith("0x", StringComparison.Ordinal) && long.TryParse(text[2..], NumberStyles.HexNumber, CultureInfo.InvariantCulture, out var hex)) return JsonValue.Create(hex);
                    if (text.Any(char.IsAsciiDigit) && double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var d) &&
                        !text.Contains(',', StringComparison.Ordinal)) return JsonValue.Create(d);
                    return JsonValue.Create(text);
                }
            default:
                return null;
        }
    }
}
