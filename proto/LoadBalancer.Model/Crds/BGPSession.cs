using System.Text.Json;
using System.Text.Json.Serialization;
using LoadBalancer.Kube.Api;

namespace LoadBalancer.Model.Crds;

/// <summary>Written by the speaker: one per (node, peer), updated on state changes only.</summary>
public sealed class BGPSession : IKubeObjectWithStatus<BGPSessionStatus>
{
    public const string KindName = "BGPSession";
    public const string Plural = "bgpsessions";
    public string? ApiVersion { get; set; } = ModelGroup.ApiVersion;
    public string? Kind { get; set; } = KindName;
    public ObjectMeta Metadata { get; set; } = new();
    public BGPSessionStatus? Status { get; set; }
    [JsonExtensionData] public Dictionary<string, JsonElement>? Extra { get; set; }
}

public sealed class BGPSessionStatus
{
    public string? Node { get; set; }
    /// <summary>The BGPPeer name.</summary>
    public string? Peer { get; set; }
    /// <summary>RFC 4271 state: Idle, Connect, Active, OpenSent, OpenConfirm, Established.</summary>
    public string? State { get; set; }
    [JsonConverter(typeof(KubeTimeConverter))] public DateTimeOffset? EstablishedSince { get; set; }
    public long? PrefixesAdvertised { get; set; }
    public string? LastError { get; set; }
    [JsonExtensionData] public Dictionary<string, JsonElement>? Extra { get; set; }
}
