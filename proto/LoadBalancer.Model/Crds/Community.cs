using System.Text.Json;
using System.Text.Json.Serialization;
using LoadBalancer.Kube.Api;

namespace LoadBalancer.Model.Crds;

/// <summary>Named BGP community aliases (MetalLB <c>Community</c>).</summary>
public sealed class Community : IKubeObjectWithStatus<ConditionsStatus>
{
    public const string KindName = "Community";
    public const string Plural = "communities";
    public string? ApiVersion { get; set; } = ModelGroup.ApiVersion;
    public string? Kind { get; set; } = KindName;
    public ObjectMeta Metadata { get; set; } = new();
    public CommunitySpec Spec { get; set; } = new();
    public ConditionsStatus? Status { get; set; }
    [JsonExtensionData] public Dictionary<string, JsonElement>? Extra { get; set; }
}

public sealed class CommunitySpec
{
    public List<CommunityAlias>? Communities { get; set; }
    [JsonExtensionData] public Dictionary<string, JsonElement>? Extra { get; set; }
}

public sealed class CommunityAlias
{
    public string? Name { get; set; }
    /// <summary><c>AA:NN</c> or <c>large:A:B:C</c>.</summary>
    public string? Value { get; set; }
}
