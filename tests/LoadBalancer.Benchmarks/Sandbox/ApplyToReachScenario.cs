using System.Diagnostics;
using System.Globalization;
using LoadBalancer.Sandbox;
using LoadBalancer.TestKit.Net;

namespace LoadBalancer.Benchmarks.Sandbox;

/// <summary>
/// Scenario benchmark in the sandbox (root): the time from <c>kubectl apply -f</c> of a Service to the first
/// successful request from the client namespace through its LB IP, for Layer 2 and for BGP.
/// Run: <c>dotnet run -c Release --project tests/LoadBalancer.Benchmarks -- scenario ApplyToReach [--services 100] [--router Bird|Frr|GoBgp]</c>.
/// <para>
/// Pattern: per mode, the Services' EndpointSlices (every pod, Cluster policy) are applied first; then the Services
/// are applied one at a time, each with the real <c>kubectl apply -f &lt;file&gt;</c>, and the next starts only when the
/// previous one answered, so they accumulate (the last one is applied with N-1 Services of its mode already
/// announced). Each Service asks for its own fresh IP (<c>lb.baremetal.dev/loadBalancerIPs</c>) from a benchmark pool
/// (Layer 2 192.0.2.64-191 on the node segment, BGP 203.0.113.128/25), so the client knows where to send before the
/// controller answers, and no IP is reused (the router has no ARP entry or route for it beforehand). The client polls
/// with curl (200 ms timeout), one attempt at least every 100 ms; the time is taken when the answer arrived,
/// measured from the start of the kubectl command (kubectl's own start-up, ~0.1 s, is included).
/// </para>
/// </summary>
public static class ApplyToReachScenario
{
    public const string L2BenchPool = "bench-l2";
    public const string BgpBenchPool = "bench-bgp";
    public const int MaxServices = 120;
    private static readonly TimeSpan GiveUp = TimeSpan.FromSeconds(30);

    public sealed record Result(Announce Mode, IReadOnlyList<TimeSpan> Samples, int TimedOut)
    {
        public TimeSpan P50 => Percentile(0.50);
        public TimeSpan P99 => Percentile(0.99);
        public TimeSpan Max => Samples.Count == 0 ? TimeSpan.Zero : Samples.Max();

        private TimeSpan Percentile(double p)
        {
            if (Samples.Count == 0) return TimeSpan.Zero;
            var sorted = Samples.Order().ToList();
            return sorted[Math.Clamp((int)Math.Ceiling(p * sorted.Count) - 1, 0, sorted.Count - 1)];
        }

        public string Line() => string.Create(CultureInfo.InvariantCulture,
            $"{(Mode == Announce.Layer2 ? "Layer 2" : "BGP")}: n={Samples.Count} p50={P50.TotalMilliseconds:0} ms p99={P99.TotalMilliseconds:0} ms max={Max.TotalMilliseconds:0} ms timed out={TimedOut}");
    }

    public static int Run(string[] args)
    {
        var services = int.Parse(Arg(args, "--services") ?? "100", CultureInfo.InvariantCulture);
        var router = Enum.Parse<RouterKind>(Arg(args, "--router") ?? "Bird", ignoreCase: true);
        var lab = new SandboxLab(new SandboxOptions
        {
            Prefix = "lbbench", StateDir = Path.Combine(Path.GetTempPath(), "lbbench-" + Environment.ProcessId.ToString(CultureInfo.InvariantCulture)),
            ApiPort = 16543, Router = router, DemoServices = false,
        }, line => Console.WriteLine(line));
        try
        {
            lab.UpAsync().WaitAsync(TimeSpan.FromMinutes(5)).GetAwaiter().GetResult();
            var results = MeasureAsync(lab, services, Console.Out).GetAwaiter().GetResult();
            Console.WriteLine();
            Console.WriteLine($"time from `kubectl apply -f` to the first successful request, {services} Services per mode, router {router}:");
            foreach (var r in results) Console.WriteLine(r.Line());
            return results.All(r => r.TimedOut == 0) ? 0 : 1;
        }
        finally
        {
            lab.DownAsync().WaitAsync(TimeSpan.FromMinutes(2)).GetAwaiter().GetResult();
        }
    }

    private static string? Arg(string[] args, string name)
    {
        var i = Array.IndexOf(args, name);
        return i >= 0 && i + 1 < args.Length ? args[i + 1] : null;
    }

    /// <summary>The benchmark's pools and advertisements (autoAssign off: nothing else lands in them).</summary>
    public static string Pools() => $"""
        apiVersion: lb.baremetal.dev/v1beta1
        kind: IPAddressPool
        metadata: {"{"}name: {L2BenchPool}, namespace: {KubeObjects.InstallNamespace}{"}"}
        spec: {"{"}addresses: ["192.0.2.64-192.0.2.191"], autoAssign: false{"}"}
        ---
        apiVersion: lb.baremetal.dev/v1beta1
        kind: L2Advertisement
        metadata: {"{"}name: {L2BenchPool}, namespace: {KubeObjects.InstallNamespace}{"}"}
        spec: {"{"}ipAddressPools: [{L2BenchPool}]{"}"}
        ---
        apiVersion: lb.baremetal.dev/v1beta1
        kind: IPAddressPool
        metadata: {"{"}name: {BgpBenchPool}, namespace: {KubeObjects.InstallNamespace}{"}"}
        spec: {"{"}addresses: ["203.0.113.128/25"], autoAssign: false{"}"}
        ---
        apiVersion: lb.baremetal.dev/v1beta1
        kind: BGPAdvertisement
        metadata: {"{"}name: {BgpBenchPool}, namespace: {KubeObjects.InstallNamespace}{"}"}
        spec: {"{"}ipAddressPools: [{BgpBenchPool}]{"}"}

        """;

