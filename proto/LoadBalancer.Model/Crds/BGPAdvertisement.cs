using System.Text.Json;
using System.Text.Json.Serialization;
using LoadBalancer.Kube.Api;

namespace LoadBalancer.Model.Crds;

/// <summary>Announce pools to BGP peers (MetalLB <c>BGPAdvertisement</c>).</summary>
public sealed class BGPAdvertisement : IKubeObjectWithStatus<ConditionsStatus>
{
    public const string KindName = "BGPAdvertisement";
    public const string Plural = "bgpadvertisements";
    public string? ApiVersion { get; set; } = ModelGroup.ApiVersion;
    public string? Kind { get; set; } = KindName;
    public ObjectMeta Metadata { get; set; } = new();
    public BGPAdvertisementSpec Spec { get; set; } = new();
    public ConditionsStatus? Status { get; set; }
    [JsonExtensionData] public Dictionary<string, JsonElement>? Extra { get; set; }
}

public sealed class BGPAdvertisementSpec
{
    /// <summary>Default 32.</summary>
    public int? AggregationLength { get; set; }
    /// <summary>Default 128.</summary>
    [JsonPropertyName("aggregationLengthV6")] public int? AggregationLengthV6 { get; set; }
    /// <summary>LOCAL_PREF, sent to iBGP peers only.</summary>
    public uint? LocalPref { get; set; }
    /// <summary><c>AA:NN</c>, <c>large:A:B:C</c> or the name of a <see cref="Community"/> alias.</summary>
    public List<string>? Communities { get; set; }
    public List<string>? IPAddressPools { get; set; }
    public List<LabelSelector>? IPAddressPoolSelectors { get; set; }
    public List<LabelSelector>? NodeSelectors { get; set; }
    /// <summary>BGPPeer names; empty = all peers.</summary>
    public List<string>? Peers { get; set; }
    public List<LabelSelector>? ServiceSelectors { get; set; }
    [JsonExtensionData] public Dictionary<string, JsonElement>? Extra { get; set; }
}
