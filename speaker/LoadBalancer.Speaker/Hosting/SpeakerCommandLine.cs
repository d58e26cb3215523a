using System.Globalization;
using System.Net;
using LoadBalancer.Speaker.DataPlane;

namespace LoadBalancer.Speaker.Hosting;

/// <summary>
/// Parses the speaker's flags (<c>--flag value</c> or <c>--flag=value</c>) with environment fallbacks. Pure: the
/// environment is passed in. Returns the options, or the list of errors (each naming the flag) and the usage text.
/// </summary>
internal static class SpeakerCommandLine
{
    public const string Usage = """
        loadbalancer-speaker: announces Service IPs from this node (Layer 2 / BGP) and forwards them (nftables).

          --node-name NAME            this node (env NODE_NAME; required)
          --namespace NS              where Leases, CRs and status live (env POD_NAMESPACE; default loadbalancer-system)
          --kubeconfig PATH           kubeconfig file (else env KUBECONFIG, else in-cluster)
          --metrics-address ADDR:PORT /metrics, /healthz, /readyz (default 0.0.0.0:7472; "off" disables)
          --lease-duration DURATION   speaker Lease validity (default 15s)
          --renew-period DURATION     Lease renewal period (default 5s; must be below the duration)
          --dataplane nftables|off    program forwarding for LB IPs (default nftables)
          --layer2 on|off             answer ARP/NDP (default on)
          --bgp on|off                run BGP sessions (default on)
          --bgp-listen-port PORT      TCP port where BGP peers may connect (passive peers, collisions; default 179, 0 = off)
          --probe-port PORT           UDP port for speaker-to-speaker probes (default 7947)
          --probe-key-file PATH       shared probe key, at least 16 bytes (default /etc/loadbalancer/probe/key;
                                      missing: no probing, liveness from Leases only)
          --interfaces a,b            only these interfaces may answer ARP/NDP
          --pod-cidrs CIDR,CIDR       the cluster's pod CIDRs (internalTrafficPolicy and hairpin for pod traffic)
          --node-ips IP,IP            this node's addresses (internalTrafficPolicy for host traffic)
          --load-balancer-class NAME  Services of this class (or none) are ours (default lb.baremetal.dev/loadbalancer)
          --help                      this text
        Durations: 500ms, 15s, 1m.
        """;

    public sealed record Result(SpeakerOptions? Options, IReadOnlyList<string> Errors, bool Help);

