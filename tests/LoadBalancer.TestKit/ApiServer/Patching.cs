using System.Globalization;
using System.Text.Json.Nodes;

namespace LoadBalancer.TestKit.ApiServer;

/// <summary>JSON merge patch (RFC 7386), JSON patch (RFC 6902) and strategic merge patch for the built-in kinds.</summary>
internal static class Patching
{
    // ---------------------------------------------------------------- RFC 7386

    public static JsonNode? MergePatch(JsonNode? target, JsonNode? patch)
    {
        if (patch is not JsonObject p) return patch?.DeepClone();
        var result = target is JsonObject t ? (JsonObject)t.DeepClone() : new JsonObject();
        foreach (var (key, value) in p)
        {
            if (value is null) result.Remove(key);
            else result[key] = MergePatch(result[key]?.DeepClone(), value);
        }
        return result;
    }

    // ---------------------------------------------------------------- RFC 6902

    public static JsonNode? JsonPatch(JsonNode? document, JsonArray operations)
    {
        var doc = document?.DeepClone();
        foreach (var opNode in operations)
        {
            if (opNode is not JsonObject op) throw ApiException.BadRequest("json patch operation is not an object");
            var kind = ApiJson.Str(op["op"]) ?? throw ApiException.BadRequest("json patch operation has no op");
            var path = ApiJson.Str(op["path"]) ?? throw ApiException.BadRequest($"json patch {kind} operation has no path");
            switch (kind)
            {
                case "add":
                    doc = Add(doc, path, op["value"]?.DeepClone(), kind);
                    break;
                case "remove":
                    doc = Remove(doc, path, out _);
                    break;
                case "replace":
                    doc = Remove(doc, path, out _);
                    doc = Add(doc, path, op["value"]?.DeepClone(), kind);
                    break;
                case "move":
                    {
                        var from = ApiJson.Str(op["from"]) ?? throw ApiException.BadRequest("json patch move operation has no from");
                        doc = Remove(doc, from, out var moved);
                        doc = Add(doc, path, moved, kind);
                        break;
                    }
                case "copy":
                    {
                        var from = ApiJson.Str(op["from"]) ?? throw ApiException.BadRequest("json patch copy operation has no from");
                        doc = Add(doc, path, Resolve(doc, from)?.DeepClone(), kind);
                        break;
                    }
                case "test":
                    if (!JsonNode.DeepEquals(Resolve(doc, path), op["value"]))
                        throw new ApiException(422, "Invalid", $"the server rejected our request due to an error in our request: testing value {path} failed: test failed");
                    break;
                default:
                    throw ApiException.BadRequest($"Unexpected kind: {kind}");
            }
        }
        return doc;
    }

    private static string[] Pointer(string path)
    {
        if (path.Length == 0) return [];
        if (path[0] != '/') throw ApiException.BadRequest($"JSON pointer must be empty or start with a \"/\": {path}");
        return path[1..].Split('/').Select(p => p.Replace("~1", "/", StringComparison.Ordinal).Replace("~0", "~", StringComparison.Ordinal)).ToArray();
    }

    private static JsonNode? Resolve(JsonNode? doc, string path)
    {
        var node = doc;
        foreach (var part in Pointer(path))
        {
            node = node switch
            {
                JsonObject o when o.ContainsKey(part) => o[part],
                JsonArray a when int.TryParse(part, NumberStyles.None, CultureInfo.InvariantCulture, out var i) && i < a.Count => a[i],
                _ => throw new ApiException(422, "Invalid", $"the server rejected our request due to an error in our request: doc is missing path: \"{path}\": missing value"),
            };
        }
        return node;
    }

    private static JsonNode? Add(JsonNode? doc, string path, JsonNode? value, string kind)
    {
        var parts = Pointer(path);
        if (parts.Length == 0) return value;
        var parent = Resolve(doc, "/" + string.Join('/', parts[..^1].Select(p => p.Replace("~", "~0", StringComparison.Ordinal).Replace("/", "~1", StringComparison.Ordinal))));
        var last = parts[^1];
        switch (parent)
        {
            case JsonObject o:
                o[last] = value;
                break;
            case JsonArray a:
                if (last == "-") a.Add(value);
                else if (int.TryParse(last, NumberStyles.None, CultureInfo.InvariantCulture, out var i) && i <= a.Count) a.Insert(i, value);
                else throw new ApiException(422, "Invalid", $"the server rejected our request due to an error in our request: {kind} operation does not apply: doc is missing path: \"{path}\": missing value");
                break;
            default:
                throw new ApiException(422, "Invalid", $"the server rejected our request due to an error in our request: {kind} operation does not apply: doc is missing path: \"{path}\": missing value");
        }
        return doc;
    }

