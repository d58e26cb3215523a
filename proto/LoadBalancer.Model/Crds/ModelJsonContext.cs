using System.Text.Json.Serialization;
using LoadBalancer.Kube.Api;

namespace LoadBalancer.Model.Crds;

/// <summary>Source-generated JSON for our CRDs (camelCase, nulls omitted), with their lists and watch events.</summary>
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(IPAddressPool))] [JsonSerializable(typeof(KubeList<IPAddressPool>))] [JsonSerializable(typeof(WatchEvent<IPAddressPool>))]
[JsonSerializable(typeof(L2Advertisement))] [JsonSerializable(typeof(KubeList<L2Advertisement>))] [JsonSerializable(typeof(WatchEvent<L2Advertisement>))]
[JsonSerializable(typeof(BGPAdvertisement))] [JsonSerializable(typeof(KubeList<BGPAdvertisement>))] [JsonSerializable(typeof(WatchEvent<BGPAdvertisement>))]
[JsonSerializable(typeof(BGPPeer))] [JsonSerializable(typeof(KubeList<BGPPeer>))] [JsonSerializable(typeof(WatchEvent<BGPPeer>))]
[JsonSerializable(typeof(BFDProfile))] [JsonSerializable(typeof(KubeList<BFDProfile>))] [JsonSerializable(typeof(WatchEvent<BFDProfile>))]
[JsonSerializable(typeof(Community))] [JsonSerializable(typeof(KubeList<Community>))] [JsonSerializable(typeof(WatchEvent<Community>))]
[JsonSerializable(typeof(ServiceAnnouncement))] [JsonSerializable(typeof(KubeList<ServiceAnnouncement>))] [JsonSerializable(typeof(WatchEvent<ServiceAnnouncement>))]
[JsonSerializable(typeof(BGPSession))] [JsonSerializable(typeof(KubeList<BGPSession>))] [JsonSerializable(typeof(WatchEvent<BGPSession>))]
[JsonSerializable(typeof(IPAddressPoolSpec))] [JsonSerializable(typeof(IPAddressPoolStatus))] [JsonSerializable(typeof(ConditionsStatus))]
[JsonSerializable(typeof(L2AdvertisementSpec))] [JsonSerializable(typeof(BGPAdvertisementSpec))] [JsonSerializable(typeof(BGPPeerSpec))]
[JsonSerializable(typeof(BFDProfileSpec))] [JsonSerializable(typeof(CommunitySpec))]
[JsonSerializable(typeof(ServiceAnnouncementStatus))] [JsonSerializable(typeof(BGPSessionStatus))]
public sealed partial class ModelJsonContext : JsonSerializerContext;
