using System.Runtime.CompilerServices;
using System.Text;
using LoadBalancer.Speaker.Announcing;
using LoadBalancer.Speaker.DataPlane;
using LoadBalancer.Speaker.DataPlane.Render;
using LoadBalancer.TestKit.Net;
using static LoadBalancer.Integration.Tests.DataPlane.DataPlaneLab;

namespace LoadBalancer.Integration.Tests.DataPlane;

/// <summary>What the kernel accepts and ends up holding, in throw-away namespaces without traffic.</summary>
[Collection("dataplane-kernel")]
[Trait("Category", "Privileged")]
public sealed class NftKernelTests : IAsyncLifetime
{
    private NetLab _lab = null!;

    public Task InitializeAsync()
    {
        _lab = NetLab.Create();
        ProcessRunner.Require("nft");
        return Task.CompletedTask;
    }

    public async Task DisposeAsync() => await _lab.DisposeAsync();

    private static string GoldenDir([CallerFilePath] string source = "")
        => Path.GetFullPath(Path.Combine(Path.GetDirectoryName(source)!, "..", "..", "LoadBalancer.Speaker.Tests", "DataPlane", "testdata", "NftRenderer"));

    [Fact]
    public async Task EveryGoldenRuleset_LoadsIntoTheKernel()
    {
        var ns = await _lab.AddNamespaceAsync("golden");
        var files = Directory.GetFiles(GoldenDir(), "*.nft").Where(f => !f.EndsWith("incremental.nft", StringComparison.Ordinal)).ToList();
        Assert.True(files.Count >= 10, "golden files not found in " + GoldenDir());
        foreach (var file in files)
        {
            var text = string.Join('\n', File.ReadAllLines(file).Where(l => !l.StartsWith('#')));
            var r = await ProcessRunner.RunAsync("ip", ["netns", "exec", ns.Name, "nft", "-f", "-"], TimeSpan.FromSeconds(30), text);
            Assert.True(r.ExitCode == 0, $"{Path.GetFileName(file)}: {r.StandardError}");
        }
    }

    /// <summary>
    /// Incremental transactions must leave the kernel exactly where a full load of the same state does. Transactions
    /// the netlink writer covers go through it; the others (affinity sets, hash rings) through libnftables.
    /// </summary>
    [Fact]
    public async Task IncrementalUpdates_EndWhereAFullLoadEnds()
    {
        var plane = await IncrementalThenCompare("inc", "full", everything: true);
        Assert.True(plane.NetlinkTransactions > 0, "no incremental transaction went through netlink");
    }

    /// <summary>
    /// The same without affinity (the only feature the netlink writer does not cover): then every incremental transaction
    /// is a netlink batch, including those that add or remove an endpoint-choice shape (a set and one chain's rules).
    /// </summary>
    [Fact]
    public async Task IncrementalUpdates_AllThroughNetlink_EndWhereAFullLoadEnds()
    {
        var plane = await IncrementalThenCompare("incnl", "fullnl", everything: false);
        Assert.Equal(plane.AppliedTransactions - 1, plane.NetlinkTransactions);
        Assert.True(plane.ShapeTransactions > 0, "no transaction added or removed a shape");
    }

