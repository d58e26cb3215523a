using LoadBalancer.Speaker.Announcing;
using static LoadBalancer.Speaker.Tests.DataPlane.DataPlaneFixtures;
using Case = LoadBalancer.Speaker.Tests.DataPlane.NftRendererGoldenTests.Case;

namespace LoadBalancer.Speaker.Tests.DataPlane;

/// <summary>The golden cases, shared with the integration tests that load each of them into a kernel.</summary>
internal static class GoldenCases
{
    public static IEnumerable<Case> All =>
    [
        new("empty", Snapshot()),
        new("cluster", Snapshot(Svc("web", ["203.0.113.10"], [Ep("10.1.0.1"), Ep("10.2.0.1", "n2")]))),
        new("local", Snapshot(Svc("web", ["203.0.113.10"], [Ep("10.1.0.1"), Ep("10.1.0.2"), Ep("10.2.0.1", "n2")],
            etp: TrafficPolicy.Local, hc: 32000))),
        new("local-none-here", Snapshot(Svc("web", ["203.0.113.10"], [Ep("10.2.0.1", "n2")], etp: TrafficPolicy.Local, itp: TrafficPolicy.Local))),
        new("no-endpoints", Snapshot(Svc("web", ["203.0.113.10", "2001:db8::10"], [Ep("10.2.0.1", "n2", ready: false, serving: false)]))),
        new("dual-stack-protocols", Snapshot(Svc("dns", ["203.0.113.20", "2001:db8::20"],
            [Ep("10.1.0.5", portName: "dns"), Ep("fd00:10::5", portName: "dns"), Ep("fd00:10::6", "n2", portName: "dns")],
            ports: [new ServicePortSpec("dns", "UDP", 53), new ServicePortSpec("dns", "TCP", 53), new ServicePortSpec("dns", "SCTP", 53)]))),
        new("affinity-and-ranges", Snapshot(Svc("web", ["203.0.113.10", "2001:db8::10"], [Ep("10.1.0.1"), Ep("10.2.0.1", "n2"), Ep("fd00:10::1")],
            affinity: TimeSpan.FromSeconds(600), ranges: ["198.51.100.0/24", "198.51.100.128/25", "192.0.2.7/32", "2001:db8:1::/48"]))),
        new("terminating-fallback", Snapshot(Svc("web", ["203.0.113.10"],
            [Ep("10.1.0.1", ready: false, terminating: true), Ep("10.2.0.1", "n2", ready: false, terminating: true), Ep("10.2.0.2", "n2", ready: false, serving: false, terminating: true)],
            etp: TrafficPolicy.Local))),
        new("prefer-close", Snapshot(Svc("web", ["203.0.113.10"],
            [Ep("10.1.0.1", zone: "zone-a", hints: ["zone-a"]), Ep("10.2.0.1", "n2", zone: "zone-b", hints: ["zone-b"]), Ep("10.3.0.1", "n3", zone: "zone-a", hints: ["zone-a"])],
            preferClose: true))),
        new("consistent-hash", Snapshot(Svc("web", ["203.0.113.10"], [Ep("10.1.0.1"), Ep("10.2.0.1", "n2")], mode: LoadBalancingMode.ConsistentHash))),
        new("problems", Snapshot(
            Svc("web", ["203.0.113.10"], [Ep("10.1.0.1")]),
            Svc("clash", ["203.0.113.10"], [Ep("10.1.0.2")], ns: "ns0"),
            Svc("Bad_Name", ["203.0.113.11"], [Ep("10.1.0.3")]),
            Svc("icmp", ["203.0.113.12"], [Ep("10.1.0.4")], ports: [new ServicePortSpec("x", "ICMP", 1), new ServicePortSpec("http", "TCP", 0)]))),
        new("snat-node-ip", Snapshot(Svc("web", ["203.0.113.10"], [Ep("10.2.0.1", "n2")])),
            NftRendererGoldenTests.Options with { Masquerade = Speaker.DataPlane.Render.MasqueradeAddress.NodeIp, NodeIps = [System.Net.IPAddress.Parse("192.0.2.11"), System.Net.IPAddress.Parse("2001:db8::11")] }),
    ];
}
