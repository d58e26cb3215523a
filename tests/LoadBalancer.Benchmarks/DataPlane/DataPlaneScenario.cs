using System.Collections.Immutable;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using LoadBalancer.Speaker.Announcing;
using LoadBalancer.Speaker.DataPlane;
using LoadBalancer.Speaker.DataPlane.Apply;
using LoadBalancer.Speaker.DataPlane.Render;
using LoadBalancer.TestKit.Net;
using Microsoft.Extensions.Logging.Abstractions;

namespace LoadBalancer.Benchmarks.DataPlane;

/// <summary>
/// The data plane scenario benchmark (root; throw-away namespaces; documentation ranges only):
/// <list type="number">
/// <item>programming time: a full load of N Services, then single-Service updates, through NftDataPlane (libnftables
/// in process, incremental) and through `nft -f` with the same text (full and the same incremental transaction);</item>
/// <item>forwarding: TCP throughput and new connections per second through the LB IP (DNAT + SNAT, Cluster policy)
/// against straight to the pod IP.</item>
/// </list>
/// `dotnet run -c Release --project tests/LoadBalancer.Benchmarks -- scenario dataplane [--sizes 1000,10000,50000] [--seconds 3]`
/// prints a Markdown report.
/// </summary>
public static class DataPlaneScenario
{
    public static int Run(string[] args)
    {
        var sizes = new[] { 1000, 10000, 50000 };
        var seconds = 3.0;
        var cliLimit = 120.0;
        for (var i = 0; i + 1 < args.Length; i += 2)
        {
            if (args[i] == "--cli-limit") cliLimit = double.Parse(args[i + 1], CultureInfo.InvariantCulture);
            if (args[i] == "--sizes") sizes = [.. args[i + 1].Split(',').Select(s => int.Parse(s, CultureInfo.InvariantCulture))];
            if (args[i] == "--seconds") seconds = double.Parse(args[i + 1], CultureInfo.InvariantCulture);
        }
        var report = RunAsync(sizes, TimeSpan.FromSeconds(seconds), Console.Out, TimeSpan.FromSeconds(cliLimit)).GetAwaiter().GetResult();
        Console.WriteLine();
        Console.WriteLine(report);
        return 0;
    }

