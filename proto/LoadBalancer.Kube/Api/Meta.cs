using System.Text.Json;
using System.Text.Json.Serialization;

namespace LoadBalancer.Kube.Api;

// Kubernetes apimachinery meta/v1 types. Every object type carries [JsonExtensionData] so fields this client does
// not model survive a read-modify-write (a replace never drops what a newer API server or another writer set).

/// <summary>Any Kubernetes object: apiVersion, kind, metadata.</summary>
public interface IKubeObject
{
    string? ApiVersion { get; set; }
    string? Kind { get; set; }
    ObjectMeta Metadata { get; set; }
}

/// <summary>An object with a status subresource.</summary>
public interface IKubeObjectWithStatus<TStatus> : IKubeObject
{
    TStatus? Status { get; set; }
}

public sealed class ObjectMeta
{
    public string? Name { get; set; }
    public string? GenerateName { get; set; }
    public string? Namespace { get; set; }
    public string? Uid { get; set; }
    public string? ResourceVersion { get; set; }
    public long? Generation { get; set; }
    [JsonConverter(typeof(KubeTimeConverter))] public DateTimeOffset? CreationTimestamp { get; set; }
    [JsonConverter(typeof(KubeTimeConverter))] public DateTimeOffset? DeletionTimestamp { get; set; }
    public long? DeletionGracePeriodSeconds { get; set; }
    public Dictionary<string, string>? Labels { get; set; }
    public Dictionary<string, string>? Annotations { get; set; }
    public List<string>? Finalizers { get; set; }
    public List<OwnerReference>? OwnerReferences { get; set; }
    [JsonExtensionData] public Dictionary<string, JsonElement>? Extra { get; set; }
}

public sealed class OwnerReference
{
    public string? ApiVersion { get; set; }
    public string? Kind { get; set; }
    public string? Name { get; set; }
    public string? Uid { get; set; }
    public bool? Controller { get; set; }
    public bool? BlockOwnerDeletion { get; set; }
}

public sealed class ListMeta
{
    public string? ResourceVersion { get; set; }
    public string? Continue { get; set; }
    public long? RemainingItemCount { get; set; }
}

/// <summary>A list response (<c>FooList</c>).</summary>
public sealed class KubeList<T>
{
    public string? ApiVersion { get; set; }
    public string? Kind { get; set; }
    public ListMeta Metadata { get; set; } = new();
    public List<T> Items { get; set; } = [];
}

/// <summary>One line of a watch stream: ADDED, MODIFIED, DELETED, BOOKMARK or ERROR (then Object is a Status).</summary>
public sealed class WatchEvent<T>
{
    public string Type { get; set; } = "";
    public T? Object { get; set; }
}

/// <summary>The API's meta/v1 Status, returned with every error.</summary>
public sealed class Status
{
    public string? ApiVersion { get; set; } = "v1";
    public string? Kind { get; set; } = "Status";
    public ListMeta? Metadata { get; set; }
    [JsonPropertyName("status")] public string? Result { get; set; }
    public string? Message { get; set; }
    public string? Reason { get; set; }
    public StatusDetails? Details { get; set; }
    public int? Code { get; set; }
}

public sealed class StatusDetails
{
    public string? Name { get; set; }
    public string? Group { get; set; }
    public string? Kind { get; set; }
    public string? Uid { get; set; }
    public List<StatusCause>? Causes { get; set; }
    public int? RetryAfterSeconds { get; set; }
}

public sealed class StatusCause
{
    public string? Reason { get; set; }
    public string? Message { get; set; }
    public string? Field { get; set; }
}

public sealed class LabelSelector
{
    public Dictionary<string, string>? MatchLabels { get; set; }
    public List<LabelSelectorRequirement>? MatchExpressions { get; set; }
}

public sealed class LabelSelectorRequirement
{
    public string Key { get; set; } = "";
    /// <summary>In, NotIn, Exists, DoesNotExist.</summary>
    public string Operator { get; set; } = "";
    public List<string>? Values { get; set; }
}

/// <summary>meta/v1 Condition, used in the status of our CRDs.</summary>
public sealed class Condition
{
    public string Type { get; set; } = "";
    /// <summary>True, False or Unknown.</summary>
    public string Status { get; set; } = "Unknown";
    public long? ObservedGeneration { get; set; }
    [JsonConverter(typeof(KubeTimeConverter))] public DateTimeOffset? LastTransitionTime { get; set; }
    public string? Reason { get; set; }
    public string? Message { get; set; }
}

public sealed class ObjectReference
{
    public string? ApiVersion { get; set; }
    public string? Kind { get; set; }
    public string? Namespace { get; set; }
    public string? Name { get; set; }
    public string? Uid { get; set; }
    public string? ResourceVersion { get; set; }
    public string? FieldPath { get; set; }
}
