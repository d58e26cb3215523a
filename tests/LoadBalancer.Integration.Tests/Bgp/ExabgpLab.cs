using System.Text;
using System.Text.Json;
using LoadBalancer.TestKit.Net;

namespace LoadBalancer.Integration.Tests.Bgp;

/// <summary>
/// ExaBGP 4.2 as the router: passive neighbours, every received UPDATE and state change goes as JSON to a process
/// that appends it to a file; the current table is rebuilt from that log. No kernel routes (ExaBGP has no FIB).
/// </summary>
public sealed class ExabgpLab : BgpLab
{
    private string Log => Path.Combine(Dir, "received.json");

    private static string Neighbor(string address, string local, uint asn, string families, string? password = null) => $$"""
        neighbor {{address}} {
            router-id 192.0.2.1;
            local-address {{local}};
            local-as {{RouterAsn}};
            peer-as {{asn}};
            hold-time 9;
            passive true;
            {{(password is null ? "" : $"md5-password {password};")}}
            family { {{families}} }
            api { processes [ watch ]; neighbor-changes; receive { parsed; update; } }
        }

        """;

    public override bool InstallsKernelRoutes => false;

    protected override async Task StartDaemonAsync()
    {
        ProcessRunner.Require("exabgp");
        var script = Path.Combine(Dir, "watch.sh");
        await File.WriteAllTextAsync(script, $"#!/bin/sh\n# no exec: the shell keeps stdout (the pipe exabgp watches) open\ncat >> {Log}\n");
        await ProcessRunner.CheckAsync("chmod", "700", script);
        await File.WriteAllTextAsync(Log, "");
        var config = new StringBuilder();
        config.Append($$"""
            process watch {
                run {{script}};
                encoder json;
            }

            """);
        config.Append(Neighbor("192.0.2.11", "192.0.2.1", NodeAsn, "ipv4 unicast; ipv6 unicast;"));
        config.Append(Neighbor("2001:db8::11", "2001:db8::1", NodeAsn, "ipv6 unicast;"));
        config.Append(Neighbor("192.0.2.21", "192.0.2.1", RouterAsn, "ipv4 unicast;"));
        config.Append(Neighbor("192.0.2.12", "192.0.2.1", NodeAsn, "ipv4 unicast;", Password));
        var file = Path.Combine(Dir, "exabgp.conf");
        await File.WriteAllTextAsync(file, config.ToString());
        Router.Spawn("exabgp", [file], Path.Combine(Dir, "exabgp.log"), new Dictionary<string, string>
        {
            ["exabgp.daemon.user"] = "root",
            ["exabgp.log.destination"] = "stdout",
            ["exabgp.tcp.bind"] = "192.0.2.1 2001:db8::1",
            ["exabgp.tcp.port"] = "179",
            ["exabgp.api.cli"] = "false",
        });
        await WaitAsync(async () => (await Router.ExecAsync("ss", "-ltn")).StandardOutput.Contains("192.0.2.1:179", StringComparison.Ordinal), "exabgp listening", 20);
    }

    public override async Task<string> ShowRouteAsync(string prefix)
    {
        var table = new Dictionary<(string Peer, string Prefix), string>();
        foreach (var line in await File.ReadAllLinesAsync(Log))
        {
            if (!line.StartsWith('{')) continue;
            using var doc = JsonDocument.Parse(line);
            var root = doc.RootElement;
            if (!root.TryGetProperty("neighbor", out var neighbor)) continue;
            var peer = neighbor.GetProperty("address").GetProperty("peer").GetString()!;
            var type = root.GetProperty("type").GetString();
            if (type == "state" && neighbor.TryGetProperty("state", out var state) && state.GetString() == "down")
            {
                foreach (var key in table.Keys.Where(k => k.Peer == peer).ToList()) table.Remove(key);
                continue;
            }
            if (type != "update" || !neighbor.TryGetProperty("message", out var message) || !message.TryGetProperty("update", out var update)) continue;
            if (update.TryGetProperty("withdraw", out var withdraw))
                foreach (var family in withdraw.EnumerateObject())
                    foreach (var n in family.Value.EnumerateArray()) table.Remove((peer, n.GetProperty("nlri").GetString()!));
            if (update.TryGetProperty("announce", out var announce))
            {
                var attributes = update.TryGetProperty("attribute", out var a) ? a.GetRawText() : "";
                foreach (var family in announce.EnumerateObject())
                    foreach (var nextHop in family.Value.EnumerateObject())
                        foreach (var n in nextHop.Value.EnumerateArray())
                            table[(peer, n.GetProperty("nlri").GetString()!)] = $"nexthop={nextHop.Name} attributes={attributes}";
            }
        }
        var text = string.Join("\n", table.Where(kv => kv.Key.Prefix == prefix).Select(kv => $"{kv.Key.Prefix} from {kv.Key.Peer}: {kv.Value}"));
        return text.Replace(" ", "", StringComparison.Ordinal);
    }

    public override IEnumerable<string> Expect(string nextHop, string? community, string? large, uint? localPref)
    {
        yield return $"nexthop={nextHop}";
        if (community is not null) yield return $"\"community\":[[{community.Replace(':', ',')}]]";
        if (large is not null) yield return $"\"large-community\":[[{large.Replace(':', ',')}]]";
        if (localPref is not null) yield return $"\"local-preference\":{localPref}";
    }
}
