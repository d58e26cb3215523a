using System.Diagnostics.Metrics;
using System.Net;
using System.Net.Sockets;
using LoadBalancer.Speaker.Announcing;
using LoadBalancer.Speaker.Bgp;
using LoadBalancer.TestKit.Net;
using Microsoft.Extensions.Logging.Abstractions;

namespace LoadBalancer.Integration.Tests.Bgp;

/// <summary>
/// One router namespace (AS 64512, a bridge with 192.0.2.1/24 and 2001:db8::1/64) and two node namespaces
/// (n1: 192.0.2.11 + 192.0.2.21 for iBGP + 2001:db8::11, n2: 192.0.2.12 + 2001:db8::12). A subclass starts one real
/// daemon in the router namespace once per test class. Our speaker runs in-process; its sockets are opened inside the
/// node namespace.
/// </summary>
public abstract class BgpLab : IAsyncLifetime
{
    public const uint NodeAsn = 4200000001;
    public const uint RouterAsn = 64512;
    public const string Password = "labsecret";

    public NetLab Lab { get; private set; } = null!;
    public NetNamespace Router { get; private set; } = null!;
    public NetNamespace Node1 { get; private set; } = null!;
    public NetNamespace Node2 { get; private set; } = null!;
    public string Dir { get; } = Directory.CreateTempSubdirectory("lb-bgp-").FullName;

    public async Task InitializeAsync()
    {
        Lab = NetLab.Create();
        Router = await Lab.AddNamespaceAsync("r");
        Node1 = await Lab.AddNamespaceAsync("n1");
        Node2 = await Lab.AddNamespaceAsync("n2");
        await NetLab.AddBridgeAsync(Router, "br0");
        await Router.CheckAsync("ip", "addr", "add", "192.0.2.1/24", "dev", "br0");
        await Router.CheckAsync("ip", "-6", "addr", "add", "2001:db8::1/64", "dev", "br0", "nodad");
        await NetLab.AttachAsync(Router, "br0", Node1, "eth0", "p1", ["192.0.2.11/24", "192.0.2.21/24", "2001:db8::11/64"]);
        await NetLab.AttachAsync(Router, "br0", Node2, "eth0", "p2", ["192.0.2.12/24", "2001:db8::12/64"]);
        await StartDaemonAsync();
    }

    protected abstract Task StartDaemonAsync();

    /// <summary>What the daemon holds for <paramref name="prefix"/>, as text (empty when it has no route).</summary>
    public abstract Task<string> ShowRouteAsync(string prefix);

    /// <summary>Substrings that prove the route arrived with these attributes.</summary>
    public abstract IEnumerable<string> Expect(string nextHop, string? community, string? large, uint? localPref);

    /// <summary>Whether this daemon installs BGP routes in the router's kernel table (gobgpd and exabgp do not here).</summary>
    public virtual bool InstallsKernelRoutes => true;

    /// <summary>Seconds a session may take to come up (gobgpd's first connect is slow).</summary>
    public virtual int EstablishSeconds => 20;

    public BgpAnnouncer CreateAnnouncer(NetNamespace node, string nextHop6, Microsoft.Extensions.Logging.ILogger<BgpAnnouncer>? logger = null)
        => new(logger ?? (Environment.GetEnvironmentVariable("LB_BGP_LOG") is { } log ? new FileLogger<BgpAnnouncer>(log) : NullLogger<BgpAnnouncer>.Instance), TimeProvider.System, new Meter("bgp-interop"), new BgpAnnouncerOptions
        {
            NextHopIPv6 = IPAddress.Parse(nextHop6),
            ReconnectBackoffMin = TimeSpan.FromMilliseconds(200),
            ReconnectBackoffMax = TimeSpan.FromSeconds(2),
            SocketFactory = family => node.RunInsideAsync(() => new Socket(family, SocketType.Stream, ProtocolType.Tcp)).GetAwaiter().GetResult(),
        });

    public static BgpPeerSpec Peer(string name, string peer, uint myAsn, string? source = null, string? password = null, int holdSeconds = 9, bool gracefulRestart = false)
        => new(name, IPAddress.Parse(peer), 179, myAsn, RouterAsn, source is null ? null : IPAddress.Parse(source), null,
            TimeSpan.FromSeconds(holdSeconds), null, TimeSpan.FromSeconds(1), password, EbgpMultiHop: false, EnableGracefulRestart: gracefulRestart);

    public static BgpRoute Route(string peer, string prefix, uint? localPref = null)
        => new(peer, IPNetwork.Parse(prefix), [(64513u << 16) | 100], [(64513u, 1u, 2u)], localPref);

    public static Task WaitAsync(Func<Task<bool>> condition, string what, int seconds) => WaitAsync(condition, () => what, seconds);

    public static async Task WaitAsync(Func<Task<bool>> condition, Func<string> what, int seconds)
    {
        var deadline = DateTime.UtcNow.AddSeconds(seconds);
        while (!await condition())
        {
            if (DateTime.UtcNow > deadline) Assert.Fail($"timed out after {seconds} s waiting for {what()}");
            await Task.Delay(100);
        }
    }

    public static Task WaitEstablishedAsync(BgpAnnouncer announcer, string peer, int seconds)
        => WaitAsync(() => Task.FromResult(announcer.Sessions.Any(s => s.Peer == peer && s.State == "Established")),
            () => $"session {peer} Established (now: {string.Join("; ", announcer.Sessions)})", seconds);

    public async Task WaitRouteAsync(string prefix, IEnumerable<string> expected, int seconds = 15)
    {
        var last = "";
        var wanted = expected.ToArray();
        await WaitAsync(async () =>
        {
            last = await ShowRouteAsync(prefix);
            return wanted.All(w => last.Contains(w, StringComparison.Ordinal));
        }, () => $"{prefix} with [{string.Join(", ", wanted)}]; the daemon shows:\n{last}", seconds);
    }

    public async Task WaitNoRouteAsync(string prefix, int seconds = 15)
    {
        var last = "";
        await WaitAsync(async () => !(last = await ShowRouteAsync(prefix)).Contains(prefix.Split('/')[0], StringComparison.Ordinal),
            () => $"{prefix} withdrawn; the daemon shows:\n{last}", seconds);
    }

    public async Task<string> KernelRouteAsync(string prefix)
        => (await Router.ExecAsync("ip", prefix.Contains(':', StringComparison.Ordinal) ? "-6" : "-4", "route", "show", prefix)).StandardOutput;

    public async Task DisposeAsync()
    {
        await Lab.DisposeAsync();
        if (Environment.GetEnvironmentVariable("LB_KEEP_LAB_DIR") is not null) return; // keep daemon logs for debugging
        try { Directory.Delete(Dir, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }
}
