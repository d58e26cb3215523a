using System.Diagnostics.Metrics;
using System.Net;
using System.Text.RegularExpressions;
using LoadBalancer.Speaker.Announcing;
using LoadBalancer.Speaker.Layer2;
using LoadBalancer.Speaker.Liveness;
using LoadBalancer.TestKit.Net;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Xunit.Abstractions;

namespace LoadBalancer.Integration.Tests.Layer2;

/// <summary>
/// One L2 segment (bridge in namespace "lan") with two speaker nodes, a client and a squatter; the client also has a
/// point-to-point link (eth1) to node 1's eth1, for the interface restriction. Documentation ranges only.
/// <code>
///   n1  eth0 192.0.2.11  2001:db8::11  02:00:00:00:00:11   eth1 198.51.100.11 02:00:00:00:01:11 ── client eth1 198.51.100.100
///   n2  eth0 192.0.2.12  2001:db8::12  02:00:00:00:00:12
///   cl  eth0 192.0.2.100 2001:db8::100 02:00:00:00:00:64
///   sq  eth0 192.0.2.99  2001:db8::99  02:00:00:00:00:99   (holds 192.0.2.201 and 2001:db8::201: a squatter on a pool IP)
/// </code>
/// </summary>
internal sealed partial class L2Lab : IAsyncDisposable
{
    public static readonly byte[] Key = "lab liveness key, 32 bytes long!"u8.ToArray();

    private L2Lab(NetLab lab) => Lab = lab;

    public NetLab Lab { get; }
    public NetNamespace Lan { get; private set; } = null!;
    public NetNamespace Node1 { get; private set; } = null!;
    public NetNamespace Node2 { get; private set; } = null!;
    public NetNamespace Client { get; private set; } = null!;
    public NetNamespace Squatter { get; private set; } = null!;

    public static string PathOf(NetNamespace ns) => "/var/run/netns/" + ns.Name;

    public static async Task<L2Lab> CreateAsync()
    {
        var lab = new L2Lab(NetLab.Create());
        try
        {
            lab.Lan = await lab.Lab.AddNamespaceAsync("lan");
            await NetLab.AddBridgeAsync(lab.Lan, "br0");
            lab.Node1 = await lab.Lab.AddNamespaceAsync("n1");
            lab.Node2 = await lab.Lab.AddNamespaceAsync("n2");
            lab.Client = await lab.Lab.AddNamespaceAsync("cl");
            lab.Squatter = await lab.Lab.AddNamespaceAsync("sq");
            await NetLab.AttachAsync(lab.Lan, "br0", lab.Node1, "eth0", "p-n1", ["192.0.2.11/24", "2001:db8::11/64"], "02:00:00:00:00:11");
            await NetLab.AttachAsync(lab.Lan, "br0", lab.Node2, "eth0", "p-n2", ["192.0.2.12/24", "2001:db8::12/64"], "02:00:00:00:00:12");
            await NetLab.AttachAsync(lab.Lan, "br0", lab.Client, "eth0", "p-cl", ["192.0.2.100/24", "2001:db8::100/64"], "02:00:00:00:00:64");
            await NetLab.AttachAsync(lab.Lan, "br0", lab.Squatter, "eth0", "p-sq", ["192.0.2.99/24", "192.0.2.201/24", "2001:db8::99/64", "2001:db8::201/64"], "02:00:00:00:00:99");
            await NetLab.LinkAsync(lab.Node1, "eth1", lab.Client, "eth1", ["198.51.100.11/24"], ["198.51.100.100/24"], "02:00:00:00:01:11", "02:00:00:00:01:64");
            foreach (var node in new[] { lab.Node1, lab.Node2 })
            {
                // The VIP is local on lo so the node's own echo server can take the traffic; the kernel must not
                // answer ARP for it itself (that is the responder's job): arp_ignore=1, arp_announce=2.
                await node.CheckAsync("sysctl", "-qw", "net.ipv4.conf.all.arp_ignore=1");
                await node.CheckAsync("sysctl", "-qw", "net.ipv4.conf.all.arp_announce=2");
            }
            return lab;
        }
        catch
        {
            await lab.DisposeAsync();
            throw;
        }
    }