    /// <summary>The benchmark's Services for one mode: Cluster policy, every pod, one fresh requested IP each.</summary>
    public static IReadOnlyList<SandboxService> Services(Announce mode, int count)
    {
        if (count < 1 || count > MaxServices) throw new ArgumentOutOfRangeException(nameof(count), $"1 to {MaxServices} Services per mode");
        return [.. Enumerable.Range(0, count).Select(i => mode == Announce.Layer2
            ? new SandboxService($"bench-l2-{i:000}", mode, false, PoolName: L2BenchPool, RequestedIp: $"192.0.2.{64 + i}")
            : new SandboxService($"bench-bgp-{i:000}", mode, false, PoolName: BgpBenchPool, RequestedIp: $"203.0.113.{128 + i}"))];
    }

    /// <summary>
    /// Runs the measurement on a sandbox that is up (controller, speakers, BGP sessions): Layer 2 then BGP, and
    /// removes everything it created, so a shared sandbox is left as it was.
    /// </summary>
    public static async Task<IReadOnlyList<Result>> MeasureAsync(SandboxLab lab, int services, TextWriter output, CancellationToken cancellationToken = default)
    {
        var dir = Directory.CreateTempSubdirectory("lb-apply-bench-").FullName;
        var results = new List<Result>();
        try
        {
            await lab.KubectlApply(Pools()).ConfigureAwait(false);
            foreach (var mode in new[] { Announce.Layer2, Announce.Bgp })
            {
                var list = Services(mode, services);
                var slices = Path.Combine(dir, mode + "-slices.yaml");
                await File.WriteAllTextAsync(slices, string.Join("---\n", list.Select(s => KubeObjects.EndpointSlice(lab.Topology, s))), cancellationToken).ConfigureAwait(false);
                await lab.Kubectl("apply", "-f", slices).ConfigureAwait(false);
                var samples = new List<TimeSpan>();
                var timedOut = 0;
                try
                {
                    foreach (var svc in list)
                    {
                        var file = Path.Combine(dir, svc.Name + ".yaml");
                        await File.WriteAllTextAsync(file, KubeObjects.Service(svc), cancellationToken).ConfigureAwait(false);
                        var took = await ApplyAndReachAsync(lab, file, svc.RequestedIp!, cancellationToken).ConfigureAwait(false);
                        if (took is { } t) samples.Add(t);
                        else timedOut++;
                        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                            $"  {svc.Name} {svc.RequestedIp}: {(took is { } x ? $"{x.TotalMilliseconds:0} ms" : $"no answer within {GiveUp.TotalSeconds:0} s")}"));
                    }
                }
                finally
                {
                    string[] delete = ["delete", "--wait=false", "--ignore-not-found", "-f", slices,
                        .. list.Select(s => Path.Combine(dir, s.Name + ".yaml")).Where(File.Exists).SelectMany(f => new[] { "-f", f })];
                    await lab.KubectlTry(TimeSpan.FromSeconds(120), delete).ConfigureAwait(false);
                }
                var result = new Result(mode, samples, timedOut);
                output.WriteLine(result.Line());
                results.Add(result);
            }
        }
        finally
        {
            await ProcessRunner.RunAsync("kubectl", ["--kubeconfig", lab.Kubeconfig, "delete", "--wait=false", "--ignore-not-found", "-f", "-"], TimeSpan.FromSeconds(60), Pools(), CancellationToken.None).ConfigureAwait(false);
            Directory.Delete(dir, recursive: true);
        }
        return results;
    }

    /// <summary>Time from the start of <c>kubectl apply -f file</c> to the first answer from <paramref name="ip"/>; null if none within 30 s.</summary>
    private static async Task<TimeSpan?> ApplyAndReachAsync(SandboxLab lab, string file, string ip, CancellationToken cancellationToken)
    {
        var sw = Stopwatch.StartNew();
        var apply = await lab.KubectlTry(TimeSpan.FromSeconds(60), "apply", "-f", file).ConfigureAwait(false);
        if (apply.ExitCode != 0) throw new InvalidOperationException($"kubectl apply -f {file} failed: {apply.StandardError.Trim()}");
        while (sw.Elapsed < GiveUp)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var attempt = sw.Elapsed;
            if (await lab.RequestFromClientAsync(ip, TimeSpan.FromMilliseconds(200)).ConfigureAwait(false) is not null) return sw.Elapsed;
            var wait = attempt + TimeSpan.FromMilliseconds(100) - sw.Elapsed;
            if (wait > TimeSpan.Zero) await Task.Delay(wait, cancellationToken).ConfigureAwait(false);
        }
        return null;
    }
}
