using System.Collections.Immutable;
using System.Net;
using LoadBalancer.Speaker.Announcing;
using LoadBalancer.Speaker.DataPlane.Render;
using static LoadBalancer.Speaker.Tests.DataPlane.DataPlaneFixtures;

namespace LoadBalancer.Speaker.Tests.DataPlane;

/// <summary>
/// The policy semantics of docs/dataplane.md ("What traffic gets"), checked by walking packets through the rendered
/// ruleset with <see cref="NftTracer"/> (kube-proxy's approach): no root, no kernel, but the real rules and elements.
/// Node n1 is this node; endpoints on n2 are remote. Every test runs for IPv4 and IPv6.
/// </summary>
public class NftTracerTests
{
    /// <summary>Addresses of one family: LB IP, an external client, a pod on this node that is no endpoint, the node, endpoints.</summary>
    public sealed record F(bool V6)
    {
        public string Vip => V6 ? "2001:db8::10" : "203.0.113.10";
        public string OtherVip => V6 ? "2001:db8::99" : "203.0.113.99";
        public string Client => V6 ? "2001:db8:ffff::7" : "198.51.100.7";
        public string Outside => V6 ? "2001:db8:2::7" : "192.0.2.200";
        public string ClientRange => V6 ? "2001:db8:ffff::/48" : "198.51.100.0/24";
        public string Pod => V6 ? "fd00:10::99" : "10.1.0.99";
        public string Node => V6 ? "2001:db8::11" : "192.0.2.11";
        public string L1 => V6 ? "fd00:10::1" : "10.1.0.1";
        public string L2 => V6 ? "fd00:10::2" : "10.1.0.2";
        public string R1 => V6 ? "fd00:10:0:2::1" : "10.2.0.1";
        public string R2 => V6 ? "fd00:10:0:2::2" : "10.2.0.2";
        public string R3 => V6 ? "fd00:10:0:3::1" : "10.3.0.1";
        public string Suffix => V6 ? "6" : "4";

        internal NftPacket From(string source, string proto = "tcp", int port = 80, string? to = null, int sport = 40000)
            => new(IPAddress.Parse(source), IPAddress.Parse(to ?? Vip), proto, port, sport);

        internal NftPacket FromHost(string proto = "tcp", int port = 80)
            => NftPacket.FromHost(IPAddress.Parse(Node), IPAddress.Parse(Vip), proto, port);

        public override string ToString() => V6 ? "IPv6" : "IPv4";
    }

    public static TheoryData<F> Families() => new(new F(false), new F(true));

    private static NftTracer Load(params DataPlaneService[] services) => Load(NftRendererGoldenTests.Options, services);

    private static NftTracer Load(NftRenderOptions options, params DataPlaneService[] services)
    {
        var ruleset = NftRenderer.Render(Snapshot(services), options);
        Assert.Empty(ruleset.Problems);
        return NftTracer.Parse(NftText.Full(ruleset));
    }

    private static List<string> Targets(IEnumerable<NftTrace> traces)
        => [.. traces.Select(t => t.Dnat?.ToString() ?? "none: " + t).Order(StringComparer.Ordinal)];

    private static List<string> Endpoints(params string[] ips)
        => [.. ips.Select(ip => new IPEndPoint(IPAddress.Parse(ip), 8080).ToString()).Order(StringComparer.Ordinal)];

    /// <summary>The probability of each DNAT target when every choice value is equally likely (numgen is uniform).</summary>
    private static void Uniform(IReadOnlyList<NftTrace> traces, List<string> endpoints)
    {
        var p = new Dictionary<string, double>(StringComparer.Ordinal);
        foreach (var t in traces)
        {
            var key = t.Dnat?.ToString() ?? "none";
            p[key] = p.GetValueOrDefault(key) + t.Choices.Aggregate(1.0, (acc, c) => acc / c.Choice.Modulus);
        }
        Assert.Equal(endpoints, p.Keys.Order(StringComparer.Ordinal));
        foreach (var (target, probability) in p) Assert.True(Math.Abs(probability - 1.0 / endpoints.Count) < 1e-9, $"{target}: {probability}");
    }

    private static void AllForwarded(IReadOnlyList<NftTrace> traces, bool masqueraded)
    {
        Assert.NotEmpty(traces);
        foreach (var t in traces)
        {
            Assert.True(t.Verdict == NftVerdict.Accepted && t.Dnat is not null, t.ToString());
            Assert.True(t.Masqueraded == masqueraded, $"expected masqueraded={masqueraded}: {t}");
        }
    }

