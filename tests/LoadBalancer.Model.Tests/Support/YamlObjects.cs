using System.Text.Json;
using System.Text.Json.Nodes;
using LoadBalancer.Kube.Api;
using LoadBalancer.Model.Config;
using LoadBalancer.Model.Crds;
using LoadBalancer.Yaml;

namespace LoadBalancer.Model.Tests.Support;

/// <summary>Turns multi-document YAML (as a user writes it for kubectl) into our typed objects.</summary>
internal static class YamlObjects
{
    public static IReadOnlyList<JsonObject> Documents(string yaml)
        => YamlJson.TryParseObjects(yaml, out var objects, out var error) ? objects : throw new InvalidOperationException("test YAML: " + error);

    /// <summary>Every CR and Namespace/Node in the YAML, by kind. Objects without a namespace go to loadbalancer-system.</summary>
    public static ClusterResources Resources(string yaml)
    {
        var pools = new List<IPAddressPool>();
        var l2 = new List<L2Advertisement>();
        var bgp = new List<BGPAdvertisement>();
        var peers = new List<BGPPeer>();
        var bfd = new List<BFDProfile>();
        var communities = new List<Community>();
        var namespaces = new List<V1Namespace>();
        var nodes = new List<V1Node>();
        foreach (var doc in Documents(yaml))
        {
            var kind = doc["kind"]!.GetValue<string>();
            var text = doc.ToJsonString();
            switch (kind)
            {
                case "IPAddressPool": pools.Add(Fix(JsonSerializer.Deserialize(text, ModelJsonContext.Default.IPAddressPool)!)); break;
                case "L2Advertisement": l2.Add(Fix(JsonSerializer.Deserialize(text, ModelJsonContext.Default.L2Advertisement)!)); break;
                case "BGPAdvertisement": bgp.Add(Fix(JsonSerializer.Deserialize(text, ModelJsonContext.Default.BGPAdvertisement)!)); break;
                case "BGPPeer": peers.Add(Fix(JsonSerializer.Deserialize(text, ModelJsonContext.Default.BGPPeer)!)); break;
                case "BFDProfile": bfd.Add(Fix(JsonSerializer.Deserialize(text, ModelJsonContext.Default.BFDProfile)!)); break;
                case "Community": communities.Add(Fix(JsonSerializer.Deserialize(text, ModelJsonContext.Default.Community)!)); break;
                case "Namespace": namespaces.Add(JsonSerializer.Deserialize(text, KubeJsonContext.Default.V1Namespace)!); break;
                case "Node": nodes.Add(JsonSerializer.Deserialize(text, KubeJsonContext.Default.V1Node)!); break;
                default: throw new InvalidOperationException($"unknown kind {kind}");
            }
        }
        return new ClusterResources
        {
            Pools = pools, L2Advertisements = l2, BgpAdvertisements = bgp, Peers = peers, BfdProfiles = bfd,
            Communities = communities, Namespaces = namespaces, Nodes = nodes,
        };
    }

    private static T Fix<T>(T o) where T : IKubeObject
    {
        o.Metadata.Namespace ??= ModelGroup.DefaultNamespace;
        return o;
    }
}
