using System.Text.Json;
using System.Text.Json.Serialization;

namespace LoadBalancer.Kube.Api;

/// <summary>discovery.k8s.io/v1 EndpointSlice. The owning Service is in label <c>kubernetes.io/service-name</c>.</summary>
public sealed class V1EndpointSlice : IKubeObject
{
    public const string ServiceNameLabel = "kubernetes.io/service-name";

    public string? ApiVersion { get; set; } = "discovery.k8s.io/v1";
    public string? Kind { get; set; } = "EndpointSlice";
    public ObjectMeta Metadata { get; set; } = new();
    /// <summary>IPv4, IPv6 or FQDN.</summary>
    public string AddressType { get; set; } = "IPv4";
    public List<Endpoint>? Endpoints { get; set; }
    public List<EndpointPort>? Ports { get; set; }
    [JsonExtensionData] public Dictionary<string, JsonElement>? Extra { get; set; }
}

public sealed class Endpoint
{
    public List<string> Addresses { get; set; } = [];
    public EndpointConditions? Conditions { get; set; }
    public string? Hostname { get; set; }
    public string? NodeName { get; set; }
    public string? Zone { get; set; }
    public EndpointHints? Hints { get; set; }
    public ObjectReference? TargetRef { get; set; }
}

/// <summary>Nil ready/serving means true (API convention); nil terminating means false.</summary>
public sealed class EndpointConditions
{
    public bool? Ready { get; set; }
    public bool? Serving { get; set; }
    public bool? Terminating { get; set; }
}

public sealed class EndpointHints
{
    public List<ForZone>? ForZones { get; set; }
    public List<ForNode>? ForNodes { get; set; }
}

public sealed class ForZone
{
    public string Name { get; set; } = "";
}

public sealed class ForNode
{
    public string Name { get; set; } = "";
}

public sealed class EndpointPort
{
    public string? Name { get; set; }
    public string? Protocol { get; set; }
    public int? Port { get; set; }
    public string? AppProtocol { get; set; }
}
