using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace LoadBalancer.TestKit.ApiServer;

/// <summary>
/// The structural OpenAPI v3 subset CRDs use, applied like the real server on create and update: prune unknown
/// fields (unless x-kubernetes-preserve-unknown-fields), drop nulls of non-nullable fields, apply defaults, then
/// validate type, required, enum, pattern, min/max, min/maxLength, min/maxItems, min/maxProperties, formats
/// (ipv4, ipv6, cidr, int-or-string), items, additionalProperties, allOf/anyOf/oneOf/not.
/// CEL rules (x-kubernetes-validations) are not evaluated.
/// </summary>
internal static class SchemaValidator
{
    private static readonly Dictionary<string, Regex> Patterns = [];
    private static readonly Lock PatternGate = new();

    /// <summary>Where pruned fields are reported during one <see cref="Apply"/> (per thread).</summary>
    [ThreadStatic]
    private static List<string>? Unknown;

    public static List<FieldError> Apply(JsonObject schema, JsonObject obj, List<string>? unknownFields = null)
    {
        var errors = new List<FieldError>();
        Unknown = unknownFields;
        // apiVersion, kind and metadata are the server's; only the rest follows the schema.
        var props = schema["properties"] as JsonObject;
        foreach (var key in obj.Select(kv => kv.Key).ToList())
        {
            if (key is "apiVersion" or "kind" or "metadata") continue;
            var child = props?[key] as JsonObject;
            if (child is null)
            {
                if (!PreservesUnknown(schema))
                {
                    obj.Remove(key);
                    Unknown?.Add(key);
                }
                continue;
            }
            var value = obj[key];
            if (value is null && child["nullable"]?.GetValue<bool>() != true) { obj.Remove(key); continue; }
            obj[key] = Walk(value?.DeepClone(), child, key, errors);
        }
        if (props is not null)
        {
            foreach (var (key, child) in props)
            {
                if (key is "apiVersion" or "kind" or "metadata" || obj.ContainsKey(key) || child?["default"] is not { } d) continue;
                obj[key] = Walk(d.DeepClone(), (JsonObject)child, key, errors);
            }
        }
        foreach (var r in schema["required"] as JsonArray ?? [])
        {
            var name = ApiJson.Str(r);
            if (name is not null && name is not ("apiVersion" or "kind" or "metadata") && !obj.ContainsKey(name)) errors.Add(FieldError.Required(name));
        }
        Unknown = null;
        return errors;
    }

    private static bool PreservesUnknown(JsonObject schema) => schema["x-kubernetes-preserve-unknown-fields"]?.GetValue<bool>() == true;

    private static string Quote(JsonNode? value) => value switch
    {
        null => "null",
        JsonValue v when v.TryGetValue<string>(out var s) => "\"" + s + "\"",
        _ => value.ToJsonString(),
    };

    private static JsonNode? Walk(JsonNode? value, JsonObject schema, string path, List<FieldError> errors)
    {
        if (value is null) return null;
        var type = ApiJson.Str(schema["type"]);
        var intOrString = schema["x-kubernetes-int-or-string"]?.GetValue<bool>() == true;
        if (intOrString)
        {
            if (!(IsInteger(value) || IsString(value)))
                errors.Add(FieldError.TypeInvalid(path, Quote(value), $"{path} in body must be of type int-or-string: \"{KindOf(value)}\""));
        }
        else if (type is not null && !TypeMatches(value, type))
        {
            errors.Add(FieldError.TypeInvalid(path, "\"" + KindOf(value) + "\"", $"{path} in body must be of type {type}: \"{KindOf(value)}\""));
            return value;
        }

        switch (value)
        {
            case JsonObject o:
                WalkObject(o, schema, path, errors);
                break;
            case JsonArray a:
                if (schema["items"] is JsonObject items)
                {
                    for (var i = 0; i < a.Count; i++)
                    {
                        if (a[i] is null && items["nullable"]?.GetValue<bool>() != true) continue;
                        a[i] = Walk(a[i]?.DeepClone(), items, $"{path}[{i}]", errors);
                    }
                }
                if (schema["minItems"] is { } minItems && a.Count < ApiJson.Int(minItems))
                    errors.Add(FieldError.Invalid(path, a.Count.ToString(CultureInfo.InvariantCulture), $"{path} in body should have at least {minItems} items"));
                if (schema["maxItems"] is { } maxItems && a.Count > ApiJson.Int(maxItems))
                    errors.Add(FieldError.TooMany(path, $"{a.Count}: must have at most {maxItems} items"));
                if (ApiJson.Str(schema["x-kubernetes-list-type"]) == "set" || schema["uniqueItems"]?.GetValue<bool>() == true)
                {
                    var seen = new HashSet<string>();
                    for (var i = 0; i < a.Count; i++)
                        if (!seen.Add(a[i]?.ToJsonString() ?? "null")) errors.Add(FieldError.Duplicate($"{path}[{i}]", Quote(a[i])));
                }
                break;
            case JsonValue v:
                WalkScalar(v, schema, path, errors);
                break;
        }

        if (schema["enum"] is JsonArray enumValues && !enumValues.Any(e => JsonNode.DeepEquals(e, value)))
            errors.Add(FieldError.NotSupported(path, Quote(value), enumValues.Select(e => ApiJson.Str(e) ?? e?.ToJsonString() ?? "null")));
        foreach (var sub in schema["allOf"] as JsonArray ?? [])
            if (sub is JsonObject s) Validate(value, s, path, errors);
        if (schema["anyOf"] is JsonArray anyOf && anyOf.Count > 0 &&
            !anyOf.OfType<JsonObject>().Any(s => { var e = new List<FieldError>(); Validate(value, s, path, e); return e.Count == 0; }))
            errors.Add(FieldError.Invalid(path, Quote(value), $"{path} in body must match at least one schema (anyOf)"));
        if (schema["oneOf"] is JsonArray oneOf && oneOf.Count > 0 &&
            oneOf.OfType<JsonObject>().Count(s => { var e = new List<FieldError>(); Validate(value, s, path, e); return e.Count == 0; }) != 1)
            errors.Add(FieldError.Invalid(path, Quote(value), $"{path} in body must match exactly one schema in oneOf"));
        if (schema["not"] is JsonObject not)
        {
            var e = new List<FieldError>();
            Validate(value, not, path, e);
            if (e.Count == 0) errors.Add(FieldError.Invalid(path, Quote(value), $"{path} in body must not validate the schema (not)"));
        }
        return value;
    }