    private static JsonNode? Remove(JsonNode? doc, string path, out JsonNode? removed)
    {
        var parts = Pointer(path);
        if (parts.Length == 0) { removed = doc; return null; }
        var parent = Resolve(doc, "/" + string.Join('/', parts[..^1].Select(p => p.Replace("~", "~0", StringComparison.Ordinal).Replace("/", "~1", StringComparison.Ordinal))));
        var last = parts[^1];
        switch (parent)
        {
            case JsonObject o when o.ContainsKey(last):
                removed = o[last];
                o.Remove(last);
                removed = removed?.DeepClone();
                return doc;
            case JsonArray a when int.TryParse(last, NumberStyles.None, CultureInfo.InvariantCulture, out var i) && i < a.Count:
                removed = a[i]?.DeepClone();
                a.RemoveAt(i);
                return doc;
            default:
                throw new ApiException(422, "Invalid", $"the server rejected our request due to an error in our request: remove operation does not apply: doc is missing path: \"{path}\": missing value");
        }
    }

    // ---------------------------------------------------------------- strategic merge patch

    /// <summary>Merge keys of the built-in list fields (patchStrategy: merge), by field name.</summary>
    private static readonly Dictionary<string, string> MergeKeys = new(StringComparer.Ordinal)
    {
        ["containers"] = "name",
        ["initContainers"] = "name",
        ["ephemeralContainers"] = "name",
        ["env"] = "name",
        ["volumes"] = "name",
        ["volumeMounts"] = "mountPath",
        ["volumeDevices"] = "devicePath",
        ["imagePullSecrets"] = "name",
        ["hostAliases"] = "ip",
        ["conditions"] = "type",
        ["ownerReferences"] = "uid",
        ["taints"] = "key",
        ["addresses"] = "type",
        ["topologySpreadConstraints"] = "topologyKey",
        ["resourceClaims"] = "name",
        ["secrets"] = "name",
        ["schedulingGates"] = "name",
    };

    /// <summary>Lists of scalars merged as sets (patchStrategy: merge).</summary>
    private static readonly HashSet<string> PrimitiveMergeLists = ["finalizers"];

    private static string? MergeKeyFor(string field, JsonArray? sample, string path)
    {
        if (field == "ports")
        {
            // Service ports merge on port; container ports on containerPort.
            if (path == ".spec.ports") return "port";
            return "containerPort";
        }
        if (field == "addresses" && !path.EndsWith(".status.addresses", StringComparison.Ordinal)) return null;
        if (field == "conditions" && sample is not null && sample.Any(e => e is not JsonObject)) return null;
        return MergeKeys.GetValueOrDefault(field);
    }

    public static JsonObject StrategicMerge(JsonObject original, JsonObject patch) =>
        (JsonObject)MergeMap((JsonObject)original.DeepClone(), patch, "");

    private static JsonNode MergeMap(JsonObject target, JsonObject patch, string path)
    {
        var directive = ApiJson.Str(patch["$patch"]);
        if (directive == "replace")
        {
            var replaced = (JsonObject)patch.DeepClone();
            replaced.Remove("$patch");
            return replaced;
        }
        if (directive == "delete") return new JsonObject();
        if (patch["$retainKeys"] is JsonArray retain)
        {
            var keep = retain.Select(ApiJson.Str).ToHashSet();
            foreach (var k in target.Select(kv => kv.Key).ToList())
                if (!keep.Contains(k)) target.Remove(k);
        }
        foreach (var (key, value) in patch)
        {
            if (key is "$patch" or "$retainKeys") continue;
            if (key.StartsWith("$setElementOrder/", StringComparison.Ordinal)) continue;
            if (key.StartsWith("$deleteFromPrimitiveList/", StringComparison.Ordinal))
            {
                var field = key["$deleteFromPrimitiveList/".Length..];
                if (target[field] is JsonArray list && value is JsonArray remove)
                {
                    foreach (var r in remove)
                        foreach (var item in list.Where(i => JsonNode.DeepEquals(i, r)).ToList()) list.Remove(item);
                }
                continue;
            }
            var childPath = path + "." + key;
            if (value is null)
            {
                target.Remove(key);
                continue;
            }
            switch (value)
            {
                case JsonObject po when ApiJson.Str(po["$patch"]) == "delete":
                    target.Remove(key);
                    break;
                case JsonObject po:
                    target[key] = MergeMap(target[key] as JsonObject is { } existing ? (JsonObject)existing.DeepClone() : new JsonObject(), po, childPath);
                    break;
                case JsonArray pa:
                    {
                        var order = patch["$setElementOrder/" + key] as JsonArray;
                        target[key] = MergeList(target[key] as JsonArray, pa, key, childPath, order);
                        break;
                    }
                default:
                    target[key] = value.DeepClone();
                    break;
            }
        }
        // $setElementOrder for a list the patch did not touch: reorder only.
        foreach (var (key, value) in patch)
        {
            if (!key.StartsWith("$setElementOrder/", StringComparison.Ordinal)) continue;
            var field = key["$setElementOrder/".Length..];
            if (patch.ContainsKey(field) || target[field] is not JsonArray existing || value is not JsonArray order) continue;
            target[field] = Reorder(existing, order, MergeKeyFor(field, existing, path + "." + field));
        }
        return target;
    }

