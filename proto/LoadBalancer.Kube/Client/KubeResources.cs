using LoadBalancer.Kube.Api;

namespace LoadBalancer.Kube;

/// <summary>Descriptors of the built-in kinds this library models.</summary>
public static class KubeResources
{
    private static readonly KubeJsonContext Json = KubeJsonContext.Default;

    public static ResourceType<V1Service> Services { get; } = new("", "v1", "services", "Service", namespaced: true,
        Json.V1Service, Json.KubeListV1Service, Json.WatchEventV1Service, supportsStrategicMerge: true);

    public static ResourceType<V1Node> Nodes { get; } = new("", "v1", "nodes", "Node", namespaced: false,
        Json.V1Node, Json.KubeListV1Node, Json.WatchEventV1Node, supportsStrategicMerge: true);

    public static ResourceType<V1Namespace> Namespaces { get; } = new("", "v1", "namespaces", "Namespace", namespaced: false,
        Json.V1Namespace, Json.KubeListV1Namespace, Json.WatchEventV1Namespace, supportsStrategicMerge: true);

    public static ResourceType<V1Secret> Secrets { get; } = new("", "v1", "secrets", "Secret", namespaced: true,
        Json.V1Secret, Json.KubeListV1Secret, Json.WatchEventV1Secret, supportsStrategicMerge: true);

    public static ResourceType<V1Pod> Pods { get; } = new("", "v1", "pods", "Pod", namespaced: true,
        Json.V1Pod, Json.KubeListV1Pod, Json.WatchEventV1Pod, supportsStrategicMerge: true);

    public static ResourceType<V1EndpointSlice> EndpointSlices { get; } = new("discovery.k8s.io", "v1", "endpointslices", "EndpointSlice",
        namespaced: true, Json.V1EndpointSlice, Json.KubeListV1EndpointSlice, Json.WatchEventV1EndpointSlice, supportsStrategicMerge: true);

    public static ResourceType<V1Lease> Leases { get; } = new("coordination.k8s.io", "v1", "leases", "Lease", namespaced: true,
        Json.V1Lease, Json.KubeListV1Lease, Json.WatchEventV1Lease, supportsStrategicMerge: true);

    public static ResourceType<EventsV1Event> Events { get; } = new("events.k8s.io", "v1", "events", "Event", namespaced: true,
        Json.EventsV1Event, Json.KubeListEventsV1Event, Json.WatchEventEventsV1Event, supportsStrategicMerge: true);
}
