using System.Diagnostics;
using System.Text.Json;
using LoadBalancer.TestKit.Net;

namespace LoadBalancer.Sandbox;

/// <summary>
/// The FIB side of the GoBGP router: gobgpd keeps its RIB to itself here (its zebra client panics against this
/// machine's FRR 8.4 zebra, see lab-notes), so the sandbox plays zebra: it follows <c>gobgp monitor global rib
/// --current -j</c> and mirrors every prefix into the router namespace's kernel table with one next hop per path of
/// the shortest AS path (ECMP, as gobgpd's multipath would). This class is the pure part: path events in, route
/// commands out.
/// </summary>
public sealed class GoBgpFib
{
    /// <summary>The sandbox executable's hidden command that runs <see cref="RunAsync"/>.</summary>
    public const string Command = "gobgp-fib";

    // (prefix, neighbor) -> (next hop, AS path length)
    private readonly Dictionary<(string Prefix, string Neighbor), (string NextHop, int AsPathLength)> _paths = [];
    private readonly Dictionary<string, string[]> _installed = new(StringComparer.Ordinal);

    /// <summary>
    /// Takes one line of the monitor's JSON output (an array of paths, withdrawals marked) and returns the
    /// <c>ip</c> arguments that bring the kernel table in line (replace or delete, one per changed prefix).
    /// A line that is not a JSON array of paths changes nothing.
    /// </summary>
    public IReadOnlyList<string[]> Apply(string line)
    {
        var touched = new HashSet<string>(StringComparer.Ordinal);
        try
        {
            using var doc = JsonDocument.Parse(line);
            if (doc.RootElement.ValueKind != JsonValueKind.Array) return [];
            foreach (var path in doc.RootElement.EnumerateArray())
            {
                if (path.ValueKind != JsonValueKind.Object) continue;
                var prefix = path.TryGetProperty("nlri", out var nlri) && nlri.TryGetProperty("prefix", out var p) ? p.GetString() : null;
                var neighbor = path.TryGetProperty("neighbor-ip", out var n) ? n.GetString() : null;
                if (prefix is null || neighbor is null) continue;
                touched.Add(prefix);
                var withdrawn = path.TryGetProperty("withdrawal", out var w) && w.ValueKind == JsonValueKind.True;
                var (nextHop, asPathLength) = Attributes(path);
                if (withdrawn || nextHop is null) _paths.Remove((prefix, neighbor));
                else _paths[(prefix, neighbor)] = (nextHop, asPathLength);
            }
        }
        catch (JsonException)
        {
            return [];
        }
        return Commands(touched);
    }

    /// <summary>Forgets every path (the monitor restarted and will dump the RIB again); routes go when the dump lacks them.</summary>
    public IReadOnlyList<string[]> Reset(string dumpLine)
    {
        var before = _installed.Keys.ToList();
        _paths.Clear();
        var commands = Apply(dumpLine).ToList();
        commands.AddRange(Commands(before.Where(p => !_paths.Keys.Any(k => k.Prefix == p))));
        return commands;
    }

    /// <summary>The next hops installed for <paramref name="prefix"/> (empty when it has no route).</summary>
    public IReadOnlyList<string> NextHops(string prefix) => _installed.TryGetValue(prefix, out var hops) ? hops : [];

    private List<string[]> Commands(IEnumerable<string> prefixes)
    {
        var commands = new List<string[]>();
        foreach (var prefix in prefixes.Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal))
        {
            var paths = _paths.Where(kv => kv.Key.Prefix == prefix).Select(kv => kv.Value).ToList();
            string[] hops = paths.Count == 0 ? [] : [.. paths.Where(x => x.AsPathLength == paths.Min(y => y.AsPathLength)).Select(x => x.NextHop).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal)];
            var had = _installed.TryGetValue(prefix, out var old);
            if (hops.Length == 0)
            {
                if (!had) continue;
                _installed.Remove(prefix);
                commands.Add(["route", "del", prefix, "proto", "bgp"]);
                continue;
            }
            if (had && old!.SequenceEqual(hops, StringComparer.Ordinal)) continue;
            _installed[prefix] = hops;
            commands.Add(hops.Length == 1
                ? ["route", "replace", prefix, "proto", "bgp", "via", hops[0]]
                : ["route", "replace", prefix, "proto", "bgp", .. hops.SelectMany(h => new[] { "nexthop", "via", h })]);
        }
        return commands;
    }

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
    /// The daemon (the sandbox's hidden <c>gobgp-fib</c> command, run inside the router namespace): follows the
    /// monitor, applies the commands with <c>ip</c>, and restarts the monitor if it ends (gobgpd restarted).
    /// </summary>
    public static async Task<int> RunAsync(TextWriter log, CancellationToken cancellationToken)
    {
        var fib = new GoBgpFib();
        var gobgp = ProcessRunner.Require("gobgp");
        while (!cancellationToken.IsCancellationRequested)
        {
            using var monitor = Process.Start(new ProcessStartInfo(gobgp, ["monitor", "global", "rib", "--current", "-j"])
            {
                RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false,
            })!;
            var first = true;
            while (await monitor.StandardOutput.ReadLineAsync(cancellationToken).ConfigureAwait(false) is { } line)
            {
                var commands = first ? fib.Reset(line) : fib.Apply(line);
                first = false;
                foreach (var c in commands)
                {
                    var r = await ProcessRunner.RunAsync("ip", c, TimeSpan.FromSeconds(10), cancellationToken: cancellationToken).ConfigureAwait(false);
                    await log.WriteLineAsync($"{DateTime.UtcNow:HH:mm:ss.fff} ip {string.Join(' ', c)}{(r.ExitCode == 0 ? "" : " failed: " + r.StandardError.Trim())}").ConfigureAwait(false);
                }
                await log.FlushAsync(cancellationToken).ConfigureAwait(false);
            }
            await monitor.WaitForExitAsync(cancellationToken).ConfigureAwait(false);
            await log.WriteLineAsync($"{DateTime.UtcNow:HH:mm:ss.fff} gobgp monitor ended ({monitor.ExitCode}): {(await monitor.StandardError.ReadToEndAsync(cancellationToken).ConfigureAwait(false)).Trim()}; restarting").ConfigureAwait(false);
            await log.FlushAsync(cancellationToken).ConfigureAwait(false);
            await Task.Delay(500, cancellationToken).ConfigureAwait(false);
        }
        return 0;
    }
}
