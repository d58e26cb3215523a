using System.Collections.Immutable;
using LoadBalancer.Speaker.Announcing;
using LoadBalancer.Speaker.DataPlane.Apply;
using LoadBalancer.Speaker.DataPlane.Render;
using static LoadBalancer.Speaker.Tests.DataPlane.DataPlaneFixtures;

namespace LoadBalancer.Speaker.Tests.DataPlane;

public class NftRendererTests
{
    private static DataPlaneService[] Many(int n) => [.. Enumerable.Range(0, n).Select(i =>
        Svc($"s{i}", [$"203.0.{113 + i / 60000}.{i % 250 + 1}"], [Ep($"10.1.{i / 250}.{i % 250 + 1}"), Ep($"10.2.{i / 250}.{i % 250 + 1}", "n2")],
            ports: [new ServicePortSpec("http", "TCP", 1000 + i / 250)]))];

    [Fact]
    public void OneServiceChange_CostsTheSame_AtTenAndAtAThousandServices()
    {
        int Ops(int n)
        {
            var services = Many(n);
            var before = NftRenderer.Render(Snapshot(services), NftRendererGoldenTests.Options);
            services[n / 2] = services[n / 2] with { Endpoints = [Ep("10.9.9.9"), Ep("10.9.9.8"), Ep("10.9.9.7", "n2")] };
            var after = NftRenderer.Render(Snapshot(services), NftRendererGoldenTests.Options, before);
            var tx = NftDiff.Incremental(before, after)!;
            Assert.Equal(1, tx.ChangedServices);
            // Every other Service is reused as is, and keeps its slot block.
            foreach (var (key, objects) in before.Services)
                if (key != services[n / 2].Key) Assert.Same(objects, after.Services[key]);
            return tx.Operations;
        }
        Assert.Equal(Ops(10), Ops(1000));
    }

    [Fact]
    public void NewServiceInstances_WithSameContent_ProduceAnEmptyTransaction()
    {
        var before = NftRenderer.Render(Snapshot(Many(20)), NftRendererGoldenTests.Options);
        var after = NftRenderer.Render(Snapshot(Many(20)), NftRendererGoldenTests.Options, before);
        Assert.True(NftDiff.Incremental(before, after)!.IsEmpty);
    }

    [Fact]
    public void FreshInstancesOfUnchangedServices_AreReused_AsThePlannerBuildsThemAnew()
    {
        var before = NftRenderer.Render(Snapshot(Many(50)), NftRendererGoldenTests.Options);
        // Deep copies, as AnnouncementPlanner makes on every plan: new records, new arrays, new endpoint specs.
        static DataPlaneService Copy(DataPlaneService s) => s with
        {
            LoadBalancerIps = [.. s.LoadBalancerIps], Ports = [.. s.Ports.Select(p => p with { })],
            Endpoints = [.. s.Endpoints.Select(e => e with { PortsByName = ImmutableDictionary.CreateRange(e.PortsByName.ToArray()) })],
        };
        var fresh = Many(50).Select(Copy).ToArray();
        fresh[7] = fresh[7] with { Endpoints = [Ep("10.9.9.9"), Ep("10.9.9.8", "n2")] };
        var after = NftRenderer.Render(Snapshot(fresh), NftRendererGoldenTests.Options, before);
        var tx = NftDiff.Incremental(before, after)!;
        Assert.Equal(1, tx.ChangedServices);
        foreach (var (key, objects) in before.Services)
            if (key != fresh[7].Key) Assert.Same(objects, after.Services[key]);
    }

    public static TheoryData<string> ContentChanges() => new(["key", "ip", "port", "etp", "itp", "affinity", "ranges", "hcnp", "preferClose",
        "mode", "endpoint", "ready", "serving", "terminating", "node", "zone", "hints", "targetPort", "portName"]);

