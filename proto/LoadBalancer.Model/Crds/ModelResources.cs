using LoadBalancer.Kube;

namespace LoadBalancer.Model.Crds;

/// <summary>The Kube client descriptors for our CRDs (all namespaced, merge patch only).</summary>
public static class ModelResources
{
    private static readonly ModelJsonContext Json = ModelJsonContext.Default;

    public static ResourceType<IPAddressPool> IPAddressPools { get; } = new(ModelGroup.Group, ModelGroup.Version, IPAddressPool.Plural, IPAddressPool.KindName,
        namespaced: true, Json.IPAddressPool, Json.KubeListIPAddressPool, Json.WatchEventIPAddressPool);

    public static ResourceType<L2Advertisement> L2Advertisements { get; } = new(ModelGroup.Group, ModelGroup.Version, L2Advertisement.Plural, L2Advertisement.KindName,
        namespaced: true, Json.L2Advertisement, Json.KubeListL2Advertisement, Json.WatchEventL2Advertisement);

    public static ResourceType<BGPAdvertisement> BGPAdvertisements { get; } = new(ModelGroup.Group, ModelGroup.Version, BGPAdvertisement.Plural, BGPAdvertisement.KindName,
        namespaced: true, Json.BGPAdvertisement, Json.KubeListBGPAdvertisement, Json.WatchEventBGPAdvertisement);

    public static ResourceType<BGPPeer> BGPPeers { get; } = new(ModelGroup.Group, ModelGroup.Version, BGPPeer.Plural, BGPPeer.KindName,
        namespaced: true, Json.BGPPeer, Json.KubeListBGPPeer, Json.WatchEventBGPPeer);

    public static ResourceType<BFDProfile> BFDProfiles { get; } = new(ModelGroup.Group, ModelGroup.Version, BFDProfile.Plural, BFDProfile.KindName,
        namespaced: true, Json.BFDProfile, Json.KubeListBFDProfile, Json.WatchEventBFDProfile);

    public static ResourceType<Community> Communities { get; } = new(ModelGroup.Group, ModelGroup.Version, Community.Plural, Community.KindName,
        namespaced: true, Json.Community, Json.KubeListCommunity, Json.WatchEventCommunity);

    public static ResourceType<ServiceAnnouncement> ServiceAnnouncements { get; } = new(ModelGroup.Group, ModelGroup.Version, ServiceAnnouncement.Plural, ServiceAnnouncement.KindName,
        namespaced: true, Json.ServiceAnnouncement, Json.KubeListServiceAnnouncement, Json.WatchEventServiceAnnouncement);

    public static ResourceType<BGPSession> BGPSessions { get; } = new(ModelGroup.Group, ModelGroup.Version, BGPSession.Plural, BGPSession.KindName,
        namespaced: true, Json.BGPSession, Json.KubeListBGPSession, Json.WatchEventBGPSession);
}
