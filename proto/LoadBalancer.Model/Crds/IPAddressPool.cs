using System.Text.Json;
using System.Text.Json.Serialization;
using LoadBalancer.Kube.Api;

namespace LoadBalancer.Model.Crds;

/// <summary>A set of addresses the controller may assign to Services (MetalLB <c>IPAddressPool</c>).</summary>
public sealed class IPAddressPool : IKubeObjectWithStatus<IPAddressPoolStatus>
{
    public const string KindName = "IPAddressPool";
    public const string Plural = "ipaddresspools";
    public string? ApiVersion { get; set; } = ModelGroup.ApiVersion;
    public string? Kind { get; set; } = KindName;
    public ObjectMeta Metadata { get; set; } = new();
    public IPAddressPoolSpec Spec { get; set; } = new();
    public IPAddressPoolStatus? Status { get; set; }
    [JsonExtensionData] public Dictionary<string, JsonElement>? Extra { get; set; }
}

public sealed class IPAddressPoolSpec
{
    /// <summary>CIDRs (<c>192.0.2.0/24</c>, <c>2001:db8::/64</c>) and ranges (<c>192.0.2.10-192.0.2.20</c>). Required.</summary>
    public List<string>? Addresses { get; set; }
    /// <summary>Default true. When false the pool serves only Services that ask for it (annotation or IP).</summary>
    public bool? AutoAssign { get; set; }
    /// <summary>Skip IPv4 addresses ending in .0 and .255.</summary>
    [JsonPropertyName("avoidBuggyIPs")] public bool? AvoidBuggyIPs { get; set; }
    public ServiceAllocation? ServiceAllocation { get; set; }
    [JsonExtensionData] public Dictionary<string, JsonElement>? Extra { get; set; }
}

/// <summary>Which Services a pool prefers (MetalLB <c>serviceAllocation</c>).</summary>
public sealed class ServiceAllocation
{
    /// <summary>Lower is preferred; 0 or unset is the lowest preference.</summary>
    public int? Priority { get; set; }
    public List<string>? Namespaces { get; set; }
    public List<LabelSelector>? NamespaceSelectors { get; set; }
    public List<LabelSelector>? ServiceSelectors { get; set; }
}

public sealed class IPAddressPoolStatus
{
    [JsonPropertyName("assignedIPv4")] public long? AssignedIPv4 { get; set; }
    [JsonPropertyName("assignedIPv6")] public long? AssignedIPv6 { get; set; }
    [JsonPropertyName("availableIPv4")] public long? AvailableIPv4 { get; set; }
    [JsonPropertyName("availableIPv6")] public long? AvailableIPv6 { get; set; }
    public List<Condition>? Conditions { get; set; }
    [JsonExtensionData] public Dictionary<string, JsonElement>? Extra { get; set; }
}
