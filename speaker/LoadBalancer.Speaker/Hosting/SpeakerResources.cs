using LoadBalancer.Kube;
using LoadBalancer.Model.Crds;

namespace LoadBalancer.Speaker.Hosting;

/// <summary>The Kube client descriptors of our CRDs the speaker reads and writes.</summary>
internal static class SpeakerResources
{
    public static ResourceType<ServiceAnnouncement> ServiceAnnouncements { get; } = new(ModelGroup.Group, ModelGroup.Version, ServiceAnnouncement.Plural,
        ServiceAnnouncement.KindName, namespaced: true, ModelJsonContext.Default.ServiceAnnouncement, ModelJsonContext.Default.KubeListServiceAnnouncement,
        ModelJsonContext.Default.WatchEventServiceAnnouncement);

    public static ResourceType<BGPSession> BgpSessions { get; } = new(ModelGroup.Group, ModelGroup.Version, BGPSession.Plural,
        BGPSession.KindName, namespaced: true, ModelJsonContext.Default.BGPSession, ModelJsonContext.Default.KubeListBGPSession,
        ModelJsonContext.Default.WatchEventBGPSession);

    public static ResourceType<IPAddressPool> Pools { get; } = new(ModelGroup.Group, ModelGroup.Version, IPAddressPool.Plural,
        IPAddressPool.KindName, namespaced: true, ModelJsonContext.Default.IPAddressPool, ModelJsonContext.Default.KubeListIPAddressPool,
        ModelJsonContext.Default.WatchEventIPAddressPool);

    public static ResourceType<L2Advertisement> L2Advertisements { get; } = new(ModelGroup.Group, ModelGroup.Version, L2Advertisement.Plural,
        L2Advertisement.KindName, namespaced: true, ModelJsonContext.Default.L2Advertisement, ModelJsonContext.Default.KubeListL2Advertisement,
        ModelJsonContext.Default.WatchEventL2Advertisement);

    public static ResourceType<BGPAdvertisement> BgpAdvertisements { get; } = new(ModelGroup.Group, ModelGroup.Version, BGPAdvertisement.Plural,
        BGPAdvertisement.KindName, namespaced: true, ModelJsonContext.Default.BGPAdvertisement, ModelJsonContext.Default.KubeListBGPAdvertisement,
        ModelJsonContext.Default.WatchEventBGPAdvertisement);

    public static ResourceType<BGPPeer> Peers { get; } = new(ModelGroup.Group, ModelGroup.Version, BGPPeer.Plural,
        BGPPeer.KindName, namespaced: true, ModelJsonContext.Default.BGPPeer, ModelJsonContext.Default.KubeListBGPPeer,
        ModelJsonContext.Default.WatchEventBGPPeer);

    public static ResourceType<Community> Communities { get; } = new(ModelGroup.Group, ModelGroup.Version, Community.Plural,
        Community.KindName, namespaced: true, ModelJsonContext.Default.Community, ModelJsonContext.Default.KubeListCommunity,
        ModelJsonContext.Default.WatchEventCommunity);

    public static ResourceType<BFDProfile> BfdProfiles { get; } = new(ModelGroup.Group, ModelGroup.Version, BFDProfile.Plural,
        BFDProfile.KindName, namespaced: true, ModelJsonContext.Default.BFDProfile, ModelJsonContext.Default.KubeListBFDProfile,
        ModelJsonContext.Default.WatchEventBFDProfile);
}