    [Theory]
    [MemberData(nameof(ContentChanges))]
    public void ServiceContent_SeesEveryFieldTheRenderReads(string change)
    {
        var s = Svc("a", ["203.0.113.10"], [Ep("10.1.0.1")]);
        var e = s.Endpoints[0];
        var changed = change switch
        {
            "key" => s with { Key = new ServiceKey("ns1", "b") },
            "ip" => s with { LoadBalancerIps = [System.Net.IPAddress.Parse("203.0.113.11")] },
            "port" => s with { Ports = [new ServicePortSpec("http", "TCP", 81)] },
            "etp" => s with { ExternalTrafficPolicy = TrafficPolicy.Local },
            "itp" => s with { InternalTrafficPolicy = TrafficPolicy.Local },
            "affinity" => s with { SessionAffinityTimeout = TimeSpan.FromSeconds(5) },
            "ranges" => s with { SourceRanges = [System.Net.IPNetwork.Parse("192.0.2.0/24")] },
            "hcnp" => s with { HealthCheckNodePort = 30000 },
            "preferClose" => s with { PreferClose = true },
            "mode" => s with { LoadBalancing = LoadBalancingMode.ConsistentHash },
            "endpoint" => s with { Endpoints = [e with { Address = System.Net.IPAddress.Parse("10.1.0.2") }] },
            "ready" => s with { Endpoints = [e with { Ready = false }] },
            "serving" => s with { Endpoints = [e with { Serving = false }] },
            "terminating" => s with { Endpoints = [e with { Terminating = true }] },
            "node" => s with { Endpoints = [e with { NodeName = "n9" }] },
            "zone" => s with { Endpoints = [e with { Zone = "zone-z" }] },
            "hints" => s with { Endpoints = [e with { ZoneHints = ["zone-z"] }] },
            "targetPort" => s with { Endpoints = [e with { PortsByName = e.PortsByName.SetItem("http", 9999) }] },
            "portName" => s with { Endpoints = [e with { PortsByName = ImmutableDictionary<string, int>.Empty.Add("other", 8080) }] },
            _ => throw new ArgumentException(change),
        };
        Assert.False(ServiceContent.Same(s, changed));
        Assert.True(ServiceContent.Same(s, s with { Endpoints = [e with { }] }));
    }

    [Fact]
    public void ServicesAreElementsOnly_SoTheTableHasTheSameChainsAtTenAndAtAThousandServices()
    {
        static int Chains(int n) => NftText.Full(NftRenderer.Render(Snapshot(Many(n)), NftRendererGoldenTests.Options))
            .Split('\n').Count(l => l.StartsWith("\tchain ", StringComparison.Ordinal));
        Assert.Equal(Chains(10), Chains(1000));
    }

    [Fact]
    public void EndpointCountChange_IsElementOnly_UnlessItIsANewShape()
    {
        var services = Many(50);
        var before = NftRenderer.Render(Snapshot(services), NftRendererGoldenTests.Options);
        // 2 -> 1 endpoint: shape c4tn1 is new (first Service with one endpoint): one set, the chain clu4 rewritten.
        services[7] = services[7] with { Endpoints = [Ep("10.9.9.9")] };
        var first = NftRenderer.Render(Snapshot(services), NftRendererGoldenTests.Options, before);
        var tx = NftDiff.Incremental(before, first)!;
        Assert.Contains(tx.AllOps, op => op.Kind == NftOpKind.AddSet && op.Name == "c4tn1");
        Assert.Contains(tx.AllOps, op => op.Kind == NftOpKind.FlushChain && op.Name == "clu4");
        // A second Service going to one endpoint finds the shape there: elements only.
        services[9] = services[9] with { Endpoints = [Ep("10.9.9.8")] };
        var second = NftRenderer.Render(Snapshot(services), NftRendererGoldenTests.Options, first);
        tx = NftDiff.Incremental(first, second)!;
        Assert.All(tx.AllOps, op => Assert.True(op.Kind is NftOpKind.AddElements or NftOpKind.DeleteElements, op.Kind + " " + op.Name));
        // When the last Service of a shape leaves it, its rule and set go.
        services[7] = services[7] with { Endpoints = [Ep("10.9.9.9"), Ep("10.9.9.7", "n2")] };
        services[9] = services[9] with { Endpoints = [Ep("10.9.9.8"), Ep("10.9.9.6", "n2")] };
        var third = NftRenderer.Render(Snapshot(services), NftRendererGoldenTests.Options, second);
        tx = NftDiff.Incremental(second, third)!;
        Assert.Contains(tx.AllOps, op => op.Kind == NftOpKind.DeleteSet && op.Name == "c4tn1");
        Assert.DoesNotContain("c4tn1", third.ShapeCounts.Keys);
        Assert.Equal(NftRenderer.Render(Snapshot(services), NftRendererGoldenTests.Options).ShapeCounts, third.ShapeCounts);
    }

