using System.Globalization;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace LoadBalancer.TestKit.ApiServer;

/// <summary>JSON helpers shared by the emulator.</summary>
internal static class ApiJson
{
    public static readonly JsonSerializerOptions Options = new()
    {
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
        WriteIndented = false,
    };

    public static readonly JsonDocumentOptions DocumentOptions = new() { MaxDepth = 256 };

    public static string Timestamp(DateTimeOffset t) => t.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);

    public static string MicroTimestamp(DateTimeOffset t) => t.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.ffffff'Z'", CultureInfo.InvariantCulture);

    public static JsonObject Metadata(JsonObject obj)
    {
        if (obj["metadata"] is JsonObject m) return m;
        m = new JsonObject();
        obj["metadata"] = m;
        return m;
    }

    /// <summary>An integer however the node is backed (parsed JSON, or a CLR int/long/double); null otherwise.</summary>
    public static long? Int(JsonNode? node) =>
        node is JsonValue v && v.GetValueKind() == JsonValueKind.Number &&
        long.TryParse(v.ToJsonString(), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var l) ? l : null;

    public static string? Str(JsonNode? node) =>
        node is JsonValue v && v.TryGetValue<string>(out var s) ? s : null;

    /// <summary>Structural equality of two JSON trees.</summary>
    public static bool DeepEquals(JsonNode? a, JsonNode? b) => JsonNode.DeepEquals(a, b);

    public static JsonObject ParseObject(ReadOnlySpan<byte> json)
    {
        try
        {
            return JsonNode.Parse(json, documentOptions: DocumentOptions) as JsonObject
                ?? throw ApiException.BadRequest("the body of the request was not a JSON object");
        }
        catch (JsonException e)
        {
            throw ApiException.BadRequest("the body of the request was in an unknown format: " + e.Message);
        }
    }
}
