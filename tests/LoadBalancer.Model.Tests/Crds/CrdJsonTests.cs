using System.Text.Json;
using LoadBalancer.Kube.Api;
using LoadBalancer.Model.Crds;

namespace LoadBalancer.Model.Tests.Crds;

public class CrdJsonTests
{
    private static string Names(JsonElement e, string prop) => string.Join(",", e.GetProperty(prop).EnumerateObject().Select(p => p.Name));

    [Fact]
    public void IPAddressPool_UsesMetalLBFieldNames()
    {
        var pool = new IPAddressPool
        {
            Metadata = new ObjectMeta { Name = "public", Namespace = "loadbalancer-system" },
            Spec = new IPAddressPoolSpec
            {
                Addresses = ["192.0.2.0/24"], AutoAssign = false, AvoidBuggyIPs = true,
                ServiceAllocation = new ServiceAllocation { Priority = 1, Namespaces = ["a"], NamespaceSelectors = [new LabelSelector()], ServiceSelectors = [new LabelSelector()] },
            },
            Status = new IPAddressPoolStatus { AssignedIPv4 = 1, AssignedIPv6 = 2, AvailableIPv4 = 3, AvailableIPv6 = 4, Conditions = [] },
        };
        var json = JsonSerializer.SerializeToElement(pool, ModelJsonContext.Default.IPAddressPool);
        Assert.Equal("lb.baremetal.dev/v1beta1", json.GetProperty("apiVersion").GetString());
        Assert.Equal("IPAddressPool", json.GetProperty("kind").GetString());
        Assert.Equal("addresses,autoAssign,avoidBuggyIPs,serviceAllocation", Names(json, "spec"));
        Assert.Equal("priority,namespaces,namespaceSelectors,serviceSelectors", Names(json.GetProperty("spec"), "serviceAllocation"));
        Assert.Equal("assignedIPv4,assignedIPv6,availableIPv4,availableIPv6,conditions", Names(json, "status"));
    }

    [Fact]
    public void Advertisements_And_Peers_UseMetalLBFieldNames()
    {
        var l2 = new L2Advertisement { Spec = new L2AdvertisementSpec { IPAddressPools = ["a"], IPAddressPoolSelectors = [], NodeSelectors = [], Interfaces = ["eth0"], ServiceSelectors = [], GratuitousInterval = "30s" } };
        Assert.Equal("ipAddressPools,ipAddressPoolSelectors,nodeSelectors,interfaces,serviceSelectors,gratuitousInterval",
            Names(JsonSerializer.SerializeToElement(l2, ModelJsonContext.Default.L2Advertisement), "spec"));

        var bgp = new BGPAdvertisement { Spec = new BGPAdvertisementSpec { AggregationLength = 32, AggregationLengthV6 = 128, LocalPref = 100, Communities = [], IPAddressPools = [], IPAddressPoolSelectors = [], NodeSelectors = [], Peers = [], ServiceSelectors = [] } };
        Assert.Equal("aggregationLength,aggregationLengthV6,localPref,communities,ipAddressPools,ipAddressPoolSelectors,nodeSelectors,peers,serviceSelectors",
            Names(JsonSerializer.SerializeToElement(bgp, ModelJsonContext.Default.BGPAdvertisement), "spec"));

        var peer = new BGPPeer { Spec = new BGPPeerSpec { MyASN = 64500, PeerASN = 64501, PeerAddress = "192.0.2.1", PeerPort = 179, SourceAddress = "192.0.2.2", HoldTime = "90s", KeepaliveTime = "30s", ConnectTime = "5s", RouterID = "192.0.2.2", NodeSelectors = [], Password = "x", PasswordSecret = new SecretReference { Name = "s" }, EbgpMultiHop = true, BfdProfile = "b", EnableGracefulRestart = true } };
        Assert.Equal("myASN,peerASN,peerAddress,peerPort,sourceAddress,holdTime,keepaliveTime,connectTime,routerID,nodeSelectors,password,passwordSecret,ebgpMultiHop,bfdProfile,enableGracefulRestart",
            Names(JsonSerializer.SerializeToElement(peer, ModelJsonContext.Default.BGPPeer), "spec"));

        var bfd = new BFDProfile { Spec = new BFDProfileSpec { ReceiveInterval = 300, TransmitInterval = 300, DetectMultiplier = 3, EchoInterval = 50, EchoMode = false, PassiveMode = false, MinimumTtl = 254 } };
        Assert.Equal("receiveInterval,transmitInterval,detectMultiplier,echoInterval,echoMode,passiveMode,minimumTtl",
            Names(JsonSerializer.SerializeToElement(bfd, ModelJsonContext.Default.BFDProfile), "spec"));
    }

    [Fact]
    public void SpeakerKinds_RoundTrip()
    {
        var ann = new ServiceAnnouncement
        {
            Metadata = new ObjectMeta { Name = "web-n1" },
            Status = new ServiceAnnouncementStatus { Service = "default/web", Node = "n1", Protocol = "layer2", Ips = ["192.0.2.10"], Interfaces = ["eth0"], Peers = [] },
        };
        var text = JsonSerializer.Serialize(ann, ModelJsonContext.Default.ServiceAnnouncement);
        var back = JsonSerializer.Deserialize(text, ModelJsonContext.Default.ServiceAnnouncement)!;
        Assert.Equal("default/web", back.Status!.Service);
        Assert.Equal(["192.0.2.10"], back.Status.Ips!);

        var session = new BGPSession { Status = new BGPSessionStatus { Node = "n1", Peer = "tor", State = "Established", EstablishedSince = new DateTimeOffset(2026, 1, 2, 3, 4, 5, TimeSpan.Zero), PrefixesAdvertised = 3, LastError = "" } };
        var json = JsonSerializer.SerializeToElement(session, ModelJsonContext.Default.BGPSession);
        Assert.Equal("2026-01-02T03:04:05Z", json.GetProperty("status").GetProperty("establishedSince").GetString());
        Assert.Equal("node,peer,state,establishedSince,prefixesAdvertised,lastError", Names(json, "status"));
    }

    [Fact]
    public void UnknownFields_SurviveRoundTrip()
    {
        const string text = """{"apiVersion":"lb.baremetal.dev/v1beta1","kind":"IPAddressPool","metadata":{"name":"p"},"spec":{"addresses":["192.0.2.0/24"],"futureField":{"x":1}},"newTopLevel":true}""";
        var pool = JsonSerializer.Deserialize(text, ModelJsonContext.Default.IPAddressPool)!;
        var again = JsonSerializer.Serialize(pool, ModelJsonContext.Default.IPAddressPool);
        Assert.Contains("\"futureField\":{\"x\":1}", again, StringComparison.Ordinal);
        Assert.Contains("\"newTopLevel\":true", again, StringComparison.Ordinal);
    }

    [Fact]
    public void Annotations_OursWin_ThenMetalLB_ThenLegacy()
    {
        var a = new Dictionary<string, string> { ["metallb.universe.tf/address-pool"] = "legacy", ["metallb.io/address-pool"] = "mlb" };
        Assert.True(ServiceAnnotations.TryGet(a, "address-pool", out var v, out var key));
        Assert.Equal(("mlb", "metallb.io/address-pool"), (v, key));
        a[ServiceAnnotations.AddressPool] = "ours";
        Assert.Equal("ours", ServiceAnnotations.Get(a, "address-pool"));
        Assert.Null(ServiceAnnotations.Get(a, "allow-shared-ip"));
    }
}
