using System.Net;
using LoadBalancer.Model.Config;
using LoadBalancer.Model.Net;
using LoadBalancer.Model.Tests.Support;

namespace LoadBalancer.Model.Tests.Config;

public class ConfigBuilderTests
{
    /// <summary>One table row: YAML in, the expected errors ("Kind/name field: message part") and a check on the config.</summary>
    public sealed record Case(string Name, string Yaml, string[] Errors, Action<LoadBalancerConfig>? Check = null)
    {
        public override string ToString() => Name;
    }

    private const string Pool = """
        apiVersion: lb.baremetal.dev/v1beta1
        kind: IPAddressPool
        metadata: {name: public}
        spec:
          addresses: [192.0.2.0/24, "2001:db8::/64"]
        """;

    private const string Peer = """
        apiVersion: lb.baremetal.dev/v1beta1
        kind: BGPPeer
        metadata: {name: tor}
        spec: {myASN: 64500, peerASN: 64501, peerAddress: 198.51.100.1}
        """;

    public static TheoryData<Case> Cases() => new()
    {
        new("valid pool with defaults", Pool, [], c =>
        {
            var p = Assert.Single(c.Pools);
            Assert.True(p.AutoAssign);
            Assert.False(p.AvoidBuggyIPs);
            Assert.Null(p.Allocation);
            Assert.Equal("192.0.2.0/24,2001:db8::/64", string.Join(",", p.Ranges));
            Assert.Equal((UInt128)256, p.Size(IPFamily.IPv4));
            Assert.Equal(UInt128.One << 64, p.Size(IPFamily.IPv6));
        }),
        new("a /8 and a /64 without enumeration, avoidBuggyIPs counted", """
            kind: IPAddressPool
            metadata: {name: big}
            spec: {addresses: [10.0.0.0/8, "2001:db8:1::/64"], avoidBuggyIPs: true, autoAssign: false}
            """, [], c =>
        {
            var p = c.PoolsByName["big"];
            Assert.Equal((UInt128)(16777216 - 2 * 65536), p.Size(IPFamily.IPv4));
            Assert.False(p.AutoAssign);
        }),
        new("range with spaces", """
            kind: IPAddressPool
            metadata: {name: r}
            spec: {addresses: ["192.0.2.10 - 192.0.2.20"]}
            """, [], c => Assert.Equal((UInt128)11, c.Pools[0].Size(IPFamily.IPv4))),
        new("malformed CIDR", """
            kind: IPAddressPool
            metadata: {name: bad}
            spec: {addresses: [192.0.2.0/24, 192.0.2.300/24, 198.51.100.0/33]}
            """, ["IPAddressPool/bad spec.addresses[1]: \"192.0.2.300\" is not an IP address", "IPAddressPool/bad spec.addresses[2]: prefix length \"33\""],
            c => Assert.Empty(c.Pools)),
        new("range start after end", """
            kind: IPAddressPool
            metadata: {name: bad}
            spec: {addresses: [192.0.2.20-192.0.2.10]}
            """, ["IPAddressPool/bad spec.addresses[0]: start 192.0.2.20 is after end 192.0.2.10"]),
        new("no addresses", """
            kind: IPAddressPool
            metadata: {name: empty}
            spec: {addresses: []}
            """, ["IPAddressPool/empty spec.addresses: at least one CIDR"]),
        new("overlap within a pool", """
            kind: IPAddressPool
            metadata: {name: self}
            spec: {addresses: [192.0.2.0/24, 192.0.2.128-192.0.2.130]}
            """, ["IPAddressPool/self spec.addresses[1]: 192.0.2.128-192.0.2.130 overlaps 192.0.2.0/24 (spec.addresses[0])"]),
        new("overlap across pools: the later name is rejected, the other works", """
            kind: IPAddressPool
            metadata: {name: a}
            spec: {addresses: [192.0.2.0/25]}
            ---
            kind: IPAddressPool
            metadata: {name: b}
            spec: {addresses: [192.0.2.100-192.0.2.200]}
            ---
            kind: IPAddressPool
            metadata: {name: c}
            spec: {addresses: [198.51.100.0/24]}
            """, ["IPAddressPool/b spec.addresses[0]: 192.0.2.100-192.0.2.200 overlaps 192.0.2.0/25 of IPAddressPool \"a\""],
            c => Assert.Equal("a,c", string.Join(",", c.Pools.Select(p => p.Name)))),
        new("serviceAllocation resolves namespaceSelectors against Namespace labels", """
            kind: IPAddressPool
            metadata: {name: pinned}
            spec:
              addresses: [192.0.2.0/24]
              serviceAllocation:
                priority: 10
                namespaces: [explicit]
                namespaceSelectors: [{matchLabels: {team: red}}]
                serviceSelectors: [{matchExpressions: [{key: tier, operator: In, values: [web]}]}]
            ---
            kind: Namespace
            metadata: {name: red-1, labels: {team: red}}
            ---
            kind: Namespace
            metadata: {name: blue-1, labels: {team: blue}}
            """, [], c =>
        {
            var a = c.Pools[0].Allocation!;
            Assert.Equal(10, a.Priority);
            Assert.Equal("explicit,red-1", string.Join(",", a.Namespaces!.Order(StringComparer.Ordinal)));
            Assert.True(c.Pools[0].Selects("red-1", new Dictionary<string, string> { ["tier"] = "web" }));
            Assert.False(c.Pools[0].Selects("red-1", new Dictionary<string, string> { ["tier"] = "db" }));
            Assert.False(c.Pools[0].Selects("blue-1", new Dictionary<string, string> { ["tier"] = "web" }));
        }),
        new("empty serviceAllocation selects every Service", """
            kind: IPAddressPool
            metadata: {name: p}
            spec: {addresses: [192.0.2.0/24], serviceAllocation: {priority: 1}}
            """, [], c =>
        {
            Assert.Null(c.Pools[0].Allocation!.Namespaces);
            Assert.True(c.Pools[0].Selects("any", null));
        }),
        new("bad selector syntax", """
            kind: IPAddressPool
            metadata: {name: p}
            spec:
              addresses: [192.0.2.0/24]
              serviceAllocation:
                priority: -1
                namespaces: [Bad_NS]
                serviceSelectors:
                - matchExpressions: [{key: tier, operator: Equals, values: [a]}, {key: x, operator: In}]
                - matchLabels: {"-bad": ok}
            """, [
                "IPAddressPool/p spec.serviceAllocation.priority: -1 must not be negative",
                "IPAddressPool/p spec.serviceAllocation.namespaces[0]: \"Bad_NS\" is not a valid namespace name",
                "IPAddressPool/p spec.serviceAllocation.serviceSelectors[0].matchExpressions[0].operator: unknown operator \"Equals\"",
                "IPAddressPool/p spec.serviceAllocation.serviceSelectors[0].matchExpressions[1].values: operator In needs at least one value",
                "IPAddressPool/p spec.serviceAllocation.serviceSelectors[1].matchLabels: invalid label key \"-bad\"",
            ]),
        new("L2Advertisement: empty pools = all pools; unknown pool is an error", Pool + """

            ---
            kind: IPAddressPool
            metadata: {name: other, labels: {zone: a}}
            spec: {addresses: [198.51.100.0/24]}
            ---
            kind: L2Advertisement
            metadata: {name: all}
            spec: {gratuitousInterval: 30s, interfaces: [eth0]}
            ---
            kind: L2Advertisement
            metadata: {name: by-label}
            spec: {ipAddressPoolSelectors: [{matchLabels: {zone: a}}], nodeSelectors: [{matchLabels: {rack: "1"}}]}
            ---
            kind: L2Advertisement
            metadata: {name: missing}
            spec: {ipAddressPools: [public, nope], gratuitousInterval: 10ms, interfaces: ["eth0/1"]}
            """, [
                "L2Advertisement/missing spec.ipAddressPools[1]: unknown IPAddressPool \"nope\"",
                "L2Advertisement/missing spec.gratuitousInterval: 10ms must be 0 (off) or between 1s and 1h",
                "L2Advertisement/missing spec.interfaces[0]: \"eth0/1\" is not a valid interface name",
            ], c =>
        {
            Assert.Equal(2, c.L2Advertisements.Count);
            var all = c.L2Advertisements.Single(a => a.Name == "all");
            Assert.Equal("other,public", string.Join(",", all.Pools));
            Assert.Equal(TimeSpan.FromSeconds(30), all.GratuitousInterval);
            var byLabel = c.L2Advertisements.Single(a => a.Name == "by-label");
            Assert.Equal("other", string.Join(",", byLabel.Pools));
            Assert.True(byLabel.SelectsNode(new Dictionary<string, string> { ["rack"] = "1" }));
            Assert.False(byLabel.SelectsNode(new Dictionary<string, string> { ["rack"] = "2" }));
        }),
        new("BGPPeer defaults: hold 90s keepalive 30s, port 179", Peer, [], c =>
        {
            var p = c.Peers[0];
            Assert.Equal(TimeSpan.FromSeconds(90), p.HoldTime);
            Assert.Equal(TimeSpan.FromSeconds(30), p.KeepaliveTime);
            Assert.Equal(179, p.PeerPort);
            Assert.Equal(IPAddress.Parse("198.51.100.1"), p.PeerAddress);
            Assert.False(p.IsIbgp);
            Assert.False(p.Passive);
        }),
        new("BGPPeer passive: the router dials the speaker", """
            kind: BGPPeer
            metadata: {name: p}
            spec: {myASN: 64500, peerASN: 64501, peerAddress: 198.51.100.1, passive: true}
            """, [], c => Assert.True(c.PeersByName["p"].Passive)),
        new("BGPPeer timers derive each other", """
            kind: BGPPeer
            metadata: {name: a}
            spec: {myASN: 64500, peerASN: 64500, peerAddress: 198.51.100.1, holdTime: 9s}
            ---
            kind: BGPPeer
            metadata: {name: b}
            spec: {myASN: 64500, peerASN: 64500, peerAddress: 198.51.100.2, keepaliveTime: 1m}
            """, [], c =>
        {
            Assert.Equal((TimeSpan.FromSeconds(9), TimeSpan.FromSeconds(3)), (c.PeersByName["a"].HoldTime, c.PeersByName["a"].KeepaliveTime));
            Assert.Equal((TimeSpan.FromMinutes(3), TimeSpan.FromMinutes(1)), (c.PeersByName["b"].HoldTime, c.PeersByName["b"].KeepaliveTime));
            Assert.True(c.PeersByName["a"].IsIbgp);
        }),
        new("bad ASN, hold time, keepalive, address, port, router id", """
            kind: BGPPeer
            metadata: {name: bad}
            spec:
              myASN: 0
              peerAddress: 198.51.100.x
              peerPort: 70000
              holdTime: 2s
              keepaliveTime: 1.5s
              routerID: "2001:db8::1"
              connectTime: 0s
              password: a
              passwordSecret: {name: s}
              vrf: red
            """, [
                "BGPPeer/bad spec.myASN: is required",
                "BGPPeer/bad spec.peerASN: is required",
                "BGPPeer/bad spec.vrf: VRFs are not supported",
                "BGPPeer/bad spec.peerAddress: \"198.51.100.x\" is not an IP address",
                "BGPPeer/bad spec.peerPort: 70000 is out of range",
                "BGPPeer/bad spec.holdTime: 2s must be 0 or at least 3s",
                "BGPPeer/bad spec.keepaliveTime: 1.5s must be a whole number of seconds",
                "BGPPeer/bad spec.connectTime: 0s is out of range",
                "BGPPeer/bad spec.routerID: \"2001:db8::1\" is not an IPv4 address",
                "BGPPeer/bad spec.passwordSecret: password and passwordSecret are mutually exclusive",
            ]),
        new("keepalive longer than hold; unknown bfdProfile; ebgpMultiHop on iBGP; bad duration", """
            kind: BGPPeer
            metadata: {name: bad}
            spec: {myASN: 64500, peerASN: 64500, peerAddress: 198.51.100.1, holdTime: 30s, keepaliveTime: 40s, bfdProfile: fast, ebgpMultiHop: true}
            ---
            kind: BGPPeer
            metadata: {name: worse}
            spec: {myASN: 64500, peerASN: 64501, peerAddress: 198.51.100.2, holdTime: "90"}
            """, [
                "BGPPeer/bad spec.keepaliveTime: 40s must not be longer than holdTime 30s",
                "BGPPeer/bad spec.ebgpMultiHop: is only valid for eBGP",
                "BGPPeer/bad spec.bfdProfile: unknown BFDProfile \"fast\"",
                "BGPPeer/worse spec.holdTime: invalid duration \"90\": missing unit",
            ]),
        new("BFD profile and peer referencing it", """
            kind: BFDProfile
            metadata: {name: fast}
            spec: {receiveInterval: 100, transmitInterval: 100, detectMultiplier: 3}
            ---
            kind: BFDProfile
            metadata: {name: silly}
            spec: {receiveInterval: 5, detectMultiplier: 1, minimumTtl: 255}
            ---
            kind: BGPPeer
            metadata: {name: tor}
            spec: {myASN: 64500, peerASN: 64501, peerAddress: "2001:db8::1", sourceAddress: 198.51.100.9, bfdProfile: fast}
            """, [
                "BFDProfile/silly spec.receiveInterval: 5ms is out of range 10..60000ms",
                "BFDProfile/silly spec.detectMultiplier: 1 is out of range 2..255",
                "BFDProfile/silly spec.minimumTtl: 255 is out of range 1..254",
                "BGPPeer/tor spec.sourceAddress: 198.51.100.9 is not of the same IP family",
            ], c => Assert.Equal(TimeSpan.FromMilliseconds(100), c.BfdProfilesByName["fast"].ReceiveInterval)),
        new("duplicate peer address on overlapping nodes", Peer + """

            ---
            kind: BGPPeer
            metadata: {name: tor2}
            spec: {myASN: 64500, peerASN: 64501, peerAddress: 198.51.100.1}
            ---
            kind: BGPPeer
            metadata: {name: tor3}
            spec: {myASN: 64500, peerASN: 64501, peerAddress: 198.51.100.1, peerPort: 1790}
            """, ["BGPPeer/tor2 spec.peerAddress: 198.51.100.1 port 179 is already the address of BGPPeer \"tor\""],
            c => Assert.Equal("tor,tor3", string.Join(",", c.Peers.Select(p => p.Name)))),
        new("communities: aliases, legacy, large; bad values and unknown names", Pool + "\n---\n" + Peer + """

            ---
            kind: Community
            metadata: {name: aliases}
            spec:
              communities:
              - {name: no-export, value: "65535:65281"}
              - {name: big, value: "large:64500:1:2"}
              - {name: broken, value: "70000:1"}
            ---
            kind: Community
            metadata: {name: more}
            spec: {communities: [{name: blackhole, value: "65535:666"}]}
            ---
            kind: BGPAdvertisement
            metadata: {name: good}
            spec: {ipAddressPools: [public], communities: [blackhole, "64500:100", "large:1:2:3"], peers: [tor], localPref: 100}
            ---
            kind: BGPAdvertisement
            metadata: {name: bad}
            spec: {communities: [no-such-alias, "1:2:3"], peers: [nobody]}
            """, [
                "Community/aliases spec.communities[2].value: invalid community \"70000:1\"",
                "BGPAdvertisement/bad spec.communities[0]: \"no-such-alias\" is neither AA:NN, large:A:B:C nor the name of a Community alias",
                "BGPAdvertisement/bad spec.communities[1]: \"1:2:3\" is neither",
                "BGPAdvertisement/bad spec.peers[0]: unknown BGPPeer \"nobody\"",
            ], c =>
        {
            Assert.Equal("65535:666", c.CommunityAliases["blackhole"].ToString());
            Assert.False(c.CommunityAliases.ContainsKey("no-export")); // the whole Community object is excluded
            var ad = Assert.Single(c.BgpAdvertisements);
            Assert.Equal("64500:100,65535:666,large:1:2:3", string.Join(",", ad.Communities));
            Assert.Equal(100u, ad.LocalPref);
            Assert.True(ad.SelectsPeer("tor"));
        }),
        new("duplicate community alias across objects", """
            kind: Community
            metadata: {name: a}
            spec: {communities: [{name: x, value: "1:1"}]}
            ---
            kind: Community
            metadata: {name: b}
            spec: {communities: [{name: x, value: "2:2"}]}
            """, ["Community/b spec.communities[0].name: alias \"x\" is already defined by Community \"a\""]),
        new("aggregation shorter than a pool prefix", """
            kind: IPAddressPool
            metadata: {name: small}
            spec: {addresses: [192.0.2.0/26, "2001:db8::/120"]}
            ---
            kind: BGPAdvertisement
            metadata: {name: agg24}
            spec: {ipAddressPools: [small], aggregationLength: 24}
            ---
            kind: BGPAdvertisement
            metadata: {name: agg26}
            spec: {ipAddressPools: [small], aggregationLength: 26, aggregationLengthV6: 64}
            ---
            kind: BGPAdvertisement
            metadata: {name: range}
            spec: {aggregationLength: 33}
            """, [
                "BGPAdvertisement/agg24 spec.aggregationLength: 24 is shorter than prefix 192.0.2.0/26 of IPAddressPool \"small\"",
                "BGPAdvertisement/agg26 spec.aggregationLengthV6: 64 is shorter than prefix 2001:db8::/120",
                "BGPAdvertisement/range spec.aggregationLength: 33 is out of range 1..32",
            ]),
        new("conflicting localPref on the same pool, peers and nodes", Pool + "\n---\n" + Peer + """

            ---
            kind: BGPAdvertisement
            metadata: {name: a}
            spec: {localPref: 100}
            ---
            kind: BGPAdvertisement
            metadata: {name: b}
            spec: {localPref: 200, peers: [tor]}
            ---
            kind: BGPAdvertisement
            metadata: {name: c}
            spec: {localPref: 300, aggregationLength: 24, aggregationLengthV6: 64}
            ---
            kind: BGPAdvertisement
            metadata: {name: d}
            spec: {localPref: 400, nodeSelectors: [{matchLabels: {rack: "1"}}]}
            ---
            kind: BGPAdvertisement
            metadata: {name: e}
            spec: {localPref: 500, nodeSelectors: [{matchLabels: {rack: "2"}}]}
            ---
            kind: Node
            metadata: {name: n1, labels: {rack: "1"}}
            """, [
                "BGPAdvertisement/b spec.localPref: 200 conflicts with localPref 100 of BGPAdvertisement \"a\"",
                "BGPAdvertisement/d spec.localPref: 400 conflicts with localPref 100 of BGPAdvertisement \"a\"",
                "BGPAdvertisement/e spec.localPref: 500 conflicts with localPref 100 of BGPAdvertisement \"a\"",
            ], c => Assert.Equal("a,c", string.Join(",", c.BgpAdvertisements.Select(a => a.Name)))),
        new("localPref: disjoint nodes do not conflict", Pool + """

            ---
            kind: BGPAdvertisement
            metadata: {name: d}
            spec: {localPref: 400, nodeSelectors: [{matchLabels: {rack: "1"}}]}
            ---
            kind: BGPAdvertisement
            metadata: {name: e}
            spec: {localPref: 500, nodeSelectors: [{matchLabels: {rack: "2"}}]}
            ---
            kind: Node
            metadata: {name: n1, labels: {rack: "1"}}
            ---
            kind: Node
            metadata: {name: n2, labels: {rack: "2"}}
            """, [], c => Assert.Equal(2, c.BgpAdvertisements.Count)),
        new("serviceSelectors with a non-default aggregation", Pool + """

            ---
            kind: BGPAdvertisement
            metadata: {name: a}
            spec: {aggregationLength: 24, serviceSelectors: [{matchLabels: {a: b}}]}
            """, ["BGPAdvertisement/a spec.serviceSelectors: cannot be combined with a non-default aggregationLength"]),
        new("unsupported FRR-only peer fields", """
            kind: BGPPeer
            metadata: {name: frr}
            spec: {myASN: 64500, dynamicASN: external, interface: eth0, localASN: 1}
            """, [
                "BGPPeer/frr spec.dynamicASN: is not supported",
                "BGPPeer/frr spec.peerASN: is required",
                "BGPPeer/frr spec.localASN: is not supported",
                "BGPPeer/frr spec.interface: unnumbered BGP is not supported",
                "BGPPeer/frr spec.peerAddress: is required",
            ]),
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void Build(Case c)
    {
        var result = ConfigBuilder.Build(YamlObjects.Resources(c.Yaml));
        var actual = result.Errors.Select(e => $"{e.Object.Kind}/{e.Object.Name} {e.Field}: {e.Message}").ToList();
        foreach (var expected in c.Errors)
        {
            var colon = expected.IndexOf(": ", StringComparison.Ordinal);
            var (head, tail) = (expected[..(colon + 2)], expected[(colon + 2)..]);
            Assert.True(actual.Any(a => a.StartsWith(head, StringComparison.Ordinal) && a.Contains(tail, StringComparison.Ordinal)),
                $"missing error: {expected}\nactual:\n{string.Join("\n", actual)}");
        }
        Assert.True(actual.Count == c.Errors.Length, $"expected {c.Errors.Length} errors, got:\n{string.Join("\n", actual)}");
        c.Check?.Invoke(result.Config);
        // Every error names an object that has a Valid=False entry.
        foreach (var e in result.Errors) Assert.False(result.Objects[e.Object].IsValid);
    }

    [Fact]
    public void Build_IsDeterministic_AndFingerprintStable()
    {
        var yaml = Pool + "\n---\n" + Peer;
        var a = ConfigBuilder.Build(YamlObjects.Resources(yaml));
        var b = ConfigBuilder.Build(YamlObjects.Resources(yaml));
        Assert.True(a.Config.SameAs(b.Config));
        var c = ConfigBuilder.Build(YamlObjects.Resources(yaml.Replace("198.51.100.1", "198.51.100.2", StringComparison.Ordinal)));
        Assert.False(a.Config.SameAs(c.Config));
    }

    [Fact]
    public void InvalidEdit_KeepsLastGoodVersionInForce()
    {
        var v1 = ConfigBuilder.Build(YamlObjects.Resources(Pool));
        Assert.True(v1.IsValid);
        var broken = Pool.Replace("192.0.2.0/24", "192.0.2.0/99", StringComparison.Ordinal);
        var v2 = ConfigBuilder.Build(YamlObjects.Resources(broken), v1);
        var error = Assert.Single(v2.Errors);
        Assert.Equal("spec.addresses[0]", error.Field);
        var validity = v2.Objects[error.Object];
        Assert.True(validity.LastGoodInForce);
        Assert.Contains("the last valid version of this object stays in force", validity.Message, StringComparison.Ordinal);
        Assert.Equal("192.0.2.0/24,2001:db8::/64", string.Join(",", v2.Config.Pools.Single().Ranges));
        // Still broken on the next build: still the last good version.
        var v3 = ConfigBuilder.Build(YamlObjects.Resources(broken), v2);
        Assert.Equal("192.0.2.0/24,2001:db8::/64", string.Join(",", v3.Config.Pools.Single().Ranges));
        // Fixed: the new version.
        var v4 = ConfigBuilder.Build(YamlObjects.Resources(Pool.Replace("192.0.2.0/24", "192.0.2.0/25", StringComparison.Ordinal)), v3);
        Assert.True(v4.IsValid);
        Assert.Equal("192.0.2.0/25,2001:db8::/64", string.Join(",", v4.Config.Pools.Single().Ranges));
    }

    [Fact]
    public void NewObject_ThatOverlapsAnEstablishedOne_IsTheOneRejected()
    {
        const string zeta = """
            kind: IPAddressPool
            metadata: {name: zeta}
            spec: {addresses: [192.0.2.0/24]}
            """;
        var v1 = ConfigBuilder.Build(YamlObjects.Resources(zeta));
        // "alpha" sorts first by name, but "zeta" was there first: alpha is rejected.
        var v2 = ConfigBuilder.Build(YamlObjects.Resources(zeta + "\n---\n" + zeta.Replace("zeta", "alpha", StringComparison.Ordinal)), v1);
        Assert.Equal("alpha", Assert.Single(v2.Errors).Object.Name);
        Assert.Equal("zeta", v2.Config.Pools.Single().Name);
    }

    [Fact]
    public void EditThatOverlapsAnotherPool_FallsBackToLastGood_OtherPoolKeepsWorking()
    {
        const string two = """
            kind: IPAddressPool
            metadata: {name: a}
            spec: {addresses: [192.0.2.0/25]}
            ---
            kind: IPAddressPool
            metadata: {name: b}
            spec: {addresses: [192.0.2.128/25]}
            """;
        var v1 = ConfigBuilder.Build(YamlObjects.Resources(two));
        var v2 = ConfigBuilder.Build(YamlObjects.Resources(two.Replace("192.0.2.0/25", "192.0.2.0/24", StringComparison.Ordinal)), v1);
        var e = Assert.Single(v2.Errors);
        Assert.Equal("a", e.Object.Name);
        Assert.Equal("192.0.2.0/25", v2.Config.PoolsByName["a"].Ranges.Single().ToString());
        Assert.Equal("192.0.2.128/25", v2.Config.PoolsByName["b"].Ranges.Single().ToString());
    }

    [Fact]
    public void WrongNamespace_IsRejected_WhenANamespaceIsConfigured()
    {
        var res = YamlObjects.Resources(Pool.Replace("metadata: {name: public}", "metadata: {name: public, namespace: default}", StringComparison.Ordinal));
        var r = ConfigBuilder.Build(res, null, new ConfigBuilderOptions { Namespace = "loadbalancer-system" });
        Assert.Equal("metadata.namespace", Assert.Single(r.Errors).Field);
        Assert.Empty(r.Config.Pools);
    }

    [Fact]
    public void Garbage_NeverThrows()
    {
        var rng = new Random(7);
        string[] fragments = ["", "-", "/", "192.0.2.", "::", "2001:db8::", "300", "a-b", " ", "0/0", "1.1.1.1-", "/128", "%", "large:", ":"];
        for (var i = 0; i < 2000; i++)
        {
            var addr = string.Concat(Enumerable.Range(0, rng.Next(1, 5)).Select(_ => fragments[rng.Next(fragments.Length)]));
            var yaml = $$"""
                kind: IPAddressPool
                metadata: {name: p}
                spec: {addresses: ["{{addr}}"]}
                ---
                kind: BGPAdvertisement
                metadata: {name: a}
                spec: {communities: ["{{addr}}"], aggregationLength: {{rng.Next(-5, 40)}}}
                ---
                kind: BGPPeer
                metadata: {name: x}
                spec: {myASN: 1, peerASN: 2, peerAddress: "{{addr}}", holdTime: "{{addr}}s"}
                """;
            var r = ConfigBuilder.Build(YamlObjects.Resources(yaml));
            Assert.NotNull(r.Config);
        }
    }
}