    private async Task<NftDataPlane> IncrementalThenCompare(string incName, string fullName, bool everything)
    {
        var a = await _lab.AddNamespaceAsync(incName);
        var b = await _lab.AddNamespaceAsync(fullName);
        var rng = new Random(11);
        DataPlaneService Random(int k)
        {
            var eps = new[] { P1, P2, P3, P1v6, P3v6 }.Where(_ => rng.Next(3) > 0).ToArray();
            var svc = Service($"s{k}", rng.Next(4) == 0 ? [$"203.0.113.{k + 1}", $"2001:db8:ff::{k + 1}"] : [$"203.0.113.{k + 1}"], eps,
                etp: rng.Next(2) == 0 ? TrafficPolicy.Local : TrafficPolicy.Cluster, itp: rng.Next(3) == 0 ? TrafficPolicy.Local : TrafficPolicy.Cluster,
                affinity: everything && rng.Next(4) == 0 ? TimeSpan.FromSeconds(rng.Next(10, 100)) : null,
                ranges: rng.Next(4) == 0 ? ["192.0.2.0/24", "192.0.2.7/32", "2001:db8::/64"] : null,
                mode: rng.Next(3) == 0 ? LoadBalancingMode.ConsistentHash : LoadBalancingMode.Random);
            return rng.Next(4) == 0 ? svc with { Ports = [new ServicePortSpec("http", rng.Next(2) == 0 ? "UDP" : "SCTP", 53)] } : svc;
        }

        var incremental = CreatePlane(a, NftBackend.LibNftables);
        await using (incremental)
        {
            var services = Enumerable.Range(0, 12).Select(Random).ToList();
            for (var step = 0; step < 40; step++)
            {
                var k = rng.Next(16);
                services.RemoveAll(s => s.Key.Name == $"s{k}");
                if (rng.Next(4) > 0) services.Add(Random(k));
                await incremental.SyncAsync(new DataPlaneSnapshot(Node1, null, [.. services]), CancellationToken.None).AsTask().WaitAsync(TimeSpan.FromSeconds(30));
                Assert.True(incremental.InSync, $"step {step}: {incremental.LastError}");
            }
            Assert.True(incremental.AppliedTransactions >= 30);

            var full = CreatePlane(b, NftBackend.Cli);
            await using (full)
            {
                await full.SyncAsync(new DataPlaneSnapshot(Node1, null, [.. services]), CancellationToken.None).AsTask().WaitAsync(TimeSpan.FromSeconds(30));
                Assert.True(full.InSync, full.LastError);
            }
        }
        var left = Resolve(Normalise(await a.CheckAsync("nft", "-s", "list", "table", "inet", "lb")));
        var right = Resolve(Normalise(await b.CheckAsync("nft", "-s", "list", "table", "inet", "lb")));
        Assert.Equal(right.Keys.Order(), left.Keys.Order());
        foreach (var (name, body) in right) Assert.Equal(body, left[name]);
        return incremental;
    }

    /// <summary>
    /// A netlink batch with one message the kernel refuses (a rule jumping to a chain that does not exist) changes
    /// nothing, not even the valid messages before it, and the error names the operation and its Service.
    /// </summary>
    [Fact]
    public async Task NetlinkBatch_WithABadMessage_ChangesNothing_AndNamesTheService()
    {
        var ns = await _lab.AddNamespaceAsync("nlbad");
        var plane = CreatePlane(ns, NftBackend.LibNftables);
        await using (plane)
        {
            await plane.SyncAsync(new DataPlaneSnapshot(Node1, null, [Service("web", ["203.0.113.10"], [P1])]), CancellationToken.None).AsTask().WaitAsync(TimeSpan.FromSeconds(30));
            Assert.True(plane.InSync, plane.LastError);
        }
        var before = await ns.CheckAsync("nft", "list", "table", "inet", "lb");
        var svc = new ServiceKey("lab", "broken");
        using var writer = LoadBalancer.Speaker.DataPlane.Netlink.NftNetlinkWriter.Open("/var/run/netns/" + ns.Name);
        var result = writer.Apply("lb", [
            new(NftOpKind.AddChain, svc, "ep-lab/broken/tcp/80__198.51.100.2/8080"),
            new(NftOpKind.AddRule, svc, "ep-lab/broken/tcp/80__198.51.100.2/8080", "meta l4proto tcp dnat ip to 198.51.100.2:8080"),
            new(NftOpKind.AddElements, svc, "svc4", Elements: [new NftElement("svc4", "203.0.113.99 . tcp . 80", "goto ext-lab/broken/tcp/80")]),
        ]);
        Assert.False(result.Success);
        Assert.Contains("203.0.113.99 . tcp . 80", result.Error);
        Assert.Contains("Service lab/broken", result.Error);
        Assert.Contains("No such file or directory", result.Error);
        Assert.Equal(before, await ns.CheckAsync("nft", "list", "table", "inet", "lb"));

        // The same writer then applies a good batch: read back by nft as written.
        result = writer.Apply("lb", [
            new(NftOpKind.AddChain, svc, "ep-lab/broken/tcp/80__198.51.100.2/8080"),
            new(NftOpKind.AddRule, svc, "ep-lab/broken/tcp/80__198.51.100.2/8080", "meta l4proto tcp dnat ip to 198.51.100.2:8080"),
            new(NftOpKind.AddElements, svc, "svc4", Elements: [new NftElement("svc4", "203.0.113.99 . tcp . 80", "goto ep-lab/broken/tcp/80__198.51.100.2/8080")]),
        ]);
        Assert.True(result.Success, result.Error);
        Assert.Contains("203.0.113.99 . tcp . 80 : goto ep-lab/broken/tcp/80__198.51.100.2/8080", await ns.CheckAsync("nft", "list", "map", "inet", "lb", "svc4"));
        Assert.Contains("meta l4proto tcp dnat ip to 198.51.100.2:8080", await ns.CheckAsync("nft", "list", "chain", "inet", "lb", "ep-lab/broken/tcp/80__198.51.100.2/8080"));
    }

