using System.Buffers;
using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using LoadBalancer.Proto.Arp;
using LoadBalancer.Proto.Primitives;
using LoadBalancer.Speaker.Announcing;
using LoadBalancer.Speaker.Interop;
using LoadBalancer.Speaker.Layer2;
using LoadBalancer.TestKit.Net;
using Microsoft.Extensions.Logging.Abstractions;

namespace LoadBalancer.Benchmarks.Layer2;

/// <summary>
/// Layer 2 scenario benchmark, in network namespaces (root): <c>dotnet run -c Release --project tests/LoadBalancer.Benchmarks --
/// scenario layer2 [--requests N] [--flood-seconds S]</c>.
/// 1. ARP answer latency, our responder (VIP 192.0.2.200) against the node's kernel (its own 192.0.2.11), requests
///    interleaved in the same run from a raw socket in the client namespace.
/// 2. An ARP flood for the VIP from the client as fast as one thread sends, while the latency probe keeps measuring:
///    offered and answered rates, and the answer latency under flood.
/// 3. The responder's CPU cost per request without the network (decode, decide, encode, a no-op send).
/// The failover gaps come from the integration test (see docs/benchmarks/layer2.md).
/// </summary>
public static class Layer2Scenario
{
    private static readonly MacAddress ClientMac = MacAddress.Parse("02:00:00:00:00:64");
    private static readonly MacAddress FloodMac = MacAddress.Parse("02:00:00:00:0f:0f");
    private static readonly uint ClientIp = Ip("192.0.2.100");
    private static readonly uint FloodIp = Ip("192.0.2.150");
    private static readonly uint NodeIp = Ip("192.0.2.11");
    private static readonly uint Vip = Ip("192.0.2.200");

    private static uint Ip(string s) => IpAddressBits.ToUInt32(IPAddress.Parse(s));

    public static int Run(string[] args)
    {
        var requests = Arg(args, "--requests", 2000);
        var floodSeconds = Arg(args, "--flood-seconds", 3);
        var result = RunAsync(requests, floodSeconds, Console.Out).GetAwaiter().GetResult();
        return result.AnsweredKernel > 0 && result.AnsweredOurs > 0 ? 0 : 1;
    }

    private static int Arg(string[] args, string name, int fallback)
    {
        var i = Array.IndexOf(args, name);
        return i >= 0 && i + 1 < args.Length && int.TryParse(args[i + 1], NumberStyles.Integer, CultureInfo.InvariantCulture, out var v) ? v : fallback;
    }

    public sealed record Result(int AnsweredKernel, int AnsweredOurs, double KernelP50Us, double OursP50Us, double FloodOfferedPerSecond, double FloodAnsweredPerSecond, double NsPerRequest);