    private static void Dropped(NftTrace t)
    {
        Assert.True(t.Verdict == NftVerdict.Dropped, t.ToString());
        Assert.Null(t.Dnat);
    }

    // ------------------------------------------------------------ external clients

    [Theory]
    [MemberData(nameof(Families))]
    public void External_Cluster_EveryClusterEndpointOnce_Masqueraded(F f)
    {
        var t = Load(Svc("web", [f.Vip], [Ep(f.L1), Ep(f.L2), Ep(f.R1, "n2"), Ep(f.R2, "n2", ready: false, serving: false)]));
        var traces = t.TraceAll(f.From(f.Client));
        AllForwarded(traces, masqueraded: true);
        // numgen random mod 3: each value is one endpoint, each endpoint one value (an even spread), the unready one never.
        Assert.Equal(Endpoints(f.L1, f.L2, f.R1), Targets(traces));
        Assert.All(traces, tr => Assert.Equal(("numgen random mod 3", 3), (tr.Choices.Single().Choice.Expression, tr.Choices.Single().Choice.Modulus)));
        Uniform(traces, Endpoints(f.L1, f.L2, f.R1));
    }

    [Theory]
    [MemberData(nameof(Families))]
    public void External_Local_OnlyThisNodesEndpoints_ClientAddressKept(F f)
    {
        var t = Load(Svc("web", [f.Vip], [Ep(f.L1), Ep(f.L2), Ep(f.R1, "n2")], etp: TrafficPolicy.Local, hc: 32000));
        var traces = t.TraceAll(f.From(f.Client));
        AllForwarded(traces, masqueraded: false);
        Assert.Equal(Endpoints(f.L1, f.L2), Targets(traces));
        // internalTrafficPolicy stays Cluster: a pod reaches every endpoint.
        var pod = t.TraceAll(f.From(f.Pod));
        AllForwarded(pod, masqueraded: false);
        Assert.Equal(Endpoints(f.L1, f.L2, f.R1), Targets(pod));
    }

    [Theory]
    [MemberData(nameof(Families))]
    public void External_Local_NoEndpointOnThisNode_Dropped(F f)
    {
        var t = Load(Svc("web", [f.Vip], [Ep(f.R1, "n2"), Ep(f.R2, "n2")], etp: TrafficPolicy.Local));
        var trace = t.Trace(f.From(f.Client));
        Dropped(trace);
        Assert.Contains($"dp{f.Suffix}: {(f.V6 ? "ip6" : "ip")} daddr . meta l4proto . th dport @xdrop{f.Suffix} drop", trace.Matched);
        Assert.Empty(trace.Choices);
        // Pods still use the Cluster endpoints (internalTrafficPolicy Cluster).
        var pod = t.TraceAll(f.From(f.Pod));
        AllForwarded(pod, masqueraded: false);
        Assert.Equal(Endpoints(f.R1, f.R2), Targets(pod));
    }

    [Theory]
    [MemberData(nameof(Families))]
    public void NoEndpointAnywhere_Rejected_TcpResetForTcp(F f)
    {
        var t = Load(Svc("web", [f.Vip], [Ep(f.R1, "n2", ready: false, serving: false)],
            ports: [new ServicePortSpec("http", "TCP", 80), new ServicePortSpec("http", "UDP", 80), new ServicePortSpec("http", "SCTP", 80)]));
        foreach (var source in new[] { f.From(f.Client), f.From(f.Pod), f.FromHost() })
        {
            var tcp = t.Trace(source);
            Assert.True(tcp.Verdict == NftVerdict.Rejected && tcp.TcpReset && tcp.Dnat is null, tcp.ToString());
            foreach (var proto in new[] { "udp", "sctp" })
            {
                var other = t.Trace(source with { Proto = proto });
                Assert.True(other.Verdict == NftVerdict.Rejected && !other.TcpReset && other.Dnat is null, other.ToString());
            }
        }
    }

    // ------------------------------------------------------------ pods and the node itself