    /// <summary>
    /// Slot blocks of the pick map depend on history (that is what keeps them stable), so compare what each choice
    /// rule selects: "offset N vmap @pick" becomes the list of chains in slots N.. N+mod-1.
    /// </summary>
    private static Dictionary<string, string> Resolve(Dictionary<string, string> objects)
    {
        var pick = new Dictionary<long, string>();
        if (objects.Remove("map pick {", out var pickBody))
        {
            var m = System.Text.RegularExpressions.Regex.Match(pickBody, @"elements = \{(.*)\}");
            if (m.Success)
                foreach (var item in m.Groups[1].Value.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
                {
                    var parts = item.Split(" : goto ");
                    pick[long.Parse(parts[0], System.Globalization.CultureInfo.InvariantCulture)] = parts[1];
                }
        }
        var result = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (name, body) in objects)
        {
            result[name] = System.Text.RegularExpressions.Regex.Replace(body, @"mod (\d+) (seed \S+ )?(?:offset (\d+) )?vmap @pick", m =>
            {
                var size = int.Parse(m.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture);
                var offset = m.Groups[3].Success ? long.Parse(m.Groups[3].Value, System.Globalization.CultureInfo.InvariantCulture) : 0;
                return $"mod {size} {m.Groups[2].Value}-> [" + string.Join(",", Enumerable.Range(0, size).Select(i => pick.GetValueOrDefault(offset + i, "MISSING"))) + "]";
            });
        }
        return result;
    }

    [Fact]
    public async Task ModeOff_RemovesOurTable_AndTouchesNothingElse()
    {
        var ns = await _lab.AddNamespaceAsync("off");
        await ns.CheckAsync("nft", "add", "table", "inet", "someone-else");
        var on = CreatePlane(ns, NftBackend.LibNftables);
        await using (on)
        {
            await on.SyncAsync(new DataPlaneSnapshot(Node1, null, [Service("web", ["203.0.113.10"], [P1])]), CancellationToken.None).AsTask().WaitAsync(TimeSpan.FromSeconds(30));
        }
        Assert.Contains("table inet lb", await ns.CheckAsync("nft", "list", "tables"));
        var off = CreatePlane(ns, NftBackend.LibNftables, o => o.Mode = DataPlaneMode.Off);
        await using (off)
        {
            await off.SyncAsync(new DataPlaneSnapshot(Node1, null, [Service("web", ["203.0.113.10"], [P1])]), CancellationToken.None).AsTask().WaitAsync(TimeSpan.FromSeconds(30));
            Assert.True(off.InSync, off.LastError);
        }
        var tables = await ns.CheckAsync("nft", "list", "tables");
        Assert.DoesNotContain("table inet lb", tables);
        Assert.Contains("table inet someone-else", tables);
    }

