using System.Diagnostics;
using LoadBalancer.Speaker.Announcing;
using LoadBalancer.Speaker.DataPlane.Render;
using static LoadBalancer.Speaker.Tests.DataPlane.DataPlaneFixtures;
namespace LoadBalancer.Speaker.Tests.DataPlane;
public class TmpProfile
{
    [Fact]
    public void Profile()
    {
        var n = 50000;
        var services = Enumerable.Range(0, n).Select(i =>
            Svc($"s{i}", [$"203.0.{113 + i / 60000}.{i % 250 + 1}"], [Ep($"10.1.{i / 250 % 250}.{i % 250 + 1}"), Ep($"10.2.{i / 250 % 250}.{i % 250 + 1}", "n2")],
                ports: [new ServicePortSpec("http", "TCP", 1000 + i / 250)])).ToArray();
        var log = new System.Text.StringBuilder();
        for (var round = 0; round < 2; round++)
        {
            var sw = Stopwatch.StartNew();
            var r = NftRenderer.Render(Snapshot(services), NftRendererGoldenTests.Options);
            var t1 = sw.Elapsed.TotalMilliseconds; sw.Restart();
            var text = NftText.Full(r);
            var t2 = sw.Elapsed.TotalMilliseconds; sw.Restart();
            for (var k = 0; k < 5; k++)
            {
                var changed = services.ToArray();
                changed[n / 2 + k] = changed[n / 2 + k] with { Endpoints = [Ep("10.9.9.9"), Ep("10.9.9.8", "n2")] };
                var snap = Snapshot(changed);
                GC.Collect();
                sw.Restart();
                var r2 = NftRenderer.Render(snap, NftRendererGoldenTests.Options, r);
                var t3 = sw.Elapsed.TotalMilliseconds;
                log.Append($"round {round}: render full {t1:F0} text {t2:F0} incremental {t3:F1}\n");
                r = r2; services = changed;
            }
        }
        File.WriteAllText("/tmp/profile.txt", log.ToString());
    }
}