    private static JsonArray MergeList(JsonArray? target, JsonArray patch, string field, string path, JsonArray? order)
    {
        var mergeKey = MergeKeyFor(field, patch, path);
        if (PrimitiveMergeLists.Contains(field) && patch.All(e => e is JsonValue))
        {
            var merged = target is null ? new JsonArray() : (JsonArray)target.DeepClone();
            foreach (var e in patch)
                if (!merged.Any(m => JsonNode.DeepEquals(m, e))) merged.Add(e?.DeepClone());
            return order is null ? merged : Reorder(merged, order, null);
        }
        if (mergeKey is null)
        {
            // Replace, unless the list carries a $patch directive.
            if (patch.Count == 1 && patch[0] is JsonObject only && ApiJson.Str(only["$patch"]) == "replace") return [];
            return (JsonArray)patch.DeepClone();
        }
        if (patch.Any(e => e is JsonObject o && ApiJson.Str(o["$patch"]) == "replace"))
        {
            return new JsonArray(patch.Where(e => !(e is JsonObject o && ApiJson.Str(o["$patch"]) == "replace")).Select(e => e?.DeepClone()).ToArray());
        }
        var result = target is null ? new JsonArray() : (JsonArray)target.DeepClone();
        foreach (var item in patch)
        {
            if (item is not JsonObject po)
            {
                result.Add(item?.DeepClone());
                continue;
            }
            var keyValue = po[mergeKey];
            var existingIndex = -1;
            for (var i = 0; i < result.Count; i++)
            {
                if (result[i] is JsonObject ro && JsonNode.DeepEquals(ro[mergeKey], keyValue) && SameProtocol(field, ro, po)) { existingIndex = i; break; }
            }
            if (ApiJson.Str(po["$patch"]) == "delete")
            {
                if (existingIndex >= 0) result.RemoveAt(existingIndex);
                continue;
            }
            if (existingIndex >= 0)
            {
                result[existingIndex] = MergeMap((JsonObject)result[existingIndex]!.DeepClone(), po, path);
            }
            else
            {
                var fresh = (JsonObject)MergeMap(new JsonObject(), po, path);
                result.Add(fresh);
            }
        }
        return order is null ? result : Reorder(result, order, mergeKey);
    }

    /// <summary>Service ports with the same number but different protocols are different ports.</summary>
    private static bool SameProtocol(string field, JsonObject a, JsonObject b)
    {
        if (field != "ports") return true;
        var pa = ApiJson.Str(a["protocol"]) ?? "TCP";
        var pb = ApiJson.Str(b["protocol"]) ?? "TCP";
        return b["protocol"] is null || pa == pb;
    }

    private static JsonArray Reorder(JsonArray list, JsonArray order, string? mergeKey)
    {
        var items = list.Select(i => i?.DeepClone()).ToList();
        var ordered = new List<JsonNode?>();
        foreach (var o in order)
        {
            var match = items.FirstOrDefault(i => mergeKey is null ? JsonNode.DeepEquals(i, o) : i is JsonObject io && o is JsonObject oo && JsonNode.DeepEquals(io[mergeKey], oo[mergeKey]));
            if (match is null) continue;
            ordered.Add(match);
            items.Remove(match);
        }
        ordered.AddRange(items);
        return new JsonArray(ordered.ToArray());
    }

    /// <summary>
    /// The patch that turns <paramref name="lastApplied"/> into <paramref name="applied"/> when laid over the live
    /// object: everything in applied, plus null for every field the last apply had and this one dropped.
    /// </summary>
    public static JsonObject ApplyPatch(JsonObject? lastApplied, JsonObject applied)
    {
        var patch = (JsonObject)applied.DeepClone();
        if (lastApplied is not null) AddDeletions(lastApplied, applied, patch);
        return patch;
    }

    private static void AddDeletions(JsonObject last, JsonObject now, JsonObject patch)
    {
        foreach (var (key, value) in last)
        {
            if (!now.ContainsKey(key)) patch[key] = null;
            else if (value is JsonObject lo && now[key] is JsonObject no && patch[key] is JsonObject po) AddDeletions(lo, no, po);
        }
    }
}