    [Theory]
    [MemberData(nameof(Families))]
    public void Pod_InternalLocal_OnlyThisNodesEndpoints_NotMasqueraded_ExternalStillCluster(F f)
    {
        // As docs/dataplane.md says (pods: internalTrafficPolicy, no SNAT). kube-proxy differs for LB IPs: it masquerades
        // pod traffic of externalTrafficPolicy Cluster and ignores internalTrafficPolicy there (reported to the lead).
        var t = Load(Svc("web", [f.Vip], [Ep(f.L1), Ep(f.L2), Ep(f.R1, "n2")], itp: TrafficPolicy.Local));
        var pod = t.TraceAll(f.From(f.Pod));
        AllForwarded(pod, masqueraded: false);
        Assert.Equal(Endpoints(f.L1, f.L2), Targets(pod));
        var external = t.TraceAll(f.From(f.Client));
        AllForwarded(external, masqueraded: true);
        Assert.Equal(Endpoints(f.L1, f.L2, f.R1), Targets(external));
    }

    [Theory]
    [MemberData(nameof(Families))]
    public void InternalLocal_NoEndpointOnThisNode_PodAndHostDropped(F f)
    {
        // As docs/dataplane.md says. (kube-proxy applies internalTrafficPolicy to ClusterIPs only: there, a pod or the
        // node reaching an LB IP goes to the cluster endpoints; reported to the lead, the documented behaviour is asserted.)
        var t = Load(Svc("web", [f.Vip], [Ep(f.R1, "n2")], itp: TrafficPolicy.Local));
        Dropped(t.Trace(f.From(f.Pod)));
        Dropped(t.Trace(f.FromHost()));
        var external = t.TraceAll(f.From(f.Client));
        AllForwarded(external, masqueraded: true);
        Assert.Equal(Endpoints(f.R1), Targets(external));
    }

    [Theory]
    [MemberData(nameof(Families))]
    public void Host_OutputHook_InternalPolicy_Masqueraded(F f)
    {
        var t = Load(Svc("web", [f.Vip], [Ep(f.L1), Ep(f.R1, "n2")], etp: TrafficPolicy.Local));
        var host = t.TraceAll(f.FromHost());
        AllForwarded(host, masqueraded: true);
        Assert.Equal(Endpoints(f.L1, f.R1), Targets(host));
        Assert.All(host, tr => Assert.Contains(tr.Matched, m => m.StartsWith("nat-output: ", StringComparison.Ordinal)));
        Assert.All(host, tr => Assert.DoesNotContain(tr.Matched, m => m.StartsWith("nat-prerouting: ", StringComparison.Ordinal)));
    }

    [Theory]
    [MemberData(nameof(Families))]
    public void Hairpin_PodPickedItself_Masqueraded_OtherwiseNot(F f)
    {
        var t = Load(Svc("web", [f.Vip], [Ep(f.L1), Ep(f.R1, "n2")]));
        var traces = t.TraceAll(f.From(f.L1));
        Assert.Equal(Endpoints(f.L1, f.R1), Targets(traces));
        foreach (var tr in traces)
        {
            var self = tr.Dnat!.Address.Equals(IPAddress.Parse(f.L1));
            Assert.True(tr.Masqueraded == self, tr.ToString());
        }
    }

    // ------------------------------------------------------------ loadBalancerSourceRanges

    [Theory]
    [MemberData(nameof(Families))]
    public void SourceRanges_OutsideDroppedBeforeNat_InsideForwarded(F f)
    {
        var t = Load(Svc("web", [f.Vip], [Ep(f.L1), Ep(f.R1, "n2")], ranges: [f.ClientRange, "192.0.2.7/32"]));
        foreach (var outside in new[] { f.From(f.Outside), f.From(f.Pod) })
        {
            var trace = t.Trace(outside);
            Dropped(trace);
            Assert.StartsWith("filter-check: ", trace.Matched[^1], StringComparison.Ordinal);
            Assert.DoesNotContain(trace.Matched, m => m.StartsWith("nat-", StringComparison.Ordinal));
        }
        var inside = t.TraceAll(f.From(f.Client));
        AllForwarded(inside, masqueraded: true);
        Assert.Equal(Endpoints(f.L1, f.R1), Targets(inside));
        if (!f.V6)
        {
            AllForwarded(t.TraceAll(f.From("192.0.2.7")), masqueraded: true);
            Dropped(t.Trace(f.From("192.0.2.8")));
        }
    }

    [Fact]
    public void SourceRanges_OfOneFamily_DoNotApplyToTheOther()
    {
        var v4 = new F(false);
        var v6 = new F(true);
        var t = Load(Svc("web", [v4.Vip, v6.Vip], [Ep(v4.L1), Ep(v6.L1)], ranges: [v4.ClientRange]));
        Dropped(t.Trace(v4.From(v4.Outside)));
        AllForwarded(t.TraceAll(v6.From(v6.Outside)), masqueraded: true);
    }

