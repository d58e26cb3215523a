using System.Text.Json;
using System.Text.Json.Serialization;

namespace LoadBalancer.Kube.Api;

// core/v1 types this project reads or writes. Field names follow the API exactly (camelCase by the JSON context).

public sealed class V1Service : IKubeObjectWithStatus<ServiceStatus>
{
    public string? ApiVersion { get; set; } = "v1";
    public string? Kind { get; set; } = "Service";
    public ObjectMeta Metadata { get; set; } = new();
    public ServiceSpec? Spec { get; set; }
    public ServiceStatus? Status { get; set; }
    [JsonExtensionData] public Dictionary<string, JsonElement>? Extra { get; set; }
}

public sealed class ServiceSpec
{
    /// <summary>ClusterIP, NodePort, LoadBalancer, ExternalName.</summary>
    public string? Type { get; set; }
    public List<ServicePort>? Ports { get; set; }
    public Dictionary<string, string>? Selector { get; set; }
    public string? ClusterIP { get; set; }
    public List<string>? ClusterIPs { get; set; }
    /// <summary>IPv4, IPv6 in the order the Service prefers.</summary>
    public List<string>? IpFamilies { get; set; }
    /// <summary>SingleStack, PreferDualStack, RequireDualStack.</summary>
    public string? IpFamilyPolicy { get; set; }
    public string? LoadBalancerIP { get; set; }
    public string? LoadBalancerClass { get; set; }
    public List<string>? LoadBalancerSourceRanges { get; set; }
    /// <summary>Cluster or Local.</summary>
    public string? ExternalTrafficPolicy { get; set; }
    /// <summary>Cluster or Local.</summary>
    public string? InternalTrafficPolicy { get; set; }
    public int? HealthCheckNodePort { get; set; }
    /// <summary>None or ClientIP.</summary>
    public string? SessionAffinity { get; set; }
    public SessionAffinityConfig? SessionAffinityConfig { get; set; }
    public bool? AllocateLoadBalancerNodePorts { get; set; }
    /// <summary>PreferClose (or unset).</summary>
    public string? TrafficDistribution { get; set; }
    public List<string>? ExternalIPs { get; set; }
    public bool? PublishNotReadyAddresses { get; set; }
    [JsonExtensionData] public Dictionary<string, JsonElement>? Extra { get; set; }
}

public sealed class ServicePort
{
    public string? Name { get; set; }
    /// <summary>TCP, UDP or SCTP (TCP when unset).</summary>
    public string? Protocol { get; set; }
    public int Port { get; set; }
    public IntOrString? TargetPort { get; set; }
    public int? NodePort { get; set; }
    public string? AppProtocol { get; set; }
}

public sealed class SessionAffinityConfig
{
    public ClientIPConfig? ClientIP { get; set; }
}

public sealed class ClientIPConfig
{
    public int? TimeoutSeconds { get; set; }
}

public sealed class ServiceStatus
{
    public LoadBalancerStatus? LoadBalancer { get; set; }
    public List<Condition>? Conditions { get; set; }
    [JsonExtensionData] public Dictionary<string, JsonElement>? Extra { get; set; }
}

public sealed class LoadBalancerStatus
{
    public List<LoadBalancerIngress>? Ingress { get; set; }
}

public sealed class LoadBalancerIngress
{
    public string? Ip { get; set; }
    public string? Hostname { get; set; }
    /// <summary>VIP or Proxy (Kubernetes 1.30+).</summary>
    public string? IpMode { get; set; }
    public List<PortStatus>? Ports { get; set; }
}

public sealed class PortStatus
{
    public int Port { get; set; }
    public string? Protocol { get; set; }
    public string? Error { get; set; }
}

public sealed class V1Node : IKubeObjectWithStatus<NodeStatus>
{
    public string? ApiVersion { get; set; } = "v1";
    public string? Kind { get; set; } = "Node";
    public ObjectMeta Metadata { get; set; } = new();
    public NodeSpec? Spec { get; set; }
    public NodeStatus? Status { get; set; }
    [JsonExtensionData] public Dictionary<string, JsonElement>? Extra { get; set; }
}

public sealed class NodeSpec
{
    public string? PodCIDR { get; set; }
    public List<string>? PodCIDRs { get; set; }
    public bool? Unschedulable { get; set; }
    public List<Taint>? Taints { get; set; }
    [JsonExtensionData] public Dictionary<string, JsonElement>? Extra { get; set; }
}

public sealed class Taint
{
    public string Key { get; set; } = "";
    public string? Value { get; set; }
    public string Effect { get; set; } = "";
}

public sealed class NodeStatus
{
    /// <summary>Types: InternalIP, ExternalIP, Hostname.</summary>
    public List<NodeAddress>? Addresses { get; set; }
    /// <summary>Types include Ready and NetworkUnavailable.</summary>
    public List<NodeCondition>? Conditions { get; set; }
    [JsonExtensionData] public Dictionary<string, JsonElement>? Extra { get; set; }
}

public sealed class NodeAddress
{
    public string Type { get; set; } = "";
    public string Address { get; set; } = "";
}

public sealed class NodeCondition
{
    public string Type { get; set; } = "";
    public string Status { get; set; } = "Unknown";
    public string? Reason { get; set; }
    public string? Message { get; set; }
    [JsonConverter(typeof(KubeTimeConverter))] public DateTimeOffset? LastHeartbeatTime { get; set; }
    [JsonConverter(typeof(KubeTimeConverter))] public DateTimeOffset? LastTransitionTime { get; set; }
}

public sealed class V1Namespace : IKubeObject
{
    public string? ApiVersion { get; set; } = "v1";
    public string? Kind { get; set; } = "Namespace";
    public ObjectMeta Metadata { get; set; } = new();
    [JsonExtensionData] public Dictionary<string, JsonElement>? Extra { get; set; }
}

public sealed class V1Secret : IKubeObject
{
    public string? ApiVersion { get; set; } = "v1";
    public string? Kind { get; set; } = "Secret";
    public ObjectMeta Metadata { get; set; } = new();
    public string? Type { get; set; }
    /// <summary>Values are base64 on the wire; decoded bytes here.</summary>
    public Dictionary<string, byte[]>? Data { get; set; }
    public Dictionary<string, string>? StringData { get; set; }
    [JsonExtensionData] public Dictionary<string, JsonElement>? Extra { get; set; }
}

/// <summary>core/v1 Pod, read-only: only what this project looks at.</summary>
public sealed class V1Pod : IKubeObject
{
    public string? ApiVersion { get; set; } = "v1";
    public string? Kind { get; set; } = "Pod";
    public ObjectMeta Metadata { get; set; } = new();
    public PodSpec? Spec { get; set; }
    public PodStatus? Status { get; set; }
    [JsonExtensionData] public Dictionary<string, JsonElement>? Extra { get; set; }
}

public sealed class PodSpec
{
    public string? NodeName { get; set; }
    public bool? HostNetwork { get; set; }
    [JsonExtensionData] public Dictionary<string, JsonElement>? Extra { get; set; }
}

public sealed class PodStatus
{
    public string? Phase { get; set; }
    public string? PodIP { get; set; }
    public List<PodIP>? PodIPs { get; set; }
    public string? HostIP { get; set; }
    [JsonExtensionData] public Dictionary<string, JsonElement>? Extra { get; set; }
}

public sealed class PodIP
{
    public string Ip { get; set; } = "";
}
