using System.Text.Json.Serialization;

namespace LoadBalancer.Kube.Api;

/// <summary>Source-generated JSON for every Kubernetes type this library knows (AOT-safe, no reflection).</summary>
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(V1Service))] [JsonSerializable(typeof(KubeList<V1Service>))] [JsonSerializable(typeof(WatchEvent<V1Service>))]
[JsonSerializable(typeof(V1Node))] [JsonSerializable(typeof(KubeList<V1Node>))] [JsonSerializable(typeof(WatchEvent<V1Node>))]
[JsonSerializable(typeof(V1Namespace))] [JsonSerializable(typeof(KubeList<V1Namespace>))] [JsonSerializable(typeof(WatchEvent<V1Namespace>))]
[JsonSerializable(typeof(V1Secret))] [JsonSerializable(typeof(KubeList<V1Secret>))] [JsonSerializable(typeof(WatchEvent<V1Secret>))]
[JsonSerializable(typeof(V1Pod))] [JsonSerializable(typeof(KubeList<V1Pod>))] [JsonSerializable(typeof(WatchEvent<V1Pod>))]
[JsonSerializable(typeof(V1EndpointSlice))] [JsonSerializable(typeof(KubeList<V1EndpointSlice>))] [JsonSerializable(typeof(WatchEvent<V1EndpointSlice>))]
[JsonSerializable(typeof(V1Lease))] [JsonSerializable(typeof(KubeList<V1Lease>))] [JsonSerializable(typeof(WatchEvent<V1Lease>))]
[JsonSerializable(typeof(EventsV1Event))] [JsonSerializable(typeof(KubeList<EventsV1Event>))] [JsonSerializable(typeof(WatchEvent<EventsV1Event>))]
[JsonSerializable(typeof(Status))]
[JsonSerializable(typeof(LabelSelector))]
[JsonSerializable(typeof(Condition))] [JsonSerializable(typeof(List<Condition>))]
public sealed partial class KubeJsonContext : JsonSerializerContext;
