using System.Buffers;
using System.Buffers.Binary;
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
    /// <param name="ManagedBytes">Managed heap growth of this process while our speaker holds the routes.</param>
    /// <param name="RssBytes">Resident set of this process at that moment (the whole benchmark process, runtime included).</param>
    public sealed record Result(string Sender, int Prefixes, TimeSpan Install, TimeSpan Withdraw, long? ManagedBytes, long? RssBytes);

    public static int Run(string[] args) => MainAsync(args).GetAwaiter().GetResult();

    public static async Task<int> MainAsync(string[] args)
    {
        var prefixes = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 100_000;
        foreach (var r in await RunAsync(prefixes, Console.Error))
            Console.WriteLine($"| {r.Sender} | {r.Prefixes} | {r.Install.TotalMilliseconds:0} ms | {r.Withdraw.TotalMilliseconds:0} ms | {(r.ManagedBytes is { } b ? $"{b / 1024.0 / 1024.0:0.0} MiB managed" : "-")}{(r.RssBytes is { } rss ? $", {rss / 1024.0 / 1024.0:0} MiB RSS (process)" : "")} |");
        return 0;
    }

    public static IEnumerable<IPNetwork> Prefixes(int count)
        => Enumerable.Range(0, count).Select(i => new IPNetwork(new IPAddress(new byte[] { 198, (byte)(18 + (i >> 16)), (byte)(i >> 8), (byte)i }), 32));

    public static async Task<List<Result>> RunAsync(int prefixes, TextWriter? progress = null)
    {
        if (prefixes > 131_072) throw new ArgumentOutOfRangeException(nameof(prefixes), "198.18.0.0/15 holds 131072 /32s");
        var dir = Directory.CreateTempSubdirectory("lb-bgp-bench-").FullName;
        progress?.WriteLine($"lab directory {dir}");
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
            var rss = Environment.WorkingSet;
            sw.Restart();
            await ours.SetDesiredAsync([], default);
            await WaitCountAsync(router, ctl, 0);
            results.Add(new Result("LoadBalancer BgpAnnouncer", prefixes, install, sw.Elapsed, managed, rss));
            await ours.ShutdownAsync("benchmark done", default);
        }
        await WaitEstablishedAsync(router, ctl, false);

        // 2. Another BIRD, its routes in a static protocol that is switched on and off.
        var sb = new StringBuilder("router id 192.0.2.11;\nprotocol device { }\nprotocol static bench { disabled; ipv4;\n");
        foreach (var p in Prefixes(prefixes)) sb.Append(CultureInfo.InvariantCulture, $"route {p} blackhole;\n");
        sb.Append("}\nprotocol bgp rtr { local 192.0.2.11 as 64513; neighbor 192.0.2.1 as 64512; hold time 90; ipv4 { import none; export all; }; }\n");
        var senderCtl = Path.Combine(dir, "sender.ctl");
        await File.WriteAllTextAsync(Path.Combine(dir, "sender.conf"), sb.ToString());
        var bird = node.Spawn("bird", ["-f", "-c", Path.Combine(dir, "sender.conf"), "-s", senderCtl]);
        await WaitAsync(async () => (await node.ExecAsync("birdc", "-s", senderCtl, "show", "protocols", "rtr")).StandardOutput.Contains("Established", StringComparison.Ordinal), 60);
        results.Add(await MeasureAsync(progress, "BIRD 2.0.12", router, ctl, prefixes,
            () => node.CheckAsync("birdc", "-s", senderCtl, "enable", "bench"),
            () => node.CheckAsync("birdc", "-s", senderCtl, "disable", "bench")));
        await StopAsync(bird);
        await WaitEstablishedAsync(router, ctl, false);

        // 3. gobgpd: the routes go into its global RIB through its bulk path, `gobgp mrt inject global` of an MRT
        // TABLE_DUMP_V2 file (RFC 6396) written here; the withdrawal is `gobgp global rib del all`.
        // The gobgp 3.10 CLI exits before its last gRPC stream messages reach gobgpd (measured here: of 300 records
        // 54-272 arrived, always the first ones), so the file ends with copies of the first prefixes as padding that
        // may be lost, and any records still missing afterwards are injected again (count/skip arguments).
        var mrt = Path.Combine(dir, "routes.mrt");
        await File.WriteAllBytesAsync(mrt, MrtTableDump(Prefixes(prefixes).Concat(Prefixes(Math.Min(prefixes, MrtPadding))), IPAddress.Parse("192.0.2.11"), 64513));
        var gobgpConf = Path.Combine(dir, "gobgpd.toml");
        await File.WriteAllTextAsync(gobgpConf, """
            [global.config]
              as = 64513
              router-id = "192.0.2.11"
              port = -1
              local-address-list = ["192.0.2.11"]
            [[neighbors]]
              [neighbors.config]
                neighbor-address = "192.0.2.1"
                peer-as = 64512
              [neighbors.timers.config]
                hold-time = 90
                connect-retry = 1
              [[neighbors.afi-safis]]
                [neighbors.afi-safis.config]
                  afi-safi-name = "ipv4-unicast"
            """);
        var gobgpd = node.Spawn("gobgpd", ["-f", gobgpConf, "-t", "toml", "--api-hosts", "127.0.0.1:50051", "-l", "warn"], Path.Combine(dir, "gobgpd.log"));
        await WaitEstablishedAsync(router, ctl, true);
        results.Add(await MeasureAsync(progress, GobgpVersion(), router, ctl, prefixes,
            () => GobgpInjectAsync(node, mrt, prefixes, progress),
            () => node.CheckAsync("gobgp", "global", "rib", "-a", "ipv4", "del", "all")));
        await StopAsync(gobgpd);
        await WaitEstablishedAsync(router, ctl, false);

        // 4. ExaBGP: its API process reads commands from a FIFO that this benchmark writes: one
        // `announce attributes next-hop ... nlri <1000 prefixes>` line per 1000 routes, `withdraw attributes` likewise.
        var fifo = Path.Combine(dir, "exabgp.fifo");
        await ProcessRunner.CheckAsync("mkfifo", fifo);
        var feed = Path.Combine(dir, "feed.sh");
        await File.WriteAllTextAsync(feed, $"#!/bin/sh\nwhile true; do cat {fifo}; done\n");
        await ProcessRunner.CheckAsync("chmod", "700", feed);
        var exaConf = Path.Combine(dir, "exabgp.conf");
        await File.WriteAllTextAsync(exaConf, $$"""
            process feed {
                run {{feed}};
                encoder text;
            }
            neighbor 192.0.2.1 {
                router-id 192.0.2.11;
                local-address 192.0.2.11;
                local-as 64513;
                peer-as 64512;
                hold-time 90;
                family { ipv4 unicast; }
                api { processes [ feed ]; }
            }
            """);
        var exabgp = node.Spawn("exabgp", [exaConf], Path.Combine(dir, "exabgp.log"), new Dictionary<string, string>
        {
            ["exabgp.daemon.user"] = "root",
            ["exabgp.log.destination"] = "stdout",
            ["exabgp.log.level"] = "WARNING",
            ["exabgp.api.ack"] = "false",
            ["exabgp.api.cli"] = "false",
        });
        await WaitEstablishedAsync(router, ctl, true);
        results.Add(await MeasureAsync(progress, ExabgpVersion(), router, ctl, prefixes,
            () => WriteFifoAsync(fifo, ExabgpCommands("announce", Prefixes(prefixes))),
            () => WriteFifoAsync(fifo, ExabgpCommands("withdraw", Prefixes(prefixes)))));
        await StopAsync(exabgp);
        if (Environment.GetEnvironmentVariable("LB_KEEP_LAB_DIR") != "1")
            try { Directory.Delete(dir, true); } catch (IOException) { }
        return results;
    }

    private static async Task<Result> MeasureAsync(TextWriter? progress, string sender, NetNamespace router, string ctl, int prefixes, Func<Task> announce, Func<Task> withdraw)
    {
        progress?.WriteLine($"{sender}: session up, announcing");
        var sw = Stopwatch.StartNew();
        await announce();
        await WaitCountAsync(router, ctl, prefixes);
        var install = sw.Elapsed;
        progress?.WriteLine($"{sender}: installed in {install.TotalMilliseconds:0} ms, withdrawing");
        sw.Restart();
        await withdraw();
        await WaitCountAsync(router, ctl, 0);
        return new Result(sender, prefixes, install, sw.Elapsed, null, null);
    }

    private const int MrtPadding = 5000;

    private static async Task GobgpInjectAsync(NetNamespace node, string mrt, int prefixes, TextWriter? progress)
    {
        await node.CheckAsync("gobgp", "mrt", "inject", "global", mrt);
        for (var round = 0; ; round++)
        {
            var summary = await node.CheckAsync("gobgp", "global", "rib", "summary", "-a", "ipv4");
            var words = summary.Split([' ', ',', '\n'], StringSplitOptions.RemoveEmptyEntries);
            var i = Array.IndexOf(words, "Destination:");
            var have = i >= 0 && int.TryParse(words[i + 1], CultureInfo.InvariantCulture, out var n) ? n : 0;
            if (have >= prefixes) return;
            if (round == 20) throw new InvalidOperationException($"gobgp mrt inject: gobgpd holds {have} of {prefixes} routes after {round} extra rounds");
            progress?.WriteLine($"gobgpd holds {have} of {prefixes} after mrt inject: injecting records {have}.. again");
            await node.CheckAsync("gobgp", "mrt", "inject", "global", mrt, (prefixes + MrtPadding - have).ToString(CultureInfo.InvariantCulture), have.ToString(CultureInfo.InvariantCulture));
        }
    }

    private static async Task StopAsync(Process process)
    {
        // Not WaitForExitAsync: that also waits for the end of the redirected output, which a child the daemon started
        // (ExaBGP's API process) may hold; whatever is left in the namespace is killed when the lab is disposed.
        if (!process.HasExited) process.Kill(entireProcessTree: true);
        await WaitAsync(() => Task.FromResult(process.HasExited), 10);
    }

    /// <summary>Waits until the receiver's session to the sender is (or is no longer) Established.</summary>
    private static Task WaitEstablishedAsync(NetNamespace router, string ctl, bool up)
        => WaitAsync(async () => (await router.ExecAsync("birdc", "-s", ctl, "show", "protocols", "sender")).StandardOutput.Contains("Established", StringComparison.Ordinal) == up, 60);

    private static async Task WriteFifoAsync(string fifo, IEnumerable<string> lines)
    {
        await using var writer = new StreamWriter(new FileStream(fifo, FileMode.Open, FileAccess.Write)) { NewLine = "\n" };
        foreach (var line in lines) await writer.WriteLineAsync(line);
    }

    /// <summary>ExaBGP API text commands, 1000 prefixes per line.</summary>
    public static IEnumerable<string> ExabgpCommands(string verb, IEnumerable<IPNetwork> prefixes)
        => prefixes.Chunk(1000).Select(chunk => $"{verb} attributes next-hop 192.0.2.11 nlri {string.Join(' ', chunk)}");

    private static string GobgpVersion() => "gobgpd " + PackageVersion("gobgpd");

    private static string ExabgpVersion() => "ExaBGP " + PackageVersion("exabgp");

    private static string PackageVersion(string package)
    {
        var r = ProcessRunner.RunAsync("dpkg-query", ["-W", "-f", "${Version}", package], TimeSpan.FromSeconds(10)).GetAwaiter().GetResult();
        return r.ExitCode == 0 ? r.StandardOutput.Split('-')[0] : "?";
    }

    /// <summary>
    /// An MRT file (RFC 6396) with a TABLE_DUMP_V2 PEER_INDEX_TABLE (one peer) and one RIB_IPV4_UNICAST record per
    /// prefix, each with ORIGIN IGP, an empty AS_PATH and NEXT_HOP <paramref name="nextHop"/>.
    /// </summary>
    public static byte[] MrtTableDump(IEnumerable<IPNetwork> prefixes, IPAddress nextHop, uint peerAsn)
    {
        const ushort TableDumpV2 = 13, PeerIndexTable = 1, RibIPv4Unicast = 2;
        var output = new ArrayBufferWriter<byte>(1 << 20);
        var nh = nextHop.GetAddressBytes();
        void Record(ushort subtype, ReadOnlySpan<byte> body)
        {
            var span = output.GetSpan(12 + body.Length);
            BinaryPrimitives.WriteUInt32BigEndian(span, 0); // timestamp
            BinaryPrimitives.WriteUInt16BigEndian(span[4..], TableDumpV2);
            BinaryPrimitives.WriteUInt16BigEndian(span[6..], subtype);
            BinaryPrimitives.WriteUInt32BigEndian(span[8..], (uint)body.Length);
            body.CopyTo(span[12..]);
            output.Advance(12 + body.Length);
        }

        // PEER_INDEX_TABLE (§4.3.1): collector BGP ID, view name length 0, peer count 1, one peer entry with a
        // 4-octet AS (peer type bit 1) and an IPv4 address.
        Span<byte> index = stackalloc byte[4 + 2 + 2 + 1 + 4 + 4 + 4];
        nh.CopyTo(index);
        BinaryPrimitives.WriteUInt16BigEndian(index[4..], 0);
        BinaryPrimitives.WriteUInt16BigEndian(index[6..], 1);
        index[8] = 0b10;
        nh.CopyTo(index[9..]);
        nh.CopyTo(index[13..]);
        BinaryPrimitives.WriteUInt32BigEndian(index[17..], peerAsn);
        Record(PeerIndexTable, index);

        // Path attributes: ORIGIN IGP; AS_PATH empty; NEXT_HOP.
        ReadOnlySpan<byte> attributes = [0x40, 1, 1, 0, 0x40, 2, 0, 0x40, 3, 4, nh[0], nh[1], nh[2], nh[3]];
        Span<byte> rib = stackalloc byte[4 + 1 + 4 + 2 + 2 + 4 + 2 + 14];
        uint sequence = 0;
        foreach (var prefix in prefixes)
        {
            var bytes = (prefix.PrefixLength + 7) / 8;
            var o = 0;
            BinaryPrimitives.WriteUInt32BigEndian(rib, sequence++);
            o += 4;
            rib[o++] = (byte)prefix.PrefixLength;
            prefix.BaseAddress.TryWriteBytes(rib[o..], out _);
            o += bytes;
            BinaryPrimitives.WriteUInt16BigEndian(rib[o..], 1); // entry count
            o += 2;
            BinaryPrimitives.WriteUInt16BigEndian(rib[o..], 0); // peer index
            o += 2;
            BinaryPrimitives.WriteUInt32BigEndian(rib[o..], 0); // originated time
            o += 4;
            BinaryPrimitives.WriteUInt16BigEndian(rib[o..], (ushort)attributes.Length);
            o += 2;
            attributes.CopyTo(rib[o..]);
            o += attributes.Length;
            Record(RibIPv4Unicast, rib[..o]);
        }
        return output.WrittenSpan.ToArray();
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
