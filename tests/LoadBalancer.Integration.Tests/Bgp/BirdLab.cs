using System.Diagnostics;
using LoadBalancer.TestKit.Net;

namespace LoadBalancer.Integration.Tests.Bgp;

/// <summary>BIRD 2 as the router: passive sessions, routes exported to the kernel with ECMP merged.</summary>
public sealed class BirdLab : BgpLab
{
    private Process? _bird;

    public string Socket => Path.Combine(Dir, "bird.ctl");

    public string Config => $$"""
        router id 192.0.2.1;
        protocol device { }
        protocol kernel k4 { ipv4 { import none; export where source = RTS_BGP; }; merge paths on; }
        protocol kernel k6 { ipv6 { import none; export where source = RTS_BGP; }; merge paths on; }
        template bgp speaker { local as {{RouterAsn}}; passive on; hold time 9; keepalive time 3; error wait time 1, 2; }
        protocol bgp n1 from speaker { local 192.0.2.1; neighbor 192.0.2.11 as {{NodeAsn}}; ipv4 { import all; export none; }; ipv6 { import all; export none; }; }
        protocol bgp n1v6 from speaker { local 2001:db8::1; neighbor 2001:db8::11 as {{NodeAsn}}; ipv6 { import all; export none; }; }
        protocol bgp n1ibgp from speaker { local 192.0.2.1; neighbor 192.0.2.21 as {{RouterAsn}}; direct; ipv4 { import all; export none; }; }
        protocol bgp n2 from speaker { local 192.0.2.1; neighbor 192.0.2.12 as {{NodeAsn}}; password "{{Password}}"; ipv4 { import all; export none; }; }
        """;

    protected override async Task StartDaemonAsync()
    {
        ProcessRunner.Require("bird");
        ProcessRunner.Require("birdc");
        var file = Path.Combine(Dir, "bird.conf");
        await File.WriteAllTextAsync(file, Config);
        await ProcessRunner.RunAsync("bird", ["-p", "-c", file], TimeSpan.FromSeconds(10)).ContinueWith(t => t.Result.EnsureSuccess(), TaskScheduler.Default);
        Start();
        await WaitAsync(async () => (await Router.ExecAsync("birdc", "-s", Socket, "show", "status")).ExitCode == 0, "bird control socket", 10);
    }

    public void Start() => _bird = Router.Spawn("bird", ["-f", "-c", Path.Combine(Dir, "bird.conf"), "-s", Socket], Path.Combine(Dir, "bird.log"));

    public Process Daemon => _bird!;

    public override async Task<string> ShowRouteAsync(string prefix)
    {
        var r = await Router.ExecAsync("birdc", "-s", Socket, "show", "route", "for", prefix, "all");
        return r.StandardOutput.Contains("Network not found", StringComparison.Ordinal) ? "" : r.StandardOutput;
    }

    public override IEnumerable<string> Expect(string nextHop, string? community, string? large, uint? localPref)
    {
        yield return $"BGP.next_hop: {nextHop}";
        if (community is not null) yield return $"BGP.community: ({community.Replace(':', ',')})";
        if (large is not null) yield return $"BGP.large_community: ({large.Replace(":", ", ", StringComparison.Ordinal)})";
        if (localPref is not null) yield return $"BGP.local_pref: {localPref}";
    }

    public Task<string> BirdcAsync(params string[] args) => Router.CheckAsync(["birdc", "-s", Socket, .. args]);
}