    internal static async Task<string> RunAsync(IReadOnlyList<int> sizes, TimeSpan trafficTime, TextWriter progress, TimeSpan? cliLimit = null)
    {
        var limit = cliLimit ?? TimeSpan.FromSeconds(120);
        var sb = new StringBuilder();
        sb.AppendLine("| Services | render full (ms) | ours: full load (ms) | ours: 1-Service update, median of 5 (ms) | ours: endpoint-count change, median of 5 / first (new shape) (ms) | its netlink batches alone, median of 10 (ms) | nft -f: full load (ms) | nft -f: same 1-Service transaction, median of 10 (ms) | nft -f: full reload per change (ms) |");
        sb.AppendLine("|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
        string Cli(double ms, string format) => double.IsNaN(ms)
            ? string.Create(CultureInfo.InvariantCulture, $"> {limit.TotalSeconds:F0} s, stopped") : ms.ToString(format, CultureInfo.InvariantCulture);
        foreach (var n in sizes)
        {
            var r = await ProgrammingAsync(n, progress, limit);
            sb.AppendLine(string.Create(CultureInfo.InvariantCulture,
                $"| {n:N0} | {r.RenderMs:F0} | {r.OursFullMs:F0} | {r.OursUpdateMs:F1} ({r.OursUpdatePath}) | {r.OursCountChangeMs:F1} / {r.OursNewShapeMs:F1} | {(double.IsNaN(r.NetlinkBatchMs) ? "–" : r.NetlinkBatchMs.ToString("F1", CultureInfo.InvariantCulture))} | {Cli(r.CliFullMs, "F0")} | {Cli(r.CliUpdateMs, "F1")} | {Cli(r.CliReloadMs, "F0")} |"));
            await progress.WriteLineAsync(sb.ToString().Split('\n')[^2]);
        }
        var t = await ForwardingAsync(trafficTime, progress);
        sb.AppendLine();
        sb.AppendLine("| path | TCP throughput (Gbit/s) | new TCP connections/s |");
        sb.AppendLine("|---|---:|---:|");
        sb.AppendLine(string.Create(CultureInfo.InvariantCulture, $"| client → pod IP (routed, no NAT) | {t.DirectGbps:F2} | {t.DirectCps:F0} |"));
        sb.AppendLine(string.Create(CultureInfo.InvariantCulture, $"| client → LB IP (DNAT + masquerade, Cluster) | {t.VipGbps:F2} | {t.VipCps:F0} |"));
        sb.AppendLine(string.Create(CultureInfo.InvariantCulture, $"| ratio LB IP / pod IP | {t.VipGbps / t.DirectGbps:F2} | {t.VipCps / t.DirectCps:F2} |"));
        return sb.ToString();
    }

    /// <summary>CLI figures are NaN when nft did not finish within the limit (then it was stopped).</summary>
    internal sealed record ProgrammingResult(double RenderMs, double OursFullMs, double OursUpdateMs, double CliFullMs, double CliUpdateMs, double CliReloadMs,
        string OursUpdatePath = "")
    {
        /// <summary>The netlink batches of a 1-Service change alone, median of 10 (NaN when nft -f could not load the table to replay into).</summary>
        public double NetlinkBatchMs { get; init; } = double.NaN;

        /// <summary>A 1-Service update that changes the endpoint count (2 to 3): median of 5, and the first (it adds the shape).</summary>
        public double OursCountChangeMs { get; init; } = double.NaN;

        public double OursNewShapeMs { get; init; } = double.NaN;
    }

    internal static DataPlaneService[] Services(int n, int variant = 0) => [.. Enumerable.Range(0, n).Select(i => new DataPlaneService(
        new ServiceKey("bench", $"s{i}"), [IPAddress.Parse($"203.0.113.{i % 250 + 1}")], [new ServicePortSpec("http", "TCP", 1000 + i / 250)],
        i % 2 == 0 ? TrafficPolicy.Cluster : TrafficPolicy.Local, TrafficPolicy.Cluster, null, [], null, false, LoadBalancingMode.Random,
        [Endpoint($"198.51.100.{i % 125 + 1}", "node1", 8080 + variant), Endpoint($"198.51.100.{i % 125 + 129}", "node2", 8080)]))];

    /// <summary>A deep copy, as the speaker's planner builds every Service anew on each plan (no shared instances).</summary>
    private static DataPlaneService Fresh(DataPlaneService s) => s with
    {
        LoadBalancerIps = [.. s.LoadBalancerIps], Ports = [.. s.Ports.Select(p => p with { })],
        Endpoints = [.. s.Endpoints.Select(e => e with { PortsByName = ImmutableDictionary.CreateRange(e.PortsByName.ToArray()) })],
    };

    private static EndpointSpec Endpoint(string ip, string node, int port) => new(IPAddress.Parse(ip), node, null, true, true, false,
        ImmutableDictionary<string, int>.Empty.Add("http", port));

    internal static async Task<ProgrammingResult> ProgrammingAsync(int n, TextWriter progress, TimeSpan? cliLimit = null)
    {
        await using var lab = NetLab.Create();
        var ours = await lab.AddNamespaceAsync("ours");
        var cli = await lab.AddNamespaceAsync("cli");
        var services = Services(n);
        var snapshot = new DataPlaneSnapshot("node1", null, [.. services]);
        var options = new NftRenderOptions(PodCidrs: [IPNetwork.Parse("198.51.100.0/24")]);

        var sw = Stopwatch.StartNew();
        var ruleset = NftRenderer.Render(snapshot, options);
        var full = NftText.Full(ruleset);
        var renderMs = sw.Elapsed.TotalMilliseconds;

        var planeOptions = new NftDataPlaneOptions { Backend = NftBackend.LibNftables, NetworkNamespacePath = "/var/run/netns/" + ours.Name,
            MinSyncInterval = TimeSpan.Zero, CounterInterval = TimeSpan.Zero };
        planeOptions.PodCidrs.Add(IPNetwork.Parse("198.51.100.0/24"));
        using var meter = new System.Diagnostics.Metrics.Meter("bench.dataplane");
        await using var plane = new NftDataPlane(NullLogger<NftDataPlane>.Instance, TimeProvider.System, meter, planeOptions);
        sw.Restart();
        await plane.SyncAsync(snapshot, CancellationToken.None);
        var oursFull = sw.Elapsed.TotalMilliseconds;
        if (!plane.InSync) throw new InvalidOperationException("full load failed: " + plane.LastError);
        await progress.WriteLineAsync(FormattableString.Invariant($"{n}: ours full {oursFull:F0} ms (render {renderMs:F0} ms, {full.Length / 1024} KiB)"));

        var transactions = new List<string>();
        var rulesets = new List<NftRuleset> { ruleset };
        var previous = ruleset;
        // One 1-Service update: a fresh copy of every Service (as the planner makes), one of them changed; returns ms.
        async Task<double> UpdateAsync(int index, Func<DataPlaneService, DataPlaneService> change)
        {
            var changed = services.Select(Fresh).ToArray();
            changed[index % n] = change(changed[index % n]);
            var next = new DataPlaneSnapshot("node1", null, [.. changed]);
            var nextRuleset = NftRenderer.Render(next, options, previous);
            transactions.Add(string.Concat(NftDiff.Incremental(previous, nextRuleset)!.Phases().Select(p => p.Text)));
            previous = nextRuleset;
            rulesets.Add(nextRuleset);
            sw.Restart();
            await plane.SyncAsync(next, CancellationToken.None);
            var ms = sw.Elapsed.TotalMilliseconds;
            if (!plane.InSync) throw new InvalidOperationException("update failed: " + plane.LastError);
            services = changed;
            return ms;
        }

        var updates = new List<double>();
        for (var k = 1; k <= 5; k++)
        {
            var port = 9000 + k;
            updates.Add(await UpdateAsync(n / 2 + k, s => s with { Endpoints = [Endpoint("198.51.100.77", "node1", port), Endpoint("198.51.100.200", "node2", 9000)] }));
        }
        updates.Sort();

        // Endpoint-count changes (2 -> 3 endpoints), five Services in turn: the first adds the shape (a set and one chain's
        // rules), the others only move between shape sets.
        var countChanges = new List<double>();
        for (var k = 1; k <= 5; k++)
            countChanges.Add(await UpdateAsync(n / 3 + 2 * k, s => s with { Endpoints = [.. s.Endpoints, Endpoint("198.51.100.99", "node1", 8080)] }));
        var newShape = countChanges[0];
        countChanges.Sort();

        var all = updates.Count + countChanges.Count;
        var path = plane.NetlinkTransactions == all ? "netlink" : $"{plane.NetlinkTransactions} of {all} netlink";
        await progress.WriteLineAsync(FormattableString.Invariant($"{n}: ours 1-Service update {updates[updates.Count / 2]:F1} ms ({path})"));

        // nft -f with the same text, bounded: past the limit nft is killed and the figure reported as "> limit, stopped".
        var limit = cliLimit ?? TimeSpan.FromSeconds(120);
        using var nft = new NftCliExecutor("/var/run/netns/" + cli.Name, timeout: limit);
        sw.Restart();
        var r = await nft.RunAsync(full);
        var cliFull = sw.Elapsed.TotalMilliseconds;
        if (!r.Success && r.Error.Contains("did not finish", StringComparison.Ordinal))
            return new ProgrammingResult(renderMs, oursFull, updates[updates.Count / 2], double.NaN, double.NaN, double.NaN, path);
        if (!r.Success) throw new InvalidOperationException("nft -f full load failed: " + r.Error);
        await progress.WriteLineAsync(FormattableString.Invariant($"{n}: nft -f full {cliFull:F0} ms"));
        var cliUpdates = new List<double>();
        foreach (var tx in transactions)
        {
            sw.Restart();
            r = await nft.RunAsync(tx);
            cliUpdates.Add(sw.Elapsed.TotalMilliseconds);
            if (!r.Success && r.Error.Contains("did not finish", StringComparison.Ordinal)) { cliUpdates = [double.NaN]; break; }
            if (!r.Success) throw new InvalidOperationException("nft -f update failed: " + r.Error);
        }
        cliUpdates.Sort();

        // The netlink batch alone (no rendering, no diff): the same 1-Service changes backwards (5 -> 4 … 1 -> 0),
        // sent by the netlink writer into the table nft -f just updated.
        var batches = new List<double>();
        if (!double.IsNaN(cliUpdates[0]))
        {
            using var writer = LoadBalancer.Speaker.DataPlane.Netlink.NftNetlinkWriter.Open("/var/run/netns/" + cli.Name);
            for (var k = rulesets.Count - 1; k > 0; k--)
            {
                var back = NftDiff.Incremental(rulesets[k], rulesets[k - 1])!;
                sw.Restart();
                foreach (var phase in back.Phases())
                {
                    var nl = writer.Apply(options.TableName, phase.Ops);
                    if (!nl.Success) throw new InvalidOperationException("netlink batch failed: " + nl.Error);
                }
                batches.Add(sw.Elapsed.TotalMilliseconds);
            }
            batches.Sort();
        }
        var batchMs = batches.Count > 0 ? batches[batches.Count / 2] : double.NaN;
        await progress.WriteLineAsync(FormattableString.Invariant($"{n}: netlink batch alone {batchMs:F2} ms"));
        sw.Restart();
        r = await nft.RunAsync(NftText.Full(previous));
        var cliReload = sw.Elapsed.TotalMilliseconds;
        if (!r.Success && r.Error.Contains("did not finish", StringComparison.Ordinal)) cliReload = double.NaN;
        else if (!r.Success) throw new InvalidOperationException("nft -f reload failed: " + r.Error);
        return new ProgrammingResult(renderMs, oursFull, updates[updates.Count / 2], cliFull, cliUpdates[cliUpdates.Count / 2], cliReload, path)
            { NetlinkBatchMs = batchMs, OursCountChangeMs = countChanges[countChanges.Count / 2], OursNewShapeMs = newShape };
    }

    internal sealed record ForwardingResult(double DirectGbps, double VipGbps, double DirectCps, double VipCps);

    /// <summary>client → node (LB IP 203.0.113.10, Cluster policy) → pod on the node's bridge, vs client → pod IP directly.</summary>
    internal static async Task<ForwardingResult> ForwardingAsync(TimeSpan duration, TextWriter progress)
    {
        await using var lab = NetLab.Create();
        var client = await lab.AddNamespaceAsync("bc");
        var node = await lab.AddNamespaceAsync("bn");
        var pod = await lab.AddNamespaceAsync("bp");
        await NetLab.LinkAsync(client, "eth0", node, "eth0", ["192.0.2.100/24"], ["192.0.2.11/24"]);
        await node.CheckAsync("sysctl", "-qw", "net.ipv4.ip_forward=1");
        await NetLab.AddBridgeAsync(node, "cbr0");
        await node.CheckAsync("ip", "addr", "add", "198.51.100.1/24", "dev", "cbr0");
        await NetLab.AttachAsync(node, "cbr0", pod, "eth0", "vpod", ["198.51.100.2/24"]);
        await pod.CheckAsync("ip", "route", "add", "default", "via", "198.51.100.1");
        await client.CheckAsync("ip", "route", "add", "203.0.113.0/24", "via", "192.0.2.11");
        await client.CheckAsync("ip", "route", "add", "198.51.100.0/24", "via", "192.0.2.11");

        var options = new NftDataPlaneOptions { NetworkNamespacePath = "/var/run/netns/" + node.Name, MinSyncInterval = TimeSpan.Zero, CounterInterval = TimeSpan.Zero };
        options.PodCidrs.Add(IPNetwork.Parse("198.51.100.0/24"));
        using var meter = new System.Diagnostics.Metrics.Meter("bench.forwarding");
        await using var plane = new NftDataPlane(NullLogger<NftDataPlane>.Instance, TimeProvider.System, meter, options);
        var ports = ImmutableArray.Create(new ServicePortSpec("sink", "TCP", 5201), new ServicePortSpec("echo", "TCP", 8080));
        var ep = new EndpointSpec(IPAddress.Parse("198.51.100.2"), "node1", null, true, true, false,
            ImmutableDictionary<string, int>.Empty.Add("sink", 5201).Add("echo", 8080));
        await plane.SyncAsync(new DataPlaneSnapshot("node1", null, [new DataPlaneService(new ServiceKey("bench", "fwd"), [IPAddress.Parse("203.0.113.10")],
            ports, TrafficPolicy.Cluster, TrafficPolicy.Cluster, null, [], null, false, LoadBalancingMode.Random, [ep])]), CancellationToken.None);
        if (!plane.InSync) throw new InvalidOperationException(plane.LastError);

        using var podThread = new NamespaceThread("bench-pod", "/var/run/netns/" + pod.Name);
        using var clientThread = new NamespaceThread("bench-client", "/var/run/netns/" + client.Name);
        using var sink = await podThread.InvokeAsync(() => Listen(5201));
        using var echo = await podThread.InvokeAsync(() => Listen(8080));
        using var stop = new CancellationTokenSource();
        var servers = new[] { ServeAsync(sink, sinkMode: true, stop.Token), ServeAsync(echo, sinkMode: false, stop.Token) };

        async Task<double> Throughput(string ip)
        {
            using var s = await clientThread.InvokeAsync(() => new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp));
            await s.ConnectAsync(IPAddress.Parse(ip), 5201);
            var buffer = new byte[128 * 1024];
            long sent = 0;
            var sw = Stopwatch.StartNew();
            while (sw.Elapsed < duration) sent += await s.SendAsync(buffer, SocketFlags.None);
            return sent * 8 / sw.Elapsed.TotalSeconds / 1e9;
        }

        async Task<double> ConnectionsPerSecond(string ip)
        {
            long count = 0;
            var sw = Stopwatch.StartNew();
            await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => Task.Run(async () =>
            {
                var buffer = new byte[64];
                while (sw.Elapsed < duration)
                {
                    using var s = await clientThread.InvokeAsync(() => new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp));
                    s.LingerState = new LingerOption(true, 0); // RST on close: no TIME_WAIT pile-up on the client
                    await s.ConnectAsync(IPAddress.Parse(ip), 8080);
                    while (await s.ReceiveAsync(buffer, SocketFlags.None) > 0) { }
                    Interlocked.Increment(ref count);
                }
            })));
            return count / sw.Elapsed.TotalSeconds;
        }

        var directGbps = await Throughput("198.51.100.2");
        var vipGbps = await Throughput("203.0.113.10");
        var directCps = await ConnectionsPerSecond("198.51.100.2");
        var vipCps = await ConnectionsPerSecond("203.0.113.10");
        await progress.WriteLineAsync(FormattableString.Invariant($"forwarding: direct {directGbps:F2} Gbit/s {directCps:F0} conn/s; LB IP {vipGbps:F2} Gbit/s {vipCps:F0} conn/s"));
        await stop.CancelAsync();
        sink.Close();
        echo.Close();
        await Task.WhenAll(servers).WaitAsync(TimeSpan.FromSeconds(10));
        return new ForwardingResult(directGbps, vipGbps, directCps, vipCps);
    }

    private static Socket Listen(int port)
    {
        var s = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        s.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, true);
        s.Bind(new IPEndPoint(IPAddress.Any, port));
        s.Listen(1024);
        return s;
    }

    private static async Task ServeAsync(Socket listener, bool sinkMode, CancellationToken stop)
    {
        var reply = Encoding.ASCII.GetBytes("ok\n");
        while (!stop.IsCancellationRequested)
        {
            Socket c;
            try { c = await listener.AcceptAsync(stop); }
            catch (Exception ex) when (ex is OperationCanceledException or ObjectDisposedException or SocketException) { return; }
            _ = Task.Run(async () =>
            {
                using (c)
                {
                    try
                    {
                        if (sinkMode)
                        {
                            var buffer = new byte[256 * 1024];
                            while (await c.ReceiveAsync(buffer, SocketFlags.None) > 0) { }
                        }
                        else
                        {
                            await c.SendAsync(reply, SocketFlags.None);
                            c.Shutdown(SocketShutdown.Both);
                        }
                    }
                    catch (SocketException) { }
                }
            }, CancellationToken.None);
        }
    }
}
