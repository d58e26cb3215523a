using System.Text.Json.Serialization;
using LoadBalancer.Kube.Api;

namespace LoadBalancer.Kube;

/// <summary>Source-generated JSON for the client's own wire types.</summary>
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(WatchEvent<Status>))]
[JsonSerializable(typeof(Status))]
internal sealed partial class KubeClientJsonContext : JsonSerializerContext;
