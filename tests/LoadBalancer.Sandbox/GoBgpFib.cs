using System.Diagnostics;
using System.Text.Json;
using LoadBalancer.TestKit.Net;

namespace LoadBalancer.Sandbox;

/// <summary>
/// The FIB side of the GoBGP router: gobgpd keeps its RIB to itself here (its zebra client panics against this
/// machine's FRR 8.4 zebra, see lab-notes), so the sandbox plays zebra: whenever <c>gobgp monitor global rib</c>
/// reports a change it reads the whole RIB (<c>gobgp global rib -j</c>: every path of every prefix; the monitor
/// itself only reports best-path changes) and mirrors it into the router namespace's kernel table, with one next hop
/// per path of the shortest AS path (ECMP, as gobgpd's multipath would). This class is the pure part: a RIB dump in,
/// route commands out.
/// </summary>
public sealed class GoBgpFib
{
    /// <summary>The sandbox executable's hidden command that runs <see cref="RunAsync"/>.</summary>
    public const string Command = "gobgp-fib";

    private readonly Dictionary<string, string[]> _installed = new(StringComparer.Ordinal);

    /// <summary>
    /// Takes the output of <c>gobgp global rib -j</c> (an object: prefix -> paths) and returns the <c>ip</c>
    /// arguments that bring the kernel table in line (replace or delete, one per changed prefix). Output that is not
    /// such an object changes nothing.
    /// </summary>
    public IReadOnlyList<string[]> Sync(string rib)
    {
        var desired = new Dictionary<string, string[]>(StringComparer.Ordinal);
        try
        {
            using var doc = JsonDocument.Parse(rib);
            if (doc.RootElement.ValueKind != JsonValueKind.Object) return [];
            foreach (var prefix in doc.RootElement.EnumerateObject())
            {
                if (prefix.Value.ValueKind != JsonValueKind.Array) continue;
                var paths = new List<(string NextHop, int AsPathLength)>();
                foreach (var path in prefix.Value.EnumerateArray())
                {
                    if (path.ValueKind != JsonValueKind.Object) continue;
                    if (path.TryGetProperty("withdrawal", out var w) && w.ValueKind == JsonValueKind.True) continue;
                    var (nextHop, length) = Attributes(path);
                    if (nextHop is not null) paths.Add((nextHop, length));
                }
                if (paths.Count == 0) continue;
                var shortest = paths.Min(p => p.AsPathLength);
                desired[prefix.Name] = [.. paths.Where(p => p.AsPathLength == shortest).Select(p => p.NextHop).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal)];
            }
        }
        catch (JsonException)
        {
            return [];
        }
        var commands = new List<string[]>();
        foreach (var gone in _installed.Keys.Where(p => !desired.ContainsKey(p)).Order(StringComparer.Ordinal).ToList())
        {
            _installed.Remove(gone);
            commands.Add(["route", "del", gone, "proto", "bgp"]);
        }
        foreach (var (prefix, hops) in desired.OrderBy(kv => kv.Key, StringComparer.Ordinal))
        {
            if (_installed.TryGetValue(prefix, out var old) && old.SequenceEqual(hops, StringComparer.Ordinal)) continue;
            _installed[prefix] = hops;
            commands.Add(hops.Length == 1
                ? ["route", "replace", prefix, "proto", "bgp", "via", hops[0]]
                : ["route", "replace", prefix, "proto", "bgp", .. hops.SelectMany(h => new[] { "nexthop", "via", h })]);
        }
        return commands;
    }

    /// <summary>The next hops installed for <paramref name="prefix"/> (empty when it has no route).</summary>
    public IReadOnlyList<string> NextHops(string prefix) => _installed.TryGetValue(prefix, out var hops) ? hops : [];

    private static (string? NextHop, int AsPathLength) Attributes(JsonElement path)
    {
        string? nextHop = null;
        var length = 0;
        if (!path.TryGetProperty("attrs", out var attrs) || attrs.ValueKind != JsonValueKind.Array) return (null, 0);
        foreach (var a in attrs.EnumerateArray())
        {
            if (!a.TryGetProperty("type", out var t) || !t.TryGetInt32(out var type)) continue;
            if (type is 3 or 14 && a.TryGetProperty("nexthop", out var nh) && nh.ValueKind == JsonValueKind.String) nextHop = nh.GetString();
            if (type == 2 && a.TryGetProperty("as_paths", out var segments) && segments.ValueKind == JsonValueKind.Array)
                foreach (var s in segments.EnumerateArray())
                    length += s.TryGetProperty("segment_type", out var st) && st.TryGetInt32(out var stype) && stype is 1 or 3 ? 1 // AS_SET counts one
                        : s.TryGetProperty("asns", out var asns) && asns.ValueKind == JsonValueKind.Array ? asns.GetArrayLength() : 0;
        }
        return (nextHop, length);
    }

    /// <summary>
    /// The daemon (the sandbox's hidden <c>gobgp-fib</c> command, run inside the router namespace): syncs at start and
    /// after every monitor event (events that arrive during a sync cause one more), restarting the monitor if it ends.
    /// </summary>
    public static async Task<int> RunAsync(TextWriter log, CancellationToken cancellationToken)
    {
        var fib = new GoBgpFib();
        var gobgp = ProcessRunner.Require("gobgp");
        using var changed = new SemaphoreSlim(1, 1); // starts signalled: the first sync
        var syncing = Task.Run(async () =>
        {
            while (!cancellationToken.IsCancellationRequested)
            {
                await changed.WaitAsync(cancellationToken).ConfigureAwait(false);
                var rib = await ProcessRunner.RunAsync(gobgp, ["global", "rib", "-j"], TimeSpan.FromSeconds(10), cancellationToken: cancellationToken).ConfigureAwait(false);
                if (rib.ExitCode != 0) { await Task.Delay(500, cancellationToken).ConfigureAwait(false); Signal(changed); continue; }
                foreach (var c in fib.Sync(rib.StandardOutput.Trim().Length == 0 ? "{}" : rib.StandardOutput))
                {
                    var r = await ProcessRunner.RunAsync("ip", c, TimeSpan.FromSeconds(10), cancellationToken: cancellationToken).ConfigureAwait(false);
                    await log.WriteLineAsync($"{DateTime.UtcNow:HH:mm:ss.fff} ip {string.Join(' ', c)}{(r.ExitCode == 0 ? "" : " failed: " + r.StandardError.Trim())}").ConfigureAwait(false);
                }
                await log.FlushAsync(cancellationToken).ConfigureAwait(false);
            }
        }, cancellationToken);
        while (!cancellationToken.IsCancellationRequested)
        {
            using var monitor = Process.Start(new ProcessStartInfo(gobgp, ["monitor", "global", "rib", "-j"])
            {
                RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false,
            })!;
            Signal(changed); // anything missed while the monitor was not running
            while (await monitor.StandardOutput.ReadLineAsync(cancellationToken).ConfigureAwait(false) is not null) Signal(changed);
            await monitor.WaitForExitAsync(cancellationToken).ConfigureAwait(false);
            await log.WriteLineAsync($"{DateTime.UtcNow:HH:mm:ss.fff} gobgp monitor ended ({monitor.ExitCode}): {(await monitor.StandardError.ReadToEndAsync(cancellationToken).ConfigureAwait(false)).Trim()}; restarting").ConfigureAwait(false);
            await log.FlushAsync(cancellationToken).ConfigureAwait(false);
            await Task.Delay(500, cancellationToken).ConfigureAwait(false);
        }
        await syncing.ConfigureAwait(false);
        return 0;
    }

    private static void Signal(SemaphoreSlim changed)
    {
        if (changed.CurrentCount == 0) { try { changed.Release(); } catch (SemaphoreFullException) { } }
    }
}
