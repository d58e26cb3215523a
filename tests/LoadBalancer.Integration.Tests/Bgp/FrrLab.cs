using LoadBalancer.TestKit.Net;

namespace LoadBalancer.Integration.Tests.Bgp;

/// <summary>
/// FRR 8 bgpd (with zebra for the kernel routes) as the router, started by hand as lab-notes says: the run
/// directory belongs to frr, and vtysh talks to this instance through --vty_socket.
/// </summary>
public sealed class FrrLab : BgpLab
{
    public string Config => $"""
        hostname lab-router
        router bgp {RouterAsn}
         bgp router-id 192.0.2.1
         no bgp ebgp-requires-policy
         no bgp network import-check
         neighbor 192.0.2.11 remote-as {NodeAsn}
         neighbor 192.0.2.11 passive
         neighbor 192.0.2.11 timers 3 9
         neighbor 2001:db8::11 remote-as {NodeAsn}
         neighbor 2001:db8::11 passive
         neighbor 2001:db8::11 timers 3 9
         neighbor 192.0.2.21 remote-as {RouterAsn}
         neighbor 192.0.2.21 passive
         neighbor 192.0.2.21 timers 3 9
         neighbor 192.0.2.12 remote-as {NodeAsn}
         neighbor 192.0.2.12 passive
         neighbor 192.0.2.12 timers 3 9
         neighbor 192.0.2.12 password {Password}
         address-family ipv4 unicast
          maximum-paths 2
         exit-address-family
         address-family ipv6 unicast
          neighbor 192.0.2.11 activate
          neighbor 2001:db8::11 activate
         exit-address-family

        """;

    protected override async Task StartDaemonAsync()
    {
        ProcessRunner.Require("vtysh");
        var zebra = ProcessRunner.Require("/usr/lib/frr/zebra");
        var bgpd = ProcessRunner.Require("/usr/lib/frr/bgpd");
        await File.WriteAllTextAsync(Path.Combine(Dir, "bgpd.conf"), Config);
        await File.WriteAllTextAsync(Path.Combine(Dir, "zebra.conf"), "hostname lab-router\n");
        await ProcessRunner.CheckAsync("chown", "-R", "frr:frr", Dir);
        var api = Path.Combine(Dir, "zserv.api");
        await Router.CheckAsync(zebra, "-d", "-u", "frr", "-g", "frr", "-f", Path.Combine(Dir, "zebra.conf"), "-i", Path.Combine(Dir, "zebra.pid"), "-z", api, "--vty_socket", Dir);
        await WaitAsync(() => Task.FromResult(File.Exists(api)), "zebra's zserv socket", 10);
        await Router.CheckAsync(bgpd, "-d", "-u", "frr", "-g", "frr", "-f", Path.Combine(Dir, "bgpd.conf"), "-i", Path.Combine(Dir, "bgpd.pid"), "-z", api, "--vty_socket", Dir, "-l", "192.0.2.1", "-l", "2001:db8::1");
        await WaitAsync(async () => (await Router.ExecAsync("vtysh", "--vty_socket", Dir, "-c", "show bgp summary")).StandardOutput.Contains("192.0.2.11", StringComparison.Ordinal), "bgpd up", 15);
    }

    public override async Task<string> ShowRouteAsync(string prefix)
    {
        var family = prefix.Contains(':', StringComparison.Ordinal) ? "ipv6" : "ipv4";
        var r = await Router.ExecAsync("vtysh", "--vty_socket", Dir, "-c", $"show bgp {family} unicast {prefix} json");
        var compact = string.Concat(r.StandardOutput.Where(c => !char.IsWhiteSpace(c)));
        return compact.Contains("\"paths\":[{", StringComparison.Ordinal) ? compact : "";
    }

    public override IEnumerable<string> Expect(string nextHop, string? community, string? large, uint? localPref)
    {
        yield return $"\"ip\":\"{nextHop}\"";
        if (community is not null) yield return $"\"community\":{{\"string\":\"{community}\"";
        if (large is not null) yield return $"\"largeCommunity\":{{\"string\":\"{large}\"";
        if (localPref is not null) yield return $"\"locPrf\":{localPref}";
    }
}