    /// <summary>Validation without pruning or defaulting (for allOf/anyOf/oneOf branches).</summary>
    private static void Validate(JsonNode? value, JsonObject schema, string path, List<FieldError> errors)
    {
        var saved = Unknown;
        Unknown = null;
        Walk(value?.DeepClone(), schema, path, errors);
        Unknown = saved;
    }

    private static void WalkObject(JsonObject o, JsonObject schema, string path, List<FieldError> errors)
    {
        var props = schema["properties"] as JsonObject;
        var additional = schema["additionalProperties"];
        var preserve = PreservesUnknown(schema);
        foreach (var key in o.Select(kv => kv.Key).ToList())
        {
            var childPath = path + "." + key;
            if (props?[key] is JsonObject child)
            {
                var value = o[key];
                if (value is null && child["nullable"]?.GetValue<bool>() != true) { o.Remove(key); continue; }
                o[key] = Walk(value?.DeepClone(), child, childPath, errors);
            }
            else if (additional is JsonObject addSchema)
            {
                o[key] = Walk(o[key]?.DeepClone(), addSchema, childPath, errors);
            }
            else if (additional is JsonValue av && av.TryGetValue<bool>(out var allowed) && allowed)
            {
            }
            else if (!preserve)
            {
                o.Remove(key);
                Unknown?.Add(childPath);
            }
        }
        if (props is not null)
        {
            foreach (var (key, child) in props)
            {
                if (o.ContainsKey(key) || child?["default"] is not { } d) continue;
                o[key] = Walk(d.DeepClone(), (JsonObject)child, path + "." + key, errors);
            }
        }
        foreach (var r in schema["required"] as JsonArray ?? [])
        {
            var name = ApiJson.Str(r);
            if (name is not null && !o.ContainsKey(name)) errors.Add(FieldError.Required(path + "." + name));
        }
        if (schema["minProperties"] is { } minP && o.Count < ApiJson.Int(minP))
            errors.Add(FieldError.Invalid(path, o.Count.ToString(CultureInfo.InvariantCulture), $"{path} in body should have at least {minP} properties"));
        if (schema["maxProperties"] is { } maxP && o.Count > ApiJson.Int(maxP))
            errors.Add(FieldError.TooMany(path, $"{o.Count}: must have at most {maxP} items"));
    }

