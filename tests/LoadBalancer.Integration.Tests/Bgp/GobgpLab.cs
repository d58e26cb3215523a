using LoadBalancer.TestKit.Net;

namespace LoadBalancer.Integration.Tests.Bgp;

/// <summary>gobgpd as the router (RIB only: it cannot program the kernel on this machine, see lab-notes).</summary>
public sealed class GobgpLab : BgpLab
{
    private static string Neighbor(string address, uint asn, string families, string? password = null) => $"""
        [[neighbors]]
          [neighbors.config]
            neighbor-address = "{address}"
            peer-as = {asn}
            {(password is null ? "" : $"auth-password = \"{password}\"")}
          [neighbors.transport.config]
            passive-mode = true
          [neighbors.timers.config]
            hold-time = 9
            keepalive-interval = 3
        {string.Concat(families.Split(',').Select(f => $"""
          [[neighbors.afi-safis]]
            [neighbors.afi-safis.config]
              afi-safi-name = "{f}"

        """))}
        """;

    public string Config => $"""
        [global.config]
          as = {RouterAsn}
          router-id = "192.0.2.1"
          local-address-list = ["192.0.2.1", "2001:db8::1"]
        [global.use-multiple-paths.config]
          enabled = true
        {Neighbor("192.0.2.11", NodeAsn, "ipv4-unicast,ipv6-unicast")}
        {Neighbor("2001:db8::11", NodeAsn, "ipv6-unicast")}
        {Neighbor("192.0.2.21", RouterAsn, "ipv4-unicast")}
        {Neighbor("192.0.2.12", NodeAsn, "ipv4-unicast", Password)}
        """;

    public override bool InstallsKernelRoutes => false;

    public override int EstablishSeconds => 30;

    protected override async Task StartDaemonAsync()
    {
        ProcessRunner.Require("gobgp");
        var file = Path.Combine(Dir, "gobgpd.toml");
        await File.WriteAllTextAsync(file, Config);
        Router.Spawn("gobgpd", ["-f", file, "-t", "toml", "--api-hosts", "127.0.0.1:50051"], Path.Combine(Dir, "gobgpd.log"));
        await WaitAsync(async () => (await Router.ExecAsync("gobgp", "neighbor")).ExitCode == 0, "gobgpd API", 15);
    }

    public override async Task<string> ShowRouteAsync(string prefix)
    {
        var family = prefix.Contains(':', StringComparison.Ordinal) ? "ipv6" : "ipv4";
        var r = await Router.ExecAsync("gobgp", "global", "rib", "-a", family, prefix, "-j");
        var compact = string.Concat(r.StandardOutput.Where(c => !char.IsWhiteSpace(c)));
        return compact.Contains("\"attrs\"", StringComparison.Ordinal) ? compact : "";
    }

    public override IEnumerable<string> Expect(string nextHop, string? community, string? large, uint? localPref)
    {
        yield return $"\"nexthop\":\"{nextHop}\"";
        if (community is not null)
        {
            var parts = community.Split(':');
            yield return $"\"communities\":[{(uint.Parse(parts[0], System.Globalization.CultureInfo.InvariantCulture) << 16) | uint.Parse(parts[1], System.Globalization.CultureInfo.InvariantCulture)}]";
        }
        if (large is not null)
        {
            var p = large.Split(':');
            yield return $"{{\"ASN\":{p[0]},\"LocalData1\":{p[1]},\"LocalData2\":{p[2]}}}";
        }
        if (localPref is not null) yield return $"{{\"type\":5,\"value\":{localPref}}}";
    }
}
