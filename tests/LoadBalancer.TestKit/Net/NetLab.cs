using System.Globalization;

namespace LoadBalancer.TestKit.Net;

/// <summary>
/// A throw-away network made of namespaces, all named with one per-run prefix (<c>lbt&lt;pid&gt;x&lt;n&gt;-</c>) so
/// parallel or leftover runs never collide. Only documentation ranges are used inside (192.0.2.0/24,
/// 198.51.100.0/24, 203.0.113.0/24, 2001:db8::/32). Disposing removes every namespace, daemon and veth,
/// also when the test failed.
/// </summary>
public sealed class NetLab : IAsyncDisposable
{
    private static int s_counter;
    private readonly List<NetNamespace> _namespaces = [];

    private NetLab(string prefix) => Prefix = prefix;

    public string Prefix { get; }

    /// <summary>Creates a lab; fails with a clear message when not root or when `ip` is missing.</summary>
    public static NetLab Create()
    {
        if (!Environment.IsPrivilegedProcess)
            throw new InvalidOperationException("network lab tests need root (CI runs as root)");
        ProcessRunner.Require("ip");
        var n = Interlocked.Increment(ref s_counter);
        return new NetLab(string.Create(CultureInfo.InvariantCulture, $"lbt{Environment.ProcessId % 100000}x{n}-"));
    }

    /// <summary>Adds namespace <c>prefix+name</c> with loopback up (names stay under the kernel's 15-byte interface limit where used).</summary>
    public async Task<NetNamespace> AddNamespaceAsync(string name)
    {
        var full = Prefix + name;
        await ProcessRunner.CheckAsync("ip", "netns", "add", full).ConfigureAwait(false);
        var ns = new NetNamespace(full);
        lock (_namespaces) _namespaces.Add(ns);
        await ns.CheckAsync("ip", "link", "set", "lo", "up").ConfigureAwait(false);
        return ns;
    }

    /// <summary>
    /// Connects two namespaces by a veth pair (<paramref name="ifA"/> in a, <paramref name="ifB"/> in b), both up.
    /// Addresses are given in CIDR form, e.g. "192.0.2.1/24" or "2001:db8::1/64" (IPv6 added with nodad).
    /// </summary>
    public static async Task LinkAsync(NetNamespace a, string ifA, NetNamespace b, string ifB,
        IEnumerable<string>? addressesA = null, IEnumerable<string>? addressesB = null, string? macA = null, string? macB = null)
    {
        var tmpA = "v" + Guid.NewGuid().ToString("N")[..10];
        var tmpB = "v" + Guid.NewGuid().ToString("N")[..10];
        await ProcessRunner.CheckAsync("ip", "link", "add", tmpA, "type", "veth", "peer", "name", tmpB).ConfigureAwait(false);
        await ProcessRunner.CheckAsync("ip", "link", "set", tmpA, "netns", a.Name).ConfigureAwait(false);
        await ProcessRunner.CheckAsync("ip", "link", "set", tmpB, "netns", b.Name).ConfigureAwait(false);
        await ConfigureAsync(a, tmpA, ifA, addressesA, macA).ConfigureAwait(false);
        await ConfigureAsync(b, tmpB, ifB, addressesB, macB).ConfigureAwait(false);
    }

    /// <summary>Makes a bridge <paramref name="bridge"/> (STP off) inside <paramref name="ns"/>.</summary>
    public static async Task AddBridgeAsync(NetNamespace ns, string bridge)
    {
        await ns.CheckAsync("ip", "link", "add", bridge, "type", "bridge", "stp_state", "0", "forward_delay", "0").ConfigureAwait(false);
        await ns.CheckAsync("ip", "link", "set", bridge, "up").ConfigureAwait(false);
    }

    /// <summary>Attaches <paramref name="host"/> to a bridge in <paramref name="segment"/> through a veth named <paramref name="ifName"/> on the host side.</summary>
    public static async Task AttachAsync(NetNamespace segment, string bridge, NetNamespace host, string ifName, string portName,
        IEnumerable<string>? addresses = null, string? mac = null)
    {
        await LinkAsync(host, ifName, segment, portName, addresses, null, mac).ConfigureAwait(false);
        await segment.CheckAsync("ip", "link", "set", portName, "master", bridge).ConfigureAwait(false);
    }

    private static async Task ConfigureAsync(NetNamespace ns, string tmp, string name, IEnumerable<string>? addresses, string? mac)
    {
        await ns.CheckAsync("ip", "link", "set", tmp, "name", name).ConfigureAwait(false);
        if (mac is not null) await ns.CheckAsync("ip", "link", "set", name, "address", mac).ConfigureAwait(false);
        foreach (var address in addresses ?? [])
        {
            if (address.Contains(':', StringComparison.Ordinal)) await ns.CheckAsync("ip", "-6", "addr", "add", address, "dev", name, "nodad").ConfigureAwait(false);
            else await ns.CheckAsync("ip", "addr", "add", address, "dev", name).ConfigureAwait(false);
        }
        await ns.CheckAsync("ip", "link", "set", name, "up").ConfigureAwait(false);
    }

    public async ValueTask DisposeAsync()
    {
        List<NetNamespace> all;
        lock (_namespaces) all = [.. _namespaces];
        foreach (var ns in all) await ns.DisposeAsync().ConfigureAwait(false);
    }
}