    [Fact]
    public async Task KernelRefusal_IsReported_AndTheOldRulesStay()
    {
        var ns = await _lab.AddNamespaceAsync("refuse");
        var plane = CreatePlane(ns, NftBackend.LibNftables);
        await using (plane)
        {
            await plane.SyncAsync(new DataPlaneSnapshot(Node1, null, [Service("web", ["203.0.113.10"], [P1])]), CancellationToken.None).AsTask().WaitAsync(TimeSpan.FromSeconds(30));
            // Someone deletes one of our elements behind our back: the next incremental transaction deletes it again and fails as a whole.
            await ns.CheckAsync("nft", "delete", "element", "inet", "lb", "cep4-tcp", "{ 203.0.113.10 . 80 . 0 }");
            await plane.SyncAsync(new DataPlaneSnapshot(Node1, null, [Service("web", ["203.0.113.10"], [P2])]), CancellationToken.None).AsTask().WaitAsync(TimeSpan.FromSeconds(30));
            Assert.NotNull(plane.LastError);
            Assert.Contains("Service lab/web", plane.LastError); // the netlink writer names what the kernel refused
            // The retry replaces the whole table and repairs it.
            var deadline = DateTime.UtcNow.AddSeconds(20);
            while (!plane.InSync && DateTime.UtcNow < deadline) await Task.Delay(50);
            Assert.True(plane.InSync, plane.LastError);
            Assert.Contains("203.0.113.10 . 80 . 0 : 198.51.100.3 . 8080", await ns.CheckAsync("nft", "list", "map", "inet", "lb", "cep4-tcp"));
        }
    }

    private static NftDataPlane CreatePlane(NetNamespace ns, NftBackend backend, Action<NftDataPlaneOptions>? configure = null)
    {
        var options = new NftDataPlaneOptions
        {
            Backend = backend, NetworkNamespacePath = "/var/run/netns/" + ns.Name, MinSyncInterval = TimeSpan.Zero,
            CounterInterval = TimeSpan.Zero, RetryInterval = TimeSpan.FromMilliseconds(100),
        };
        foreach (var c in PodCidrs) options.PodCidrs.Add(System.Net.IPNetwork.Parse(c));
        configure?.Invoke(options);
        return new NftDataPlane(Microsoft.Extensions.Logging.Abstractions.NullLogger<NftDataPlane>.Instance, TimeProvider.System,
            new System.Diagnostics.Metrics.Meter("kernel." + ns.Name), options);
    }

    /// <summary>Top-level objects of an `nft list table` by name, with set elements sorted (their dump order is the kernel's).</summary>
    private static Dictionary<string, string> Normalise(string listing)
    {
        var result = new Dictionary<string, string>(StringComparer.Ordinal);
        string? name = null;
        var body = new StringBuilder();
        foreach (var raw in listing.Split('\n'))
        {
            if (raw.StartsWith("\t}", StringComparison.Ordinal) && name is not null)
            {
                var text = body.ToString();
                var start = text.IndexOf("elements = {", StringComparison.Ordinal);
                if (start >= 0)
                {
                    var end = text.IndexOf('}', start);
                    var items = text[(start + 12)..end].Split(',').Select(s => s.Trim()).Where(s => s.Length > 0).Order(StringComparer.Ordinal);
                    text = text[..start] + "elements = {" + string.Join(", ", items) + text[end..];
                }
                result[name] = text;
                name = null;
                body.Clear();
            }
            else if (raw.StartsWith('\t') && !raw.StartsWith("\t\t", StringComparison.Ordinal) && raw.TrimEnd().EndsWith('{'))
            {
                name = raw.Trim();
            }
            else if (name is not null)
            {
                body.Append(raw.Trim()).Append(' ');
            }
        }
        return result;
    }
}

[CollectionDefinition("dataplane-kernel", DisableParallelization = true)]
public sealed class DataPlaneKernelCollection;