    [Fact]
    public void ShrinkingRing_IsMadeBeforeItIsBroken()
    {
        var three = Svc("a", ["203.0.113.10"], [Ep("10.1.0.1"), Ep("10.1.0.2"), Ep("10.1.0.3")]);
        var two = Svc("a", ["203.0.113.10"], [Ep("10.1.0.1"), Ep("10.1.0.3")]);
        var before = NftRenderer.Render(Snapshot(three), NftRendererGoldenTests.Options);
        var after = NftRenderer.Render(Snapshot(two), NftRendererGoldenTests.Options, before);
        var phases = NftDiff.Incremental(before, after)!.Phases().ToList();
        Assert.Equal(3, phases.Count);
        static IEnumerable<NftElement> Of(NftTransaction p, NftOpKind kind, string map) =>
            p.Ops.Where(o => o.Kind == kind && o.Name == map).SelectMany(o => o.Elements!);
        // 1 make: joins shape c4tn2 (still in c4tn3), slot 1 gets 10.1.0.3, slot 2 (which c4tn3 can still draw) a live endpoint.
        Assert.Equal(["203.0.113.10 . tcp . 80"], Of(phases[0], NftOpKind.AddElements, "c4tn2").Select(e => e.Key));
        Assert.DoesNotContain(phases[0].Ops, o => o.Kind == NftOpKind.DeleteElements && o.Name == "c4tn3");
        Assert.Contains(new NftElement("cep4-tcp", "203.0.113.10 . 80 . 1", "10.1.0.3 . 8080"), Of(phases[0], NftOpKind.AddElements, "cep4-tcp"));
        Assert.Contains(new NftElement("cep4-tcp", "203.0.113.10 . 80 . 2", "10.1.0.1 . 8080"), Of(phases[0], NftOpKind.AddElements, "cep4-tcp"));
        // 2 break: leaves c4tn3, whose rule and set go.
        Assert.Equal(["203.0.113.10 . tcp . 80"], Of(phases[1], NftOpKind.DeleteElements, "c4tn3").Select(e => e.Key));
        Assert.Contains(phases[1].Ops, o => o.Kind == NftOpKind.DeleteSet && o.Name == "c4tn3");
        // 3 cleanup: slot 2, which nothing can draw any more.
        Assert.Equal(["203.0.113.10 . 80 . 2"], Of(phases[2], NftOpKind.DeleteElements, "cep4-tcp").Select(e => e.Key));
    }

    [Fact]
    public void SharedHairpinElement_StaysWhileAnyServiceUsesIt()
    {
        var a = Svc("a", ["203.0.113.10"], [Ep("10.1.0.1")]);
        var b = Svc("b", ["203.0.113.11"], [Ep("10.1.0.1")]);
        var both = NftRenderer.Render(Snapshot(a, b), NftRendererGoldenTests.Options);
        var hairpin = new NftElement("hp4", "10.1.0.1 . 10.1.0.1", null);
        Assert.Equal(2, both.SharedCounts[hairpin]);
        var onlyB = NftRenderer.Render(Snapshot(b), NftRendererGoldenTests.Options, both);
        Assert.DoesNotContain(NftDiff.Incremental(both, onlyB)!.AllOps, op => op.Elements?.Contains(hairpin) == true);
        var none = NftRenderer.Render(Snapshot(), NftRendererGoldenTests.Options, onlyB);
        Assert.Contains(NftDiff.Incremental(onlyB, none)!.AllOps, op => op.Kind == NftOpKind.DeleteElements && op.Elements!.Contains(hairpin));
        var again = NftRenderer.Render(Snapshot(a), NftRendererGoldenTests.Options, none);
        Assert.Contains(NftDiff.Incremental(none, again)!.AllOps, op => op.Kind == NftOpKind.AddElements && op.Elements!.Contains(hairpin));
    }

