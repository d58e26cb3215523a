using System.Text.Json;
using System.Text.Json.Serialization;
using LoadBalancer.Kube.Api;

namespace LoadBalancer.Model.Crds;

/// <summary>A BGP neighbour the speakers on the selected nodes connect to (MetalLB <c>BGPPeer</c> v1beta2 fields).</summary>
public sealed class BGPPeer : IKubeObjectWithStatus<ConditionsStatus>
{
    public const string KindName = "BGPPeer";
    public const string Plural = "bgppeers";
    public string? ApiVersion { get; set; } = ModelGroup.ApiVersion;
    public string? Kind { get; set; } = KindName;
    public ObjectMeta Metadata { get; set; } = new();
    public BGPPeerSpec Spec { get; set; } = new();
    public ConditionsStatus? Status { get; set; }
    [JsonExtensionData] public Dictionary<string, JsonElement>? Extra { get; set; }
}

public sealed class BGPPeerSpec
{
    [JsonPropertyName("myASN")] public uint? MyASN { get; set; }
    [JsonPropertyName("peerASN")] public uint? PeerASN { get; set; }
    /// <summary>MetalLB FRR-only (<c>internal</c>/<c>external</c>); rejected here.</summary>
    [JsonPropertyName("dynamicASN")] public string? DynamicASN { get; set; }
    /// <summary>MetalLB FRR-only; rejected here.</summary>
    [JsonPropertyName("localASN")] public uint? LocalASN { get; set; }
    public string? PeerAddress { get; set; }
    /// <summary>MetalLB FRR-only (unnumbered BGP); rejected here.</summary>
    public string? Interface { get; set; }
    /// <summary>Default 179.</summary>
    public int? PeerPort { get; set; }
    public string? SourceAddress { get; set; }
    /// <summary>Duration, default <c>90s</c>; 0 or at least 3s.</summary>
    public string? HoldTime { get; set; }
    /// <summary>Duration, default holdTime/3.</summary>
    public string? KeepaliveTime { get; set; }
    /// <summary>Duration in whole seconds, 1..65535 s.</summary>
    public string? ConnectTime { get; set; }
    [JsonPropertyName("routerID")] public string? RouterID { get; set; }
    public List<LabelSelector>? NodeSelectors { get; set; }
    /// <summary>TCP MD5 password; exclusive with <see cref="PasswordSecret"/>.</summary>
    public string? Password { get; set; }
    public SecretReference? PasswordSecret { get; set; }
    public bool? EbgpMultiHop { get; set; }
    public string? BfdProfile { get; set; }
    public bool? EnableGracefulRestart { get; set; }
    /// <summary>Do not dial: wait for the peer to connect to the speaker's BGP listener (ours; GoBGP <c>passive-mode</c>, FRR <c>neighbor passive</c>).</summary>
    public bool? Passive { get; set; }
    /// <summary>MetalLB FRR-only; rejected here.</summary>
    public string? Vrf { get; set; }
    /// <summary>Advertise IPv4 over an IPv6 session and the reverse (MP-BGP).</summary>
    public bool? DualStackAddressFamily { get; set; }
    [JsonExtensionData] public Dictionary<string, JsonElement>? Extra { get; set; }
}

/// <summary>core/v1 SecretReference: a Secret of type kubernetes.io/basic-auth with key <c>password</c>.</summary>
public sealed class SecretReference
{
    public string? Name { get; set; }
    public string? Namespace { get; set; }
}