    // ------------------------------------------------------------ not ours

    [Theory]
    [MemberData(nameof(Families))]
    public void NotOurs_Untouched(F f)
    {
        var t = Load(Svc("web", [f.Vip], [Ep(f.L1), Ep(f.R1, "n2")], ranges: [f.ClientRange]));
        foreach (var p in new[] { f.From(f.Outside, port: 81), f.From(f.Outside, to: f.OtherVip), f.From(f.Outside, proto: "udp"), f.From(f.Pod, port: 443) })
        {
            var trace = t.Trace(p);
            Assert.True(trace.Verdict == NftVerdict.Accepted && trace.Dnat is null && !trace.Masqueraded, $"{p}: {trace}");
            Assert.DoesNotContain(trace.Matched, m => m.StartsWith("dp", StringComparison.Ordinal));
        }
    }

    // ------------------------------------------------------------ sessionAffinity

    [Theory]
    [MemberData(nameof(Families))]
    public void SessionAffinity_FirstConnectionPicks_SecondGoesToTheSameEndpoint(F f)
    {
        var service = Svc("web", [f.Vip], [Ep(f.L1), Ep(f.L2), Ep(f.R1, "n2")], affinity: TimeSpan.FromSeconds(600));
        // Every first choice is possible, and only the endpoints.
        var all = Load(service).TraceAll(f.From(f.Client));
        AllForwarded(all, masqueraded: true);
        Uniform(all, Endpoints(f.L1, f.L2, f.R1));

        foreach (var first in Endpoints(f.L1, f.L2, f.R1))
        {
            var t = Load(service);
            // Drive the uniform choice until it picks `first` (each numgen rule: 0 = take this endpoint).
            var picked = all.First(tr => tr.Dnat!.ToString() == first);
            var values = new Queue<int>(picked.Choices.Select(c => c.Value));
            var one = t.Trace(f.From(f.Client), _ => values.Dequeue());
            Assert.Equal(first, one.Dnat?.ToString());
            Assert.True(one.Masqueraded, one.ToString());
            // The client is recorded: the next connection (another source port) goes there without any choice.
            var two = t.Trace(f.From(f.Client, sport: 40001));
            Assert.True(two.Verdict == NftVerdict.Accepted && two.Dnat?.ToString() == first && two.Masqueraded, two.ToString());
            Assert.Empty(two.Choices);
            // Another client is not affected by the record.
            var other = t.TraceAll(f.From(f.Outside));
            Assert.Equal(Endpoints(f.L1, f.L2, f.R1), Targets(other).Distinct());
        }
    }

    [Theory]
    [MemberData(nameof(Families))]
    public void SessionAffinity_Local_PodNotMasqueraded_ExternalOnlyLocal(F f)
    {
        var t = Load(Svc("web", [f.Vip], [Ep(f.L1), Ep(f.R1, "n2")], affinity: TimeSpan.FromSeconds(60), etp: TrafficPolicy.Local));
        var external = t.TraceAll(f.From(f.Client));
        AllForwarded(external, masqueraded: false);
        Assert.Equal(Endpoints(f.L1), Targets(external).Distinct());
        var pod = t.TraceAll(f.From(f.Pod));
        AllForwarded(pod, masqueraded: false);
        Assert.Equal(Endpoints(f.L1, f.R1), Targets(pod).Distinct());
        var host = t.TraceAll(f.FromHost());
        AllForwarded(host, masqueraded: true);
        // Hairpin through the affinity chains: the endpoint reaching itself is masqueraded.
        foreach (var tr in t.TraceAll(f.From(f.L1)))
            Assert.True(tr.Masqueraded == tr.Dnat!.Address.Equals(IPAddress.Parse(f.L1)), tr.ToString());
    }

    [Theory]
    [MemberData(nameof(Families))]
    public void SessionAffinity_NoEndpoints_Rejected(F f)
    {
        var t = Load(Svc("web", [f.Vip], [Ep(f.R1, "n2", ready: false, serving: false)], affinity: TimeSpan.FromSeconds(60)));
        var trace = t.Trace(f.From(f.Client));
        Assert.True(trace.Verdict == NftVerdict.Rejected && trace.TcpReset, trace.ToString());
    }