    public static Layer2Announcer NewAnnouncer(NetNamespace ns, ITestOutputHelper? output, IMeterFactory meters, Action<Layer2AnnouncerOptions>? configure = null)
    {
        var options = new Layer2AnnouncerOptions { NetworkNamespacePath = PathOf(ns) };
        configure?.Invoke(options);
        ILogger logger = output is null ? NullLogger.Instance : new TestOutputLogger(output, ns.Name);
        return new Layer2Announcer(options, logger, TimeProvider.System, meters, new PacketPortProvider(options, logger, TimeProvider.System));
    }

    public static PeerProber NewProber(NetNamespace ns, string node, ITestOutputHelper? output, IMeterFactory meters)
    {
        var options = new PeerProberOptions { NodeName = node, Key = Key, NetworkNamespacePath = PathOf(ns), Port = 7947 };
        ILogger logger = output is null ? NullLogger.Instance : new TestOutputLogger(output, ns.Name);
        return new PeerProber(options, logger, TimeProvider.System, meters, new UdpProbeTransport(options));
    }

    public static Layer2Announcement Announce(string ip, params string[] interfaces) => new(IPAddress.Parse(ip), [.. interfaces], [new ServiceKey("default", "web")]);

    /// <summary>MACs that answered <c>arping</c> from the client (one line per reply).</summary>
    public async Task<List<string>> ArpingAsync(string ip, string iface = "eth0", int count = 3)
    {
        var result = await Client.ExecAsync(ProcessRunner.Require("arping"), "-i", iface, "-c", count.ToString(System.Globalization.CultureInfo.InvariantCulture), "-W", "0.2", "-w", "2", ip);
        return [.. ArpingReply().Matches(result.StandardOutput).Select(m => m.Groups[1].Value.ToLowerInvariant())];
    }

    /// <summary>The target link-layer address ndisc6 got from the client, or null for no response.</summary>
    public async Task<string?> Ndisc6Async(string ip, string iface = "eth0")
    {
        var result = await Client.ExecAsync(ProcessRunner.Require("ndisc6"), "-r", "2", "-w", "500", ip, iface);
        var m = Ndisc6Reply().Match(result.StandardOutput);
        return m.Success ? m.Groups[1].Value.ToLowerInvariant() : null;
    }

    /// <summary>The client's kernel neighbour entry (lladdr) for <paramref name="ip"/>, or null.</summary>
    public async Task<string?> ClientNeighbourAsync(string ip)
    {
        var output = await Client.CheckAsync("ip", "neigh", "show", ip, "dev", "eth0");
        var m = NeighbourLladdr().Match(output);
        return m.Success ? m.Groups[1].Value.ToLowerInvariant() : null;
    }

    /// <summary>Polls <paramref name="condition"/> until it holds or <paramref name="timeout"/> passes (real-network tests only).</summary>
    public static async Task<bool> WaitUntilAsync(Func<Task<bool>> condition, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        using var timer = new PeriodicTimer(TimeSpan.FromMilliseconds(20));
        while (DateTime.UtcNow < deadline)
        {
            if (await condition()) return true;
            await timer.WaitForNextTickAsync();
        }
        return await condition();
    }

    [GeneratedRegex(@"bytes from ([0-9a-fA-F:]{17})")]
    private static partial Regex ArpingReply();

    [GeneratedRegex(@"Target link-layer address: ([0-9A-Fa-f:]{17})")]
    private static partial Regex Ndisc6Reply();

    [GeneratedRegex(@"lladdr ([0-9a-f:]{17})")]
    private static partial Regex NeighbourLladdr();

    public ValueTask DisposeAsync() => Lab.DisposeAsync();
}