    private static void WalkScalar(JsonValue v, JsonObject schema, string path, List<FieldError> errors)
    {
        if (v.TryGetValue<string>(out var s))
        {
            if (schema["minLength"] is { } minL && s.Length < ApiJson.Int(minL))
                errors.Add(FieldError.Invalid(path, "\"" + s + "\"", $"{path} in body should be at least {minL} chars long"));
            if (schema["maxLength"] is { } maxL && s.Length > ApiJson.Int(maxL))
                errors.Add(FieldError.TooLong(path, $"may not be longer than {maxL}"));
            if (ApiJson.Str(schema["pattern"]) is { } pattern && !PatternFor(pattern).IsMatch(s))
                errors.Add(FieldError.Invalid(path, "\"" + s + "\"", $"{path} in body should match '{pattern}'"));
            if (ApiJson.Str(schema["format"]) is { } format && !FormatMatches(format, s))
                errors.Add(FieldError.Invalid(path, "\"" + s + "\"", $"{path} in body must be of type {format}: \"{s}\""));
            return;
        }
        if (v.TryGetValue<double>(out var d) || (v.GetValueKind() == System.Text.Json.JsonValueKind.Number && double.TryParse(v.ToJsonString(), CultureInfo.InvariantCulture, out d)))
        {
            var text = v.ToJsonString();
            var exclusiveMin = schema["exclusiveMinimum"]?.GetValue<bool>() == true;
            var exclusiveMax = schema["exclusiveMaximum"]?.GetValue<bool>() == true;
            if (schema["minimum"] is { } min)
            {
                var m = min.GetValue<double>();
                if (exclusiveMin ? d <= m : d < m)
                    errors.Add(FieldError.Invalid(path, text, $"{path} in body should be greater than {(exclusiveMin ? "" : "or equal to ")}{min.ToJsonString()}"));
            }
            if (schema["maximum"] is { } max)
            {
                var m = max.GetValue<double>();
                if (exclusiveMax ? d >= m : d > m)
                    errors.Add(FieldError.Invalid(path, text, $"{path} in body should be less than {(exclusiveMax ? "" : "or equal to ")}{max.ToJsonString()}"));
            }
            if (schema["multipleOf"] is { } mult && mult.GetValue<double>() != 0 && Math.Abs(Math.IEEERemainder(d, mult.GetValue<double>())) > 1e-9)
                errors.Add(FieldError.Invalid(path, text, $"{path} in body should be a multiple of {mult.ToJsonString()}"));
        }
    }

    private static Regex PatternFor(string pattern)
    {
        lock (PatternGate)
        {
            if (!Patterns.TryGetValue(pattern, out var r))
            {
                r = new Regex(pattern, RegexOptions.CultureInvariant, TimeSpan.FromSeconds(1));
                Patterns[pattern] = r;
            }
            return r;
        }
    }

    private static bool FormatMatches(string format, string s)
    {
        switch (format)
        {
            case "ipv4":
                return IPAddress.TryParse(s, out var a4) && a4.AddressFamily == AddressFamily.InterNetwork && s.Count(c => c == '.') == 3;
            case "ipv6":
                return IPAddress.TryParse(s, out var a6) && a6.AddressFamily == AddressFamily.InterNetworkV6;
            case "cidr":
                {
                    var slash = s.IndexOf('/', StringComparison.Ordinal);
                    if (slash <= 0 || !IPAddress.TryParse(s[..slash], out var ip)) return false;
                    var bits = ip.AddressFamily == AddressFamily.InterNetwork ? 32 : 128;
                    return int.TryParse(s[(slash + 1)..], NumberStyles.None, CultureInfo.InvariantCulture, out var prefix) && prefix >= 0 && prefix <= bits;
                }
            case "date-time":
                return DateTimeOffset.TryParse(s, CultureInfo.InvariantCulture, DateTimeStyles.None, out _);
            case "int32":
            case "int64":
            case "byte":
            case "uri":
            case "hostname":
            default:
                return true;
        }
    }

    private static bool IsInteger(JsonNode n) =>
        n is JsonValue v && v.GetValueKind() == System.Text.Json.JsonValueKind.Number && long.TryParse(v.ToJsonString(), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out _);

    private static bool IsString(JsonNode n) => n is JsonValue v && v.GetValueKind() == System.Text.Json.JsonValueKind.String;

    private static string KindOf(JsonNode n) => n switch
    {
        JsonObject => "object",
        JsonArray => "array",
        JsonValue v => v.GetValueKind() switch
        {
            System.Text.Json.JsonValueKind.String => "string",
            System.Text.Json.JsonValueKind.Number => IsInteger(n) ? "integer" : "number",
            System.Text.Json.JsonValueKind.True or System.Text.Json.JsonValueKind.False => "boolean",
            _ => "null",
        },
        _ => "null",
    };

    private static bool TypeMatches(JsonNode n, string type) => type switch
    {
        "object" => n is JsonObject,
        "array" => n is JsonArray,
        "string" => IsString(n),
        "integer" => IsInteger(n),
        "number" => n is JsonValue v && v.GetValueKind() == System.Text.Json.JsonValueKind.Number,
        "boolean" => n is JsonValue b && b.GetValueKind() is System.Text.Json.JsonValueKind.True or System.Text.Json.JsonValueKind.False,
        _ => true,
    };
}