    public static async Task<Result> RunAsync(int requests, int floodSeconds, TextWriter output)
    {
        await using var lab = NetLab.Create();
        var lan = await lab.AddNamespaceAsync("lan");
        await NetLab.AddBridgeAsync(lan, "br0");
        var node = await lab.AddNamespaceAsync("node");
        var client = await lab.AddNamespaceAsync("client");
        await NetLab.AttachAsync(lan, "br0", node, "eth0", "p-node", ["192.0.2.11/24"], "02:00:00:00:00:11");
        await NetLab.AttachAsync(lan, "br0", client, "eth0", "p-client", ["192.0.2.100/24"], ClientMac.ToString());

        using var meters = new Meters();
        var options = new Layer2AnnouncerOptions { NetworkNamespacePath = "/var/run/netns/" + node.Name };
        await using var announcer = new Layer2Announcer(options, NullLogger.Instance, TimeProvider.System, meters, new PacketPortProvider(options, NullLogger.Instance, TimeProvider.System));
        await announcer.SetDesiredAsync([new Layer2Announcement(IPAddress.Parse("192.0.2.200"), [], [])], CancellationToken.None);
        var deadline = DateTime.UtcNow.AddSeconds(5);
        while (announcer.Announced.Count == 0 && DateTime.UtcNow < deadline) await Task.Yield();

        var clientIndex = NetworkNamespace.IndexOf("/var/run/netns/" + client.Name, "eth0");
        using var probe = await client.RunInsideAsync(() => PacketSockets.OpenArp(clientIndex));
        using var flood = await client.RunInsideAsync(() => PacketSockets.OpenArp(clientIndex));
        probe.ReceiveTimeout = 1000;

        // 1. Idle latency, interleaved.
        var (kernel, ours) = Interleaved(probe, requests);
        output.WriteLine($"requests per target: {requests}");
        Report(output, "kernel (node's own 192.0.2.11)", kernel);
        Report(output, "ours   (VIP 192.0.2.200)       ", ours);
        var ratio = Percentile(ours, 0.5) / Percentile(kernel, 0.5);
        output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"ratio ours/kernel: p50 {ratio:0.00}, p99 {Percentile(ours, 0.99) / Percentile(kernel, 0.99):0.00}"));

        // 2. Flood.
        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(floodSeconds));
        long sent = 0, answered = 0;
        var floodReceive = Task.Run(() => CountReplies(flood, stop.Token, ref answered));
        var cpuBefore = Process.GetCurrentProcess().TotalProcessorTime;
        var wall = Stopwatch.StartNew();
        var floodSend = Task.Run(() =>
        {
            Span<byte> frame = stackalloc byte[ArpFrame.UntaggedLength];
            ArpFrame.TryWrite(frame, MacAddress.Broadcast, FloodMac, new ArpPacket(ArpOperation.Request, FloodMac, FloodIp, MacAddress.Zero, Vip), out _);
            while (!stop.IsCancellationRequested)
            {
                try { flood.Send(frame); sent++; } catch (SocketException) { }
            }
        });
        var underFlood = new List<double>();
        while (!stop.IsCancellationRequested)
        {
            if (Ask(probe, Vip) is { } us) underFlood.Add(us);
            await Task.Delay(5);
        }
        await floodSend;
        wall.Stop();
        var cpu = (Process.GetCurrentProcess().TotalProcessorTime - cpuBefore).TotalSeconds;
        await Task.Delay(200);
        flood.Dispose();
        try { await floodReceive; } catch (ObjectDisposedException) { }
        var offered = sent / wall.Elapsed.TotalSeconds;
        var answeredRate = Interlocked.Read(ref answered) / wall.Elapsed.TotalSeconds;
        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"flood {floodSeconds} s: offered {offered:0} req/s, answered {answeredRate:0} req/s ({100.0 * answered / Math.Max(1, sent):0.0} %), process CPU {cpu / wall.Elapsed.TotalSeconds:0.00} cores (sender + responder)"));
        Report(output, "ours under flood               ", underFlood);

        // 3. CPU per request without the network.
        var ns = HandleFrameCost(200_000);
        output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"responder CPU per ARP request (decode, decide, encode, no-op send): {ns:0} ns -> {1e9 / ns:0} req/s per core"));
        return new Result(kernel.Count, ours.Count, Percentile(kernel, 0.5), Percentile(ours, 0.5), offered, answeredRate, ns);
    }

    private static (List<double> Kernel, List<double> Ours) Interleaved(Socket socket, int count)
    {
        var kernel = new List<double>();
        var ours = new List<double>();
        for (var i = 0; i < count; i++)
        {
            if (Ask(socket, NodeIp) is { } k) kernel.Add(k);
            if (Ask(socket, Vip) is { } o) ours.Add(o);
        }
        return (kernel, ours);
    }

    /// <summary>One ARP request, the time until its reply in microseconds (null on timeout).</summary>
    private static double? Ask(Socket socket, uint target)
    {
        Span<byte> frame = stackalloc byte[ArpFrame.UntaggedLength];
        ArpFrame.TryWrite(frame, MacAddress.Broadcast, ClientMac, new ArpPacket(ArpOperation.Request, ClientMac, ClientIp, MacAddress.Zero, target), out _);
        var buffer = new byte[128];
        var start = Stopwatch.GetTimestamp();
        socket.Send(frame);
        while (Stopwatch.GetElapsedTime(start) < TimeSpan.FromSeconds(1))
        {
            int n;
            try { n = socket.Receive(buffer); } catch (SocketException) { return null; }
            if (ArpFrame.TryRead(buffer.AsSpan(0, n), out _, out var arp) == OperationStatus.Done
                && arp.Operation == ArpOperation.Reply && arp.SenderIp == target && arp.TargetIp == ClientIp)
                return Stopwatch.GetElapsedTime(start).TotalMicroseconds;
        }
        return null;
    }

    private static void CountReplies(Socket socket, CancellationToken stop, ref long answered)
    {
        var buffer = new byte[128];
        socket.ReceiveTimeout = 200;
        while (!stop.IsCancellationRequested)
        {
            int n;
            try { n = socket.Receive(buffer); } catch (SocketException) { continue; }
            if (ArpFrame.TryRead(buffer.AsSpan(0, n), out _, out var arp) == OperationStatus.Done && arp.Operation == ArpOperation.Reply && arp.TargetIp == FloodIp)
                Interlocked.Increment(ref answered);
        }
    }

    /// <summary>Nanoseconds per ARP request through <see cref="Layer2Announcer.HandleFrame"/> with a port that drops what it is given.</summary>
    public static double HandleFrameCost(int iterations)
    {
        using var meters = new Meters();
        var provider = new NullProvider();
        var announcer = new Layer2Announcer(new Layer2AnnouncerOptions { ProbeCount = 0 }, NullLogger.Instance, TimeProvider.System, meters, provider);
        announcer.SetDesiredAsync([new Layer2Announcement(IPAddress.Parse("192.0.2.200"), [], [])], CancellationToken.None).AsTask().GetAwaiter().GetResult();
        var frame = new byte[ArpFrame.UntaggedLength];
        ArpFrame.TryWrite(frame, MacAddress.Broadcast, ClientMac, new ArpPacket(ArpOperation.Request, ClientMac, ClientIp, MacAddress.Zero, Vip), out _);
        for (var i = 0; i < 10_000; i++) announcer.HandleFrame(provider.Port, frame);
        var start = Stopwatch.GetTimestamp();
        for (var i = 0; i < iterations; i++) announcer.HandleFrame(provider.Port, frame);
        var elapsed = Stopwatch.GetElapsedTime(start);
        announcer.DisposeAsync().AsTask().GetAwaiter().GetResult();
        return elapsed.TotalNanoseconds / iterations;
    }

    private static void Report(TextWriter output, string label, List<double> samples)
    {
        if (samples.Count == 0) { output.WriteLine($"{label}: no answers"); return; }
        samples.Sort();
        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{label}: n={samples.Count} p50={Percentile(samples, 0.5):0.0} us p99={Percentile(samples, 0.99):0.0} us max={samples[^1]:0.0} us"));
    }

    private static double Percentile(List<double> samples, double p)
    {
        if (samples.Count == 0) return double.NaN;
        var sorted = samples.Order().ToList();
        return sorted[Math.Clamp((int)Math.Ceiling(p * sorted.Count) - 1, 0, sorted.Count - 1)];
    }

    private sealed class Meters : IMeterFactory
    {
        private readonly List<Meter> _meters = [];

        public Meter Create(MeterOptions options)
        {
            var m = new Meter(options.Name, options.Version, options.Tags, this);
            _meters.Add(m);
            return m;
        }

        public void Dispose() { foreach (var m in _meters) m.Dispose(); }
    }

    private sealed class NullProvider : IL2PortProvider
    {
        public NullPort Port { get; } = new();

        public void Start(IL2PortHandler handler) => handler.OnPortsChanged([Port], new Dictionary<string, string>());

        public ValueTask DisposeAsync() => ValueTask.CompletedTask;
    }

    private sealed class NullPort : IL2Port
    {
        public int Index => 2;
        public string Name => "eth0";
        public MacAddress Mac { get; } = MacAddress.Parse("02:00:00:00:00:11");
        public UInt128? LinkLocal => null;
        public bool TrySend(ReadOnlySpan<byte> frame) => frame.Length > 0;
        public void SetMulticastGroups(IReadOnlySet<UInt128> groups) { }
    }
}
