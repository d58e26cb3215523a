using System.Text.Json;
using System.Text.Json.Serialization;
using LoadBalancer.Kube.Api;

namespace LoadBalancer.Model.Crds;

/// <summary>Announce pools by ARP/NDP from the selected nodes (MetalLB <c>L2Advertisement</c>).</summary>
public sealed class L2Advertisement : IKubeObjectWithStatus<ConditionsStatus>
{
    public const string KindName = "L2Advertisement";
    public const string Plural = "l2advertisements";
    public string? ApiVersion { get; set; } = ModelGroup.ApiVersion;
    public string? Kind { get; set; } = KindName;
    public ObjectMeta Metadata { get; set; } = new();
    public L2AdvertisementSpec Spec { get; set; } = new();
    public ConditionsStatus? Status { get; set; }
    [JsonExtensionData] public Dictionary<string, JsonElement>? Extra { get; set; }
}

public sealed class L2AdvertisementSpec
{
    /// <summary>Pool names. With <see cref="IPAddressPoolSelectors"/> also empty, every pool.</summary>
    public List<string>? IPAddressPools { get; set; }
    public List<LabelSelector>? IPAddressPoolSelectors { get; set; }
    /// <summary>Nodes eligible to answer; empty = all.</summary>
    public List<LabelSelector>? NodeSelectors { get; set; }
    /// <summary>Interface names; empty = all.</summary>
    public List<string>? Interfaces { get; set; }
    /// <summary>Services this advertisement applies to (OR); empty = all.</summary>
    public List<LabelSelector>? ServiceSelectors { get; set; }
    /// <summary>Ours: periodic gratuitous ARP / unsolicited NA interval (<c>"30s"</c>); unset = off.</summary>
    public string? GratuitousInterval { get; set; }
    [JsonExtensionData] public Dictionary<string, JsonElement>? Extra { get; set; }
}