    public static Result Parse(IReadOnlyList<string> args, Func<string, string?> env)
    {
        var errors = new List<string>();
        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        var help = false;
        for (var i = 0; i < args.Count; i++)
        {
            var a = args[i];
            if (a is "--help" or "-h") { help = true; continue; }
            if (!a.StartsWith("--", StringComparison.Ordinal)) { errors.Add($"unexpected argument \"{a}\""); continue; }
            var eq = a.IndexOf('=', StringComparison.Ordinal);
            string name, value;
            if (eq > 0) { name = a[2..eq]; value = a[(eq + 1)..]; }
            else if (i + 1 < args.Count) { name = a[2..]; value = args[++i]; }
            else { errors.Add($"--{a[2..]}: needs a value"); continue; }
            values[name] = value;
        }
        if (help) return new Result(null, [], true);
        string? Get(string flag, string? envName = null) => values.Remove(flag, out var v) ? v : envName is null ? null : env(envName);

        var node = Get("node-name", "NODE_NAME");
        if (string.IsNullOrWhiteSpace(node)) errors.Add("--node-name: required (or env NODE_NAME)");
        var ns = Get("namespace", "POD_NAMESPACE");
        var kubeconfig = Get("kubeconfig", "KUBECONFIG");
        var o = new SpeakerOptions { NodeName = node ?? "" };
        if (!string.IsNullOrWhiteSpace(ns)) o = o with { Namespace = ns };
        if (!string.IsNullOrWhiteSpace(kubeconfig)) o = o with { Kubeconfig = kubeconfig };
        if (Get("metrics-address") is { } ma)
        {
            if (ma == "off") o = o with { MetricsAddress = null };
            else if (IPEndPoint.TryParse(ma, out var ep) && ep.Port != 0) o = o with { MetricsAddress = ep };
            else errors.Add($"--metrics-address: \"{ma}\" is not ADDRESS:PORT");
        }
        if (Get("lease-duration") is { } ld) { if (TryDuration(ld, out var d)) o = o with { LeaseDuration = d }; else errors.Add($"--lease-duration: \"{ld}\" is not a duration"); }
        if (Get("renew-period") is { } rp) { if (TryDuration(rp, out var d)) o = o with { RenewPeriod = d }; else errors.Add($"--renew-period: \"{rp}\" is not a duration"); }
        if (o.RenewPeriod <= TimeSpan.Zero || o.RenewPeriod >= o.LeaseDuration)
            errors.Add($"--renew-period: {o.RenewPeriod.TotalSeconds}s must be positive and below --lease-duration ({o.LeaseDuration.TotalSeconds}s)");
        if (Get("dataplane") is { } dp)
        {
            if (dp == "nftables") o = o with { DataPlane = DataPlaneMode.Nftables };
            else if (dp == "off") o = o with { DataPlane = DataPlaneMode.Off };
            else errors.Add($"--dataplane: \"{dp}\" is not nftables or off");
        }
        if (Get("layer2") is { } l2) { if (TryOnOff(l2, out var b)) o = o with { Layer2 = b }; else errors.Add($"--layer2: \"{l2}\" is not on or off"); }
        if (Get("bgp") is { } bgp) { if (TryOnOff(bgp, out var b)) o = o with { Bgp = b }; else errors.Add($"--bgp: \"{bgp}\" is not on or off"); }
        if (Get("bgp-listen-port") is { } blp)
        {
            if (int.TryParse(blp, NumberStyles.None, CultureInfo.InvariantCulture, out var p) && p is >= 0 and < 65536) o = o with { BgpListenPort = p };
            else errors.Add($"--bgp-listen-port: \"{blp}\" is not a port (0 = off, 1-65535)");
        }
        if (Get("probe-port") is { } pp)
        {
            if (int.TryParse(pp, NumberStyles.None, CultureInfo.InvariantCulture, out var p) && p is > 0 and < 65536) o = o with { ProbePort = p };
            else errors.Add($"--probe-port: \"{pp}\" is not a port (1-65535)");
        }
        if (Get("probe-key-file") is { } pk && pk.Length > 0) o = o with { ProbeKeyFile = pk };
        if (Get("interfaces") is { } ifs) o = o with { Interfaces = [.. ifs.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)] };
        if (Get("pod-cidrs") is { } cidrs)
        {
            var list = new List<System.Net.IPNetwork>();
            foreach (var c in cidrs.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
                if (System.Net.IPNetwork.TryParse(c, out var n)) list.Add(n); else errors.Add($"--pod-cidrs: \"{c}\" is not a CIDR");
            o = o with { PodCidrs = list };
        }
        if (Get("node-ips") is { } ips)
        {
            var list = new List<System.Net.IPAddress>();
            foreach (var a in ips.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
                if (System.Net.IPAddress.TryParse(a, out var ip)) list.Add(ip); else errors.Add($"--node-ips: \"{a}\" is not an IP address");
            o = o with { NodeIps = list };
        }
        if (Get("load-balancer-class") is { } cls && cls.Length > 0) o = o with { LoadBalancerClass = cls };
        foreach (var unknown in values.Keys) errors.Add($"--{unknown}: unknown flag");
        return errors.Count > 0 ? new Result(null, errors, false) : new Result(o, [], false);
    }

    private static bool TryOnOff(string s, out bool value)
    {
        value = s is "on" or "true";
        return s is "on" or "off" or "true" or "false";
    }

    /// <summary>Go-style durations: a number and a unit (ms, s, m, h), possibly several (1m30s).</summary>
    public static bool TryDuration(string s, out TimeSpan value)
    {
        value = TimeSpan.Zero;
        var i = 0;
        if (s.Length == 0) return false;
        while (i < s.Length)
        {
            var start = i;
            while (i < s.Length && (char.IsAsciiDigit(s[i]) || s[i] == '.')) i++;
            if (start == i || !double.TryParse(s.AsSpan(start, i - start), NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var n)) return false;
            var u = i;
            while (i < s.Length && char.IsAsciiLetter(s[i])) i++;
            var unit = s[u..i];
            var ms = unit switch { "ms" => 1.0, "s" => 1000.0, "m" => 60_000.0, "h" => 3_600_000.0, _ => double.NaN };
            if (double.IsNaN(ms)) return false;
            value += TimeSpan.FromMilliseconds(n * ms);
        }
        return true;
    }
}
