using System.Text;
using System.Text.Json.Nodes;

namespace LoadBalancer.Kube;

/// <summary>A patch body and its content type.</summary>
public sealed class KubePatch
{
    public const string MergePatchContentType = "application/merge-patch+json";
    public const string StrategicMergePatchContentType = "application/strategic-merge-patch+json";
    public const string JsonPatchContentType = "application/json-patch+json";

    private KubePatch(KubePatchType type, byte[] body)
    {
        Type = type;
        Body = body;
    }

    public KubePatchType Type { get; }
    /// <summary>UTF-8 JSON.</summary>
    public ReadOnlyMemory<byte> Body { get; }

    public string ContentType => Type switch
    {
        KubePatchType.Merge => MergePatchContentType,
        KubePatchType.StrategicMerge => StrategicMergePatchContentType,
        _ => JsonPatchContentType,
    };

    /// <summary>RFC 7386 JSON merge patch (objects merge, null deletes a field, arrays are replaced whole).</summary>
    public static KubePatch Merge(string json) => new(KubePatchType.Merge, Encoding.UTF8.GetBytes(json));

    public static KubePatch Merge(JsonNode patch) => new(KubePatchType.Merge, Encoding.UTF8.GetBytes(patch.ToJsonString()));

    /// <summary>Strategic merge patch: lists with a merge key (ports, conditions...) merge per item. Built-in kinds only.</summary>
    public static KubePatch StrategicMerge(string json) => new(KubePatchType.StrategicMerge, Encoding.UTF8.GetBytes(json));

    public static KubePatch StrategicMerge(JsonNode patch) => new(KubePatchType.StrategicMerge, Encoding.UTF8.GetBytes(patch.ToJsonString()));

    /// <summary>RFC 6902 JSON patch (a list of operations).</summary>
    public static KubePatch Json(string json) => new(KubePatchType.Json, Encoding.UTF8.GetBytes(json));

    public override string ToString() => $"{ContentType} {Encoding.UTF8.GetString(Body.Span)}";
}

public enum KubePatchType
{
    Merge,
    StrategicMerge,
    Json,
}