    // ------------------------------------------------------------ consistent hashing

    [Theory]
    [MemberData(nameof(Families))]
    public void ConsistentHash_EverySlotGoesToItsRingEndpoint(F f)
    {
        var t = Load(Svc("web", [f.Vip], [Ep(f.L1), Ep(f.L2), Ep(f.R1, "n2")], mode: LoadBalancingMode.ConsistentHash));
        var size = Maglev.TableSize(3);
        var ids = new[] { f.L1, f.L2, f.R1 }.Select(ip => NftNames.Address(IPAddress.Parse(ip)) + "/8080").Order(StringComparer.Ordinal).ToList();
        var table = Maglev.Build(ids, size);
        var traces = t.TraceAll(f.From(f.Client, sport: 40123));
        Assert.Equal(size, traces.Count);
        AllForwarded(traces, masqueraded: true);
        foreach (var tr in traces)
        {
            var (choice, slot) = tr.Choices.Single();
            Assert.True(choice.IsHash && choice.Modulus == size, choice.ToString());
            // The hash is over the client's address and port (so every node picks the same endpoint for a flow).
            Assert.Equal([IPAddress.Parse(f.Client).ToString(), "40123"], choice.Inputs);
            Assert.Equal(ids[table[slot]], NftNames.Address(tr.Dnat!.Address) + "/" + tr.Dnat.Port);
        }
        Assert.Equal(Endpoints(f.L1, f.L2, f.R1), Targets(traces).Distinct());
    }

    // ------------------------------------------------------------ endpoint selection

    [Theory]
    [MemberData(nameof(Families))]
    public void TerminatingFallback_ServingTerminatingEndpointsUsedWhenNoneReady(F f)
    {
        var t = Load(Svc("web", [f.Vip],
            [Ep(f.L1, ready: false, terminating: true), Ep(f.R1, "n2", ready: false, terminating: true), Ep(f.R2, "n2", ready: false, serving: false, terminating: true)],
            etp: TrafficPolicy.Local));
        var external = t.TraceAll(f.From(f.Client));
        AllForwarded(external, masqueraded: false);
        Assert.Equal(Endpoints(f.L1), Targets(external));
        var pod = t.TraceAll(f.From(f.Pod));
        AllForwarded(pod, masqueraded: false);
        Assert.Equal(Endpoints(f.L1, f.R1), Targets(pod));
    }

    [Theory]
    [MemberData(nameof(Families))]
    public void PreferClose_OnlyEndpointsHintedForThisZone(F f)
    {
        var t = Load(Svc("web", [f.Vip],
            [Ep(f.L1, zone: "zone-a", hints: ["zone-a"]), Ep(f.R1, "n2", zone: "zone-b", hints: ["zone-b"]), Ep(f.R3, "n3", zone: "zone-a", hints: ["zone-a"])],
            preferClose: true));
        var external = t.TraceAll(f.From(f.Client));
        AllForwarded(external, masqueraded: true);
        Assert.Equal(Endpoints(f.L1, f.R3), Targets(external));
        var pod = t.TraceAll(f.From(f.Pod));
        Assert.Equal(Endpoints(f.L1, f.R3), Targets(pod));
    }

    [Theory]
    [MemberData(nameof(Families))]
    public void Protocols_EachUsesItsOwnRingAndTargetPort(F f)
    {
        var ports = ImmutableDictionary<string, int>.Empty.Add("dns-udp", 5353).Add("dns-tcp", 5354).Add("dns-sctp", 5355);
        var t = Load(Svc("dns", [f.Vip], [Ep(f.L1) with { PortsByName = ports }, Ep(f.R1, "n2") with { PortsByName = ports }],
            ports: [new ServicePortSpec("dns-udp", "UDP", 53), new ServicePortSpec("dns-tcp", "TCP", 53), new ServicePortSpec("dns-sctp", "SCTP", 53)]));
        foreach (var (proto, target) in new[] { ("udp", 5353), ("tcp", 5354), ("sctp", 5355) })
        {
            var traces = t.TraceAll(f.From(f.Client, proto, 53));
            AllForwarded(traces, masqueraded: true);
            Assert.Equal(
                new[] { f.L1, f.R1 }.Select(ip => new IPEndPoint(IPAddress.Parse(ip), target).ToString()).Order(StringComparer.Ordinal),
                Targets(traces));
        }
    }

