using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using LoadBalancer.Kube.Api;
using LoadBalancer.Model.Config;
using LoadBalancer.Model.Crds;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace LoadBalancer.Model.Tests.Support;

/// <summary>Turns multi-document YAML (as a user writes it for kubectl) into our typed objects.</summary>
internal static class YamlObjects
{
    public static IReadOnlyList<JsonObject> Documents(string yaml)
    {
        var stream = new YamlStream();
        stream.Load(new StringReader(yaml));
        return stream.Documents.Where(d => d.RootNode is YamlMappingNode).Select(d => (JsonObject)ToJson(d.RootNode)!).ToList();
    }

    private static JsonNode? ToJson(YamlNode node) => node switch
    {
        YamlMappingNode m => new JsonObject(m.Children.Select(kv => KeyValuePair.Create(((YamlScalarNode)kv.Key).Value!, ToJson(kv.Value)))),
        YamlSequenceNode s => new JsonArray(s.Children.Select(ToJson).ToArray()),
        YamlScalarNode sc => Scalar(sc),
        _ => null,
    };

    private static JsonNode? Scalar(YamlScalarNode s)
    {
        var v = s.Value ?? "";
        if (s.Style is ScalarStyle.SingleQuoted or ScalarStyle.DoubleQuoted or ScalarStyle.Literal or ScalarStyle.Folded) return JsonValue.Create(v);
        if (v is "null" or "~" or "") return null;
        if (v is "true") return JsonValue.Create(true);
        if (v is "false") return JsonValue.Create(false);
        if (long.TryParse(v, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var l)) return JsonValue.Create(l);
        return JsonValue.Create(v);
    }

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
