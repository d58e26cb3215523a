using System.Text.Json;
using System.Text.Json.Serialization;

namespace LoadBalancer.Kube.Api;

/// <summary>coordination.k8s.io/v1 Lease: leader election and speaker liveness.</summary>
public sealed class V1Lease : IKubeObject
{
    public string? ApiVersion { get; set; } = "coordination.k8s.io/v1";
    public string? Kind { get; set; } = "Lease";
    public ObjectMeta Metadata { get; set; } = new();
    public LeaseSpec? Spec { get; set; }
    [JsonExtensionData] public Dictionary<string, JsonElement>? Extra { get; set; }
}

public sealed class LeaseSpec
{
    public string? HolderIdentity { get; set; }
    public int? LeaseDurationSeconds { get; set; }
    [JsonConverter(typeof(KubeMicroTimeConverter))] public DateTimeOffset? AcquireTime { get; set; }
    [JsonConverter(typeof(KubeMicroTimeConverter))] public DateTimeOffset? RenewTime { get; set; }
    public int? LeaseTransitions { get; set; }
    [JsonExtensionData] public Dictionary<string, JsonElement>? Extra { get; set; }
}

/// <summary>events.k8s.io/v1 Event. <c>kubectl describe</c> shows it (the API server serves it as core/v1 too).</summary>
public sealed class EventsV1Event : IKubeObject
{
    public string? ApiVersion { get; set; } = "events.k8s.io/v1";
    public string? Kind { get; set; } = "Event";
    public ObjectMeta Metadata { get; set; } = new();
    [JsonConverter(typeof(KubeMicroTimeConverter))] public DateTimeOffset? EventTime { get; set; }
    public EventSeries? Series { get; set; }
    public string? ReportingController { get; set; }
    public string? ReportingInstance { get; set; }
    public string? Action { get; set; }
    public string? Reason { get; set; }
    public ObjectReference? Regarding { get; set; }
    public ObjectReference? Related { get; set; }
    public string? Note { get; set; }
    /// <summary>Normal or Warning.</summary>
    public string? Type { get; set; }
    public EventSource? DeprecatedSource { get; set; }
    [JsonConverter(typeof(KubeTimeConverter))] public DateTimeOffset? DeprecatedFirstTimestamp { get; set; }
    [JsonConverter(typeof(KubeTimeConverter))] public DateTimeOffset? DeprecatedLastTimestamp { get; set; }
    public int? DeprecatedCount { get; set; }
    [JsonExtensionData] public Dictionary<string, JsonElement>? Extra { get; set; }
}

public sealed class EventSeries
{
    public int Count { get; set; }
    [JsonConverter(typeof(KubeMicroTimeConverter))] public DateTimeOffset LastObservedTime { get; set; }
}

public sealed class EventSource
{
    public string? Component { get; set; }
    public string? Host { get; set; }
}