    [Theory]
    [MemberData(nameof(Families))]
    public void ServicesSharingAShape_EachReachesOnlyItsOwnEndpoints(F f)
    {
        var t = Load(
            Svc("a", [f.Vip], [Ep(f.L1), Ep(f.R1, "n2")]),
            Svc("b", [f.OtherVip], [Ep(f.L2), Ep(f.R2, "n2")]));
        Assert.Equal(Endpoints(f.L1, f.R1), Targets(t.TraceAll(f.From(f.Client))));
        Assert.Equal(Endpoints(f.L2, f.R2), Targets(t.TraceAll(f.From(f.Client, to: f.OtherVip))));
    }

    [Theory]
    [MemberData(nameof(Families))]
    public void MasqueradeToNodeIp_SnatsToTheConfiguredAddress(F f)
    {
        var options = NftRendererGoldenTests.Options with
        {
            Masquerade = MasqueradeAddress.NodeIp,
            NodeIps = [IPAddress.Parse("192.0.2.11"), IPAddress.Parse("2001:db8::11")],
        };
        var t = Load(options, Svc("web", [f.Vip], [Ep(f.L1), Ep(f.R1, "n2")]));
        var traces = t.TraceAll(f.From(f.Client));
        AllForwarded(traces, masqueraded: true);
        Assert.All(traces, tr => Assert.Equal(IPAddress.Parse(f.Node), tr.SnatTo));
        Assert.All(t.TraceAll(f.From(f.Pod)), tr => Assert.False(tr.Masqueraded, tr.ToString()));
    }

    // ------------------------------------------------------------ incremental updates (make before break)

    public static TheoryData<F, string> Updates()
    {
        var data = new TheoryData<F, string>();
        foreach (var f in new[] { new F(false), new F(true) })
            foreach (var name in new[] { "endpoint removed", "local endpoint added", "Cluster to Local", "to no endpoints", "from no endpoints", "hash ring shrinks", "Service replaced" })
                data.Add(f, name);
        return data;
    }

    /// <summary>
    /// After every committed phase of an incremental update, every packet to the Service gets what the old or the new
    /// ruleset gives it (never un-NATed, never another policy), and after the last phase exactly what a full load of
    /// the new state gives.
    /// </summary>
    [Theory]
    [MemberData(nameof(Updates))]
    public void IncrementalUpdate_EveryPhaseGivesTheOldOrTheNewOutcome_TheLastOneTheNew(F f, string update)
    {
        var other = Svc("other", [f.OtherVip], [Ep(f.R3, "n3")]);
        var web3 = Svc("web", [f.Vip], [Ep(f.L1), Ep(f.L2), Ep(f.R1, "n2")]);
        var (before, after) = update switch
        {
            "endpoint removed" => (web3, Svc("web", [f.Vip], [Ep(f.L1), Ep(f.R1, "n2")])),
            "local endpoint added" => (Svc("web", [f.Vip], [Ep(f.L1), Ep(f.R1, "n2")], etp: TrafficPolicy.Local),
                Svc("web", [f.Vip], [Ep(f.L1), Ep(f.L2), Ep(f.R1, "n2")], etp: TrafficPolicy.Local)),
            "Cluster to Local" => (web3, Svc("web", [f.Vip], [Ep(f.L1), Ep(f.L2), Ep(f.R1, "n2")], etp: TrafficPolicy.Local)),
            "to no endpoints" => (web3, Svc("web", [f.Vip], [Ep(f.L1, ready: false, serving: false)])),
            "from no endpoints" => (Svc("web", [f.Vip], []), web3),
            "hash ring shrinks" => (Svc("web", [f.Vip], [Ep(f.L1), Ep(f.L2), Ep(f.R1, "n2")], mode: LoadBalancingMode.ConsistentHash),
                Svc("web", [f.Vip], [Ep(f.L1), Ep(f.R1, "n2")], mode: LoadBalancingMode.ConsistentHash)),
            "Service replaced" => (web3, Svc("web2", [f.Vip], [Ep(f.R2, "n2")], ns: "ns2")),
            _ => throw new ArgumentOutOfRangeException(nameof(update)),
        };
        var options = NftRendererGoldenTests.Options;
        var r0 = NftRenderer.Render(Snapshot(before, other), options);
        var r1 = NftRenderer.Render(Snapshot(after, other), options, r0);
        Assert.Empty(r1.Problems);
        var tx = NftDiff.Incremental(r0, r1);
        Assert.NotNull(tx);
        var old = NftTracer.Parse(NftText.Full(r0));
        var fresh = NftTracer.Parse(NftText.Full(NftRenderer.Render(Snapshot(after, other), options)));
        var live = NftTracer.Parse(NftText.Full(r0));
        NftPacket[] packets = [f.From(f.Client), f.From(f.Pod), f.FromHost(), f.From(f.Client, to: f.OtherVip)];
        var allowed = packets.ToDictionary(p => p, p => Outcomes(old.TraceAll(p)).Concat(Outcomes(fresh.TraceAll(p))).ToHashSet(StringComparer.Ordinal));
        var phase = 0;
        foreach (var p in tx!.Phases())
        {
            live.Apply(p.Text);
            phase++;
            foreach (var packet in packets)
                foreach (var outcome in Outcomes(live.TraceAll(packet)))
                    Assert.True(allowed[packet].Contains(outcome), $"after phase {phase}, {packet}: {outcome}; old or new: {string.Join(" | ", allowed[packet])}");
        }
        foreach (var packet in packets) Assert.Equal(Outcomes(fresh.TraceAll(packet)), Outcomes(live.TraceAll(packet)));
    }