    [Fact]
    public void IncrementalRender_EndsWhereAFullRenderEnds_OverRandomChanges()
    {
        var rng = new Random(7);
        string[] pool = ["10.1.0.1", "10.1.0.2", "10.2.0.1", "10.2.0.2", "fd00:10::1", "fd00:10::2"];
        DataPlaneService Random(int k) => Svc($"s{k}", rng.Next(3) == 0 ? [$"203.0.113.{k + 1}", $"2001:db8::{k + 1}"] : [$"203.0.113.{k + 1}"],
            [.. pool.Where(_ => rng.Next(2) == 0).Select(ip => Ep(ip, ip.Contains(".2.", StringComparison.Ordinal) || ip.EndsWith('2') ? "n2" : Node))],
            etp: rng.Next(2) == 0 ? TrafficPolicy.Local : TrafficPolicy.Cluster, itp: rng.Next(3) == 0 ? TrafficPolicy.Local : TrafficPolicy.Cluster)
            with { LoadBalancing = rng.Next(4) == 0 ? LoadBalancingMode.ConsistentHash : LoadBalancingMode.Random };
        var services = Enumerable.Range(0, 20).Select(Random).ToList();
        var applied = NftRenderer.Render(Snapshot([.. services]), NftRendererGoldenTests.Options);
        for (var step = 0; step < 200; step++)
        {
            var k = rng.Next(25);
            services.RemoveAll(s => s.Key.Name == $"s{k}");
            if (rng.Next(4) > 0) services.Add(Random(k));
            var incremental = NftRenderer.Render(Snapshot([.. services]), NftRendererGoldenTests.Options, applied);
            var full = NftRenderer.Render(Snapshot([.. services]), NftRendererGoldenTests.Options);
            Assert.Equal(NftText.Full(full), NftText.Full(incremental));
            Assert.Equal(full.ShapeCounts, incremental.ShapeCounts);
            Assert.Equal(full.SharedCounts.OrderBy(p => p.Key.Key), incremental.SharedCounts.OrderBy(p => p.Key.Key));
            // The diff rendered from applied touches at most the Services the step touched.
            Assert.True(NftDiff.Incremental(applied, incremental)!.ChangedServices <= 1, $"step {step}");
            applied = incremental;
        }
    }

    [Fact]
    public void IncrementalRender_KeepsAnIpPortWithItsOwner_AndHandsItOverWhenTheOwnerGoes()
    {
        var z = Svc("z", ["203.0.113.10"], [Ep("10.1.0.1")]);
        var a = Svc("a", ["203.0.113.10"], [Ep("10.1.0.2")]);
        var first = NftRenderer.Render(Snapshot(z), NftRendererGoldenTests.Options);
        var both = NftRenderer.Render(Snapshot(z, a), NftRendererGoldenTests.Options, first);
        Assert.Same(first.Services[z.Key], both.Services[z.Key]);
        Assert.Contains(both.Problems, p => p.Service == a.Key && p.Message.Contains("already forwarded", StringComparison.Ordinal));
        Assert.Empty(both.Services[a.Key].DispatchKeys);
        var onlyA = NftRenderer.Render(Snapshot(a), NftRendererGoldenTests.Options, both);
        Assert.Equal(new[] { "203.0.113.10 . tcp . 80" }, onlyA.Services[a.Key].DispatchKeys.ToArray());
        Assert.Empty(onlyA.Problems);
    }

    [Fact]
    public void OtherOptions_ForceAFullReplace() =>
        Assert.Null(NftDiff.Incremental(NftRenderer.Render(Snapshot(), NftRendererGoldenTests.Options),
            NftRenderer.Render(Snapshot(), NftRendererGoldenTests.Options with { MasqueradeMark = 0x100 })));

    [Fact]
    public void CounterParser_ReadsOurCounters_AndIgnoresGarbage()
    {
        var json = """{"nftables":[{"metainfo":{"version":"1.0.6"}},{"counter":{"family":"inet","name":"cnt-ns1/web","table":"lb","handle":3,"packets":10,"bytes":1500}},{"counter":{"family":"inet","name":"conn-ns1/web","table":"lb","handle":4,"packets":3,"bytes":180}},{"counter":{"family":"inet","name":"other","table":"lb","packets":1,"bytes":1}}]}""";
        var traffic = NftCounterParser.Parse(json, "lb");
        Assert.Equal(new LoadBalancer.Speaker.DataPlane.ServiceTraffic(10, 1500, 3), traffic[new ServiceKey("ns1", "web")]);
        Assert.Single(traffic);
        Assert.Empty(NftCounterParser.Parse("{not json", "lb"));
        Assert.Empty(NftCounterParser.Parse("""{"nftables":5}""", "lb"));
    }
}
