using System.Collections.Immutable;
using System.Net;
using System.Runtime.CompilerServices;
using LoadBalancer.Speaker.Announcing;
using LoadBalancer.Speaker.DataPlane.Render;
using static LoadBalancer.Speaker.Tests.DataPlane.DataPlaneFixtures;

namespace LoadBalancer.Speaker.Tests.DataPlane;

/// <summary>
/// Golden tests of the rendered nft text (testdata/NftRenderer/*.nft). Rewrite them with LB_UPDATE_GOLDEN=1 after an
/// intended change and review the diff. The same files are loaded into a real kernel by the integration tests.
/// </summary>
public class NftRendererGoldenTests
{
    internal static readonly NftRenderOptions Options = new(PodCidrs: [IPNetwork.Parse("10.0.0.0/8"), IPNetwork.Parse("fd00:10::/48")]);

    public sealed record Case(string Name, DataPlaneSnapshot Snapshot, NftRenderOptions? RenderOptions = null)
    {
        public override string ToString() => Name;
    }

    public static TheoryData<Case> Cases() => new(GoldenCases.All);

    [Theory]
    [MemberData(nameof(Cases))]
    public void Render_MatchesGolden(Case c)
    {
        var ruleset = NftRenderer.Render(c.Snapshot, c.RenderOptions ?? Options);
        var text = NftText.Full(ruleset);
        if (!ruleset.Problems.IsEmpty)
            text += string.Concat(ruleset.Problems.Select(p => $"# problem {p.Service}: {p.Message}\n"));
        Golden.Check(c.Name + ".nft", text);
    }

    [Fact]
    public void Incremental_OneServiceChanged_MatchesGolden()
    {
        var a = Svc("a", ["203.0.113.10"], [Ep("10.1.0.1"), Ep("10.2.0.1", "n2")]);
        var b = Svc("b", ["203.0.113.11"], [Ep("10.1.0.2"), Ep("10.1.0.3")], etp: TrafficPolicy.Local);
        var c = Svc("c", ["203.0.113.12"], [Ep("10.1.0.4")]);
        var before = NftRenderer.Render(Snapshot(a, b, c), Options);
        // b loses an endpoint, c goes away, d arrives; a is untouched.
        var b2 = Svc("b", ["203.0.113.11"], [Ep("10.1.0.2")], etp: TrafficPolicy.Local);
        var d = Svc("d", ["203.0.113.13"], [], ports: [new ServicePortSpec("dns", "UDP", 53)]);
        var after = NftRenderer.Render(Snapshot(a, b2, d), Options, before);
        var tx = NftDiff.Incremental(before, after)!;
        Assert.Same(before.Services[a.Key], after.Services[a.Key]);
        Assert.Equal(3, tx.ChangedServices);
        Golden.Check("incremental.nft", string.Join("# then, once committed:\n", tx.Phases().Select(p => p.Text)));
    }
}

internal static class Golden
{
    public static void Check(string file, string actual, [CallerFilePath] string source = "")
    {
        var path = Path.Combine(Path.GetDirectoryName(source)!, "testdata", "NftRenderer", file);
        if (Environment.GetEnvironmentVariable("LB_UPDATE_GOLDEN") == "1")
        {
            File.WriteAllText(path, actual);
            return;
        }
        Assert.True(File.Exists(path), $"golden file {path} is missing; run with LB_UPDATE_GOLDEN=1 to create it");
        Assert.Equal(File.ReadAllText(path), actual);
    }
}