    private static List<string> Outcomes(IEnumerable<NftTrace> traces)
        => [.. traces.Select(t => $"{t.Verdict} {t.Dnat?.ToString() ?? "-"}{(t.Masqueraded ? " masq" : "")}{(t.TcpReset ? " reset" : "")}").Order(StringComparer.Ordinal)];

    // ------------------------------------------------------------ the tracer itself

    [Fact]
    public void Tracer_Apply_RefusesWhatTheKernelRefuses()
    {
        var t = NftTracer.Parse(NftText.Full(NftRenderer.Render(Snapshot(Svc("web", ["203.0.113.10"], [Ep("10.1.0.1")])), NftRendererGoldenTests.Options)));
        Assert.Throws<NotSupportedException>(() => t.Apply("delete element inet lb lb4 { 203.0.113.99 . tcp . 80 }\n"));
        Assert.Throws<NotSupportedException>(() => t.Apply("delete set inet lb c4tn1\n"));
        Assert.Throws<NotSupportedException>(() => t.Apply("add element inet lb cep4-tcp { 203.0.113.10 . 80 . 0 : 10.9.9.9 . 80 }\n"));
        Assert.Throws<NotSupportedException>(() => t.Apply("replace rule inet lb clu4 handle 1 drop\n"));
    }

    [Fact]
    public void Tracer_ParsesEveryGoldenCase()
    {
        foreach (var c in GoldenCases.All)
        {
            var tracer = NftTracer.Parse(NftText.Full(NftRenderer.Render(c.Snapshot, c.RenderOptions ?? NftRendererGoldenTests.Options)));
            Assert.Contains("nat-prerouting", tracer.Chains);
        }
    }

    [Theory]
    [InlineData("\t\tjump filter-check\n", "\t\tiifname \"eth0\" jump filter-check\n", "'iifname'")]
    [InlineData("masquerade fully-random", "masquerade random", "'random'")]
    [InlineData("policy accept;", "policy drop;", "policy drop;")]
    [InlineData("goto clu4\n", "goto nowhere4\n", "nowhere4")]
    [InlineData("@xdrop4 drop", "@nosuchset drop", "nosuchset")]
    [InlineData("numgen random mod 2 0 goto", "numgen inc mod 2 0 goto", "'inc'")]
    [InlineData("ct status dnat", "ct status snat", "ct status snat")]
    [InlineData("add element inet lb svc4 { 203.0.113.10 . tcp . 80 : goto ext-ns1/web/tcp/80 }", "add element inet lb svc4 { 203.0.113.10 . tcp . 80 : goto ext-ns1/web/tcp/81 }", "ext-ns1/web/tcp/81")]
    public void Tracer_UnsupportedGrammar_Throws(string from, string to, string named)
    {
        var text = NftText.Full(NftRenderer.Render(GoldenCases.All.Single(c => c.Name == "affinity-and-ranges").Snapshot, NftRendererGoldenTests.Options));
        Assert.Contains(from, text, StringComparison.Ordinal);
        var e = Assert.Throws<NotSupportedException>(() => NftTracer.Parse(text.Replace(from, to, StringComparison.Ordinal)));
        Assert.Contains(named, e.Message, StringComparison.Ordinal);
    }
}
