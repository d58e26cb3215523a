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
    public void SlotBlocks_AreStable_AndReusedAfterRelease()
    {
        var blocks = SlotBlocks.Empty.Reassign(["svc-a", "svc-b", "svc-c"], out _);
        var b = blocks.Assigned["svc-b"];
        var next = blocks.Reassign(["svc-a", "svc-c", "svc-d"], out _);
        Assert.Equal(blocks.Assigned["svc-a"], next.Assigned["svc-a"]);
        Assert.Equal(blocks.Assigned["svc-c"], next.Assigned["svc-c"]);
        Assert.Equal(b, next.Assigned["svc-d"]);
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
