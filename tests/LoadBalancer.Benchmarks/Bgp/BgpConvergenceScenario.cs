using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using LoadBalancer.Speaker.Announcing;
using LoadBalancer.Speaker.Bgp;
using LoadBalancer.TestKit.Net;
using Microsoft.Extensions.Logging.Abstractions;

namespace LoadBalancer.Benchmarks.Bgp;

/// <summary>
/// Scenario benchmark: how long until a BIRD receiver holds N IPv4 /32s (and holds none after the withdrawal), when
/// they are sent by our speaker and by another BIRD, side by side in one run. Prefixes come from 198.18.0.0/15 (the
/// RFC 2544 benchmarking range: the documentation ranges hold only 768 /32s); everything stays inside namespaces.
/// Run: <c>dotnet run -c Release --project tests/LoadBalancer.Benchmarks -- scenario BgpConvergence [prefixes]</c>.
/// </summary>
public static class BgpConvergenceScenario
{
    public sealed record Result(string Sender, int Prefixes, TimeSpan Install, TimeSpan Withdraw, long? ManagedBytes);

    public static int Run(string[] args) => MainAsync(args).GetAwaiter().GetResult();

    public static async Task<int> MainAsync(string[] args)
    {
        var prefixes = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 100_000;
        foreach (var r in await RunAsync(prefixes))
            Console.WriteLine($"| {r.Sender} | {r.Prefixes} | {r.Install.TotalMilliseconds:0} ms | {r.Withdraw.TotalMilliseconds:0} ms | {(r.ManagedBytes is { } b ? $"{b / 1024.0 / 1024.0:0.0} MiB" : "-")} |");
        return 0;
    }

    public static IEnumerable<IPNetwork> Prefixes(int count)
        => Enumerable.Range(0, count).Select(i => new IPNetwork(new IPAddress(new byte[] { 198, (byte)(18 + (i >> 16)), (byte)(i >> 8), (byte)i }), 32));

    public static async Task<List<Result>> RunAsync(int prefixes)
    {
        if (prefixes > 131_072) throw new ArgumentOutOfRangeException(nameof(prefixes), "198.18.0.0/15 holds 131072 /32s");
        var dir = Directory.CreateTempSubdirectory("lb-bgp-bench-").FullName;
        await using var lab = NetLab.Create();
        var router = await lab.AddNamespaceAsync("r");
        var node = await lab.AddNamespaceAsync("n");
        await NetLab.LinkAsync(router, "eth0", node, "eth0", ["192.0.2.1/24"], ["192.0.2.11/24"]);
        var ctl = Path.Combine(dir, "receiver.ctl");
        await File.WriteAllTextAsync(Path.Combine(dir, "receiver.conf"), """
            router id 192.0.2.1;
            protocol device { }
            protocol bgp sender { local 192.0.2.1 as 64512; neighbor 192.0.2.11 as 64513; passive on; hold time 90; error wait time 1, 2; ipv4 { import all; export none; }; }
            """);
        router.Spawn("bird", ["-f", "-c", Path.Combine(dir, "receiver.conf"), "-s", ctl]);
        await WaitAsync(async () => (await router.ExecAsync("birdc", "-s", ctl, "show", "status")).ExitCode == 0, 10);
        var results = new List<Result>();

        // 1. Our speaker.
        var before = GC.GetTotalMemory(true);
        await using (var ours = new BgpAnnouncer(NullLogger<BgpAnnouncer>.Instance, TimeProvider.System, new Meter("bench"), new BgpAnnouncerOptions
        {
            SocketFactory = f => node.RunInsideAsync(() => new Socket(f, SocketType.Stream, ProtocolType.Tcp)).GetAwaiter().GetResult(),
        }))
        {
            await ours.SetPeersAsync([new BgpPeerSpec("r", IPAddress.Parse("192.0.2.1"), 179, 64513, 64512, null, null, TimeSpan.FromSeconds(90), null, TimeSpan.FromSeconds(2), null, false, false)], default);
            await WaitAsync(() => Task.FromResult(ours.Sessions.Single().State == "Established"), 30);
            var routes = Prefixes(prefixes).Select(p => new BgpRoute("r", p, [], [], null)).ToArray();
            var sw = Stopwatch.StartNew();
            await ours.SetDesiredAsync(routes, default);
            await WaitCountAsync(router, ctl, prefixes);
            var install = sw.Elapsed;
            var managed = GC.GetTotalMemory(false) - before;
            sw.Restart();
            await ours.SetDesiredAsync([], default);
            await WaitCountAsync(router, ctl, 0);
            results.Add(new Result("LoadBalancer BgpAnnouncer", prefixes, install, sw.Elapsed, managed));
            await ours.ShutdownAsync("benchmark done", default);
        }

        // 2. Another BIRD, its routes in a static protocol that is switched on and off.
        var sb = new StringBuilder("router id 192.0.2.11;\nprotocol device { }\nprotocol static bench { disabled; ipv4;\n");
        foreach (var p in Prefixes(prefixes)) sb.Append(CultureInfo.InvariantCulture, $"route {p} blackhole;\n");
        sb.Append("}\nprotocol bgp rtr { local 192.0.2.11 as 64513; neighbor 192.0.2.1 as 64512; hold time 90; ipv4 { import none; export all; }; }\n");
        var senderCtl = Path.Combine(dir, "sender.ctl");
        await File.WriteAllTextAsync(Path.Combine(dir, "sender.conf"), sb.ToString());
        node.Spawn("bird", ["-f", "-c", Path.Combine(dir, "sender.conf"), "-s", senderCtl]);
        await WaitAsync(async () => (await node.ExecAsync("birdc", "-s", senderCtl, "show", "protocols", "rtr")).StandardOutput.Contains("Established", StringComparison.Ordinal), 60);
        var swBird = Stopwatch.StartNew();
        await node.CheckAsync("birdc", "-s", senderCtl, "enable", "bench");
        await WaitCountAsync(router, ctl, prefixes);
        var birdInstall = swBird.Elapsed;
        swBird.Restart();
        await node.CheckAsync("birdc", "-s", senderCtl, "disable", "bench");
        await WaitCountAsync(router, ctl, 0);
        results.Add(new Result("BIRD 2.0.12", prefixes, birdInstall, swBird.Elapsed, null));
        try { Directory.Delete(dir, true); } catch (IOException) { }
        return results;
    }

    private static async Task WaitCountAsync(NetNamespace router, string ctl, int expected)
    {
        await WaitAsync(async () =>
        {
            var text = (await router.ExecAsync("birdc", "-s", ctl, "show", "route", "count")).StandardOutput;
            var line = text.Split('\n').FirstOrDefault(l => l.Contains("of", StringComparison.Ordinal) && l.Contains("routes", StringComparison.Ordinal)) ?? "";
            var words = line.Trim().Split(' ');
            return int.TryParse(words[0], CultureInfo.InvariantCulture, out var n) && n == expected;
        }, 600, pollMs: 20);
    }

    private static async Task WaitAsync(Func<Task<bool>> condition, int seconds, int pollMs = 100)
    {
        var deadline = DateTime.UtcNow.AddSeconds(seconds);
        while (!await condition())
        {
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"benchmark step did not finish within {seconds} s");
            await Task.Delay(pollMs);
        }
    }
}
