using System.Text.Json;
using System.Text.Json.Serialization;
using LoadBalancer.Kube.Api;

namespace LoadBalancer.Model.Crds;

/// <summary>BFD timers for BGP peers (MetalLB <c>BFDProfile</c>).</summary>
public sealed class BFDProfile : IKubeObjectWithStatus<ConditionsStatus>
{
    public const string KindName = "BFDProfile";
    public const string Plural = "bfdprofiles";
    public string? ApiVersion { get; set; } = ModelGroup.ApiVersion;
    public string? Kind { get; set; } = KindName;
    public ObjectMeta Metadata { get; set; } = new();
    public BFDProfileSpec Spec { get; set; } = new();
    public ConditionsStatus? Status { get; set; }
    [JsonExtensionData] public Dictionary<string, JsonElement>? Extra { get; set; }
}

public sealed class BFDProfileSpec
{
    /// <summary>Milliseconds, 10..60000, default 300.</summary>
    public uint? ReceiveInterval { get; set; }
    /// <summary>Milliseconds, 10..60000, default 300.</summary>
    public uint? TransmitInterval { get; set; }
    /// <summary>2..255, default 3.</summary>
    public uint? DetectMultiplier { get; set; }
    /// <summary>Milliseconds, 10..60000, default 50.</summary>
    public uint? EchoInterval { get; set; }
    public bool? EchoMode { get; set; }
    public bool? PassiveMode { get; set; }
    /// <summary>1..254 (multihop only).</summary>
    public uint? MinimumTtl { get; set; }
    [JsonExtensionData] public Dictionary<string, JsonElement>? Extra { get; set; }
}
