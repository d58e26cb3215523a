using System.Text.Json;
using System.Text.Json.Serialization;
using LoadBalancer.Kube.Api;

namespace LoadBalancer.Model.Crds;

/// <summary>The status of user-written kinds that carry only conditions (the controller writes <c>Valid</c>).</summary>
public sealed class ConditionsStatus
{
    public List<Condition>? Conditions { get; set; }
    [JsonExtensionData] public Dictionary<string, JsonElement>? Extra { get; set; }
}
