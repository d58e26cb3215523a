using System.Text.Json;
using System.Text.Json.Serialization;
using LoadBalancer.Kube.Api;

namespace LoadBalancer.Model.Crds;

/// <summary>Written by the speaker: one per (Service, node) that announces. Deleted when the node stops.</summary>
public sealed class ServiceAnnouncement : IKubeObjectWithStatus<ServiceAnnouncementStatus>
{
    public const string KindName = "ServiceAnnouncement";
    public const string Plural = "serviceannouncements";
    public string? ApiVersion { get; set; } = ModelGroup.ApiVersion;
    public string? Kind { get; set; } = KindName;
    public ObjectMeta Metadata { get; set; } = new();
    public ServiceAnnouncementStatus? Status { get; set; }
    [JsonExtensionData] public Dictionary<string, JsonElement>? Extra { get; set; }
}

public sealed class ServiceAnnouncementStatus
{
    /// <summary>The Service as <c>namespace/name</c>.</summary>
    public string? Service { get; set; }
    public string? Node { get; set; }
    /// <summary><c>layer2</c> or <c>bgp</c>.</summary>
    public string? Protocol { get; set; }
    public List<string>? Ips { get; set; }
    /// <summary>Layer 2: the interfaces answering.</summary>
    public List<string>? Interfaces { get; set; }
    /// <summary>BGP: the peers (BGPPeer names) the prefixes are sent to.</summary>
    public List<string>? Peers { get; set; }
    [JsonExtensionData] public Dictionary<string, JsonElement>? Extra { get; set; }
}
