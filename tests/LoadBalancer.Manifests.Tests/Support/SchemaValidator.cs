using System.Globalization;
using System.Net;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace LoadBalancer.Manifests.Tests.Support;

/// <summary>
/// Checks an object against a CRD's structural OpenAPI v3 schema the way the API server does for the
/// keywords our CRDs use: type, properties (unknown fields are errors: the server would prune them),
/// required, enum, pattern, format (date-time, ipv4), minimum/maximum, minLength/maxLength, minItems, items,
/// additionalProperties. CEL rules are not evaluated here (the emulator test covers the server side).
/// </summary>
internal static class SchemaValidator
{
    public static List<string> Validate(JsonNode? value, JsonObject schema, string path = "")
    {
        var errors = new List<string>();
        Check(value, schema, path, errors);
        return errors;
    }

    private static void Check(JsonNode? value, JsonObject schema, string path, List<string> errors)
    {
        var where = path.Length == 0 ? "<root>" : path;
        if (value is null)
        {
            if (schema["nullable"]?.GetValue<bool>() != true) errors.Add($"{where}: null is not allowed");
            return;
        }
        if (schema["x-kubernetes-preserve-unknown-fields"]?.GetValue<bool>() == true && schema["properties"] is null) return;
        var type = schema["type"].Str();
        switch (type)
        {
            case "object":
                if (value is not JsonObject obj) { errors.Add($"{where}: expected an object"); return; }
                var props = schema["properties"] as JsonObject;
                var additional = schema["additionalProperties"] as JsonObject;
                foreach (var req in schema["required"] as JsonArray ?? [])
                    if (!obj.ContainsKey(req.Str())) errors.Add($"{where}: missing required field {req.Str()}");
                foreach (var (key, child) in obj)
                {
                    if (props?[key] is JsonObject propSchema) Check(child, propSchema, path + "." + key, errors);
                    else if (additional is not null) Check(child, additional, path + "." + key, errors);
                    else if (props is not null) errors.Add($"{where}: unknown field \"{key}\"");
                }
                break;
            case "array":
                if (value is not JsonArray arr) { errors.Add($"{where}: expected an array"); return; }
                if (schema["minItems"] is JsonValue minItems && arr.Count < minItems.GetValue<long>()) errors.Add($"{where}: fewer than {minItems} items");
                if (schema["items"] is JsonObject items)
                    for (var i = 0; i < arr.Count; i++) Check(arr[i], items, $"{path}[{i}]", errors);
                break;
            case "string":
                if (value is not JsonValue sv || sv.GetValueKind() != JsonValueKind.String) { errors.Add($"{where}: expected a string, got {value.ToJsonString()}"); return; }
                var s = sv.GetValue<string>();
                if (schema["minLength"] is JsonValue minL && s.Length < minL.GetValue<long>()) errors.Add($"{where}: shorter than {minL}");
                if (schema["maxLength"] is JsonValue maxL && s.Length > maxL.GetValue<long>()) errors.Add($"{where}: longer than {maxL}");
                if (schema["pattern"] is JsonValue pattern && !Regex.IsMatch(s, pattern.GetValue<string>()))
                    errors.Add($"{where}: \"{s}\" does not match {pattern}");
                if (schema["format"].Str() == "ipv4" && !(IPAddress.TryParse(s, out var ip) && ip.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork))
                    errors.Add($"{where}: \"{s}\" is not an IPv4 address");
                if (schema["format"].Str() == "date-time" && !DateTimeOffset.TryParse(s, CultureInfo.InvariantCulture, DateTimeStyles.None, out _))
                    errors.Add($"{where}: \"{s}\" is not a date-time");
                CheckEnum(value, schema, where, errors);
                break;
            case "integer":
                if (value is not JsonValue iv || iv.GetValueKind() != JsonValueKind.Number || !iv.TryGetValue<long>(out var n)) { errors.Add($"{where}: expected an integer, got {value.ToJsonString()}"); return; }
                if (schema["minimum"] is JsonValue min && n < min.GetValue<long>()) errors.Add($"{where}: {n} is below {min}");
                if (schema["maximum"] is JsonValue max && n > max.GetValue<long>()) errors.Add($"{where}: {n} is above {max}");
                CheckEnum(value, schema, where, errors);
                break;
            case "boolean":
                if (value is not JsonValue bv || bv.GetValueKind() is not (JsonValueKind.True or JsonValueKind.False)) errors.Add($"{where}: expected a boolean, got {value.ToJsonString()}");
                break;
            case "number":
                if (value is not JsonValue nv || nv.GetValueKind() != JsonValueKind.Number) errors.Add($"{where}: expected a number");
                break;
            default:
                errors.Add($"{where}: the schema has no type (not structural)");
                break;
        }
    }

    private static void CheckEnum(JsonNode value, JsonObject schema, string where, List<string> errors)
    {
        if (schema["enum"] is JsonArray e && !e.Any(x => JsonNode.DeepEquals(x, value)))
            errors.Add($"{where}: {value.ToJsonString()} is not one of {e.ToJsonString()}");
    }
}
