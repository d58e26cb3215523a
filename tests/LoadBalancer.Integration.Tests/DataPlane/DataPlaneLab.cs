using System.Collections.Immutable;
using System.Net;
using LoadBalancer.Speaker.Announcing;
using LoadBalancer.Speaker.DataPlane;
using LoadBalancer.Speaker.DataPlane.Health;
using LoadBalancer.TestKit.Net;
using Microsoft.Extensions.Logging.Abstractions;

namespace LoadBalancer.Integration.Tests.DataPlane;

/// <summary>
/// The data plane lab, built once per test class:
/// <code>
///   client 192.0.2.100 (+.101), 2001:db8::100        routes 203.0.113.0/24, 2001:db8:ff::/64 via node1
///      |  br0 (lan namespace)
///   node1 192.0.2.11 / 2001:db8::11                  node2 192.0.2.12 / 2001:db8::12
///      cbr0 198.51.100.1/25, 2001:db8:1::1/64           cbr0 198.51.100.129/25, 2001:db8:2::1/64
///      pod1 .2 / ::2, pod2 .3 / ::3                      pod3 .130 / 2001:db8:2::130
/// </code>
/// host-gw routes between the nodes' pod networks. Every pod runs an <see cref="EchoServer"/> on 8080. node1's data
/// plane uses libnftables in process; node2's uses the nft CLI (the fallback), each inside its node namespace, and
/// each node has a healthCheckNodePort server in its namespace.
/// </summary>
public sealed class DataPlaneLab : IAsyncLifetime
{
    public const string Node1 = "node1";
    public const string Node2 = "node2";
    public static readonly string[] PodCidrs = ["198.51.100.0/24", "2001:db8:1::/64", "2001:db8:2::/64"];

    private readonly List<IAsyncDisposable> _servers = [];
    private NetLab? _lab;

    internal NetNamespace Client { get; private set; } = null!;
    internal NetNamespace N1 { get; private set; } = null!;
    internal NetNamespace N2 { get; private set; } = null!;
    internal NetNamespace Pod1 { get; private set; } = null!;
    internal NetNamespace Pod2 { get; private set; } = null!;
    internal NsClient ClientSockets { get; private set; } = null!;
    internal NsClient Pod1Sockets { get; private set; } = null!;
    internal NftDataPlane Plane1 { get; private set; } = null!;
    internal NftDataPlane Plane2 { get; private set; } = null!;
    internal HealthCheckServer Health1 { get; private set; } = null!;
    internal HealthCheckServer Health2 { get; private set; } = null!;

    public static EndpointSpec Pod(string ip, string node) => new(IPAddress.Parse(ip), node, null, true, true, false,
        ImmutableDictionary<string, int>.Empty.Add("http", 8080));

    public static readonly EndpointSpec P1 = Pod("198.51.100.2", Node1);
    public static readonly EndpointSpec P2 = Pod("198.51.100.3", Node1);
    public static readonly EndpointSpec P3 = Pod("198.51.100.130", Node2);
    public static readonly EndpointSpec P1v6 = Pod("2001:db8:1::2", Node1);
    public static readonly EndpointSpec P2v6 = Pod("2001:db8:1::3", Node1);
    public static readonly EndpointSpec P3v6 = Pod("2001:db8:2::130", Node2);

    public static DataPlaneService Service(string name, string[] ips, EndpointSpec[] endpoints, TrafficPolicy etp = TrafficPolicy.Cluster,
        TrafficPolicy itp = TrafficPolicy.Cluster, TimeSpan? affinity = null, string[]? ranges = null, int? hc = null, int port = 80,
        LoadBalancingMode mode = LoadBalancingMode.Random)
        => new(new ServiceKey("lab", name), [.. ips.Select(IPAddress.Parse)], [new ServicePortSpec("http", "TCP", port)], etp, itp, affinity,
            ranges is null ? [] : [.. ranges.Select(r => IPNetwork.Parse(r))], hc, false, mode, [.. endpoints]);

    /// <summary>Programs both nodes with the same Services (each from its own point of view) and waits until both are in the kernel.</summary>
    internal async Task SyncAsync(params DataPlaneService[] services)
    {
        await Plane1.SyncAsync(new DataPlaneSnapshot(Node1, null, [.. services]), CancellationToken.None).AsTask().WaitAsync(TimeSpan.FromSeconds(30));
        await Plane2.SyncAsync(new DataPlaneSnapshot(Node2, null, [.. services]), CancellationToken.None).AsTask().WaitAsync(TimeSpan.FromSeconds(30));
        Assert.True(Plane1.InSync, "node1: " + Plane1.LastError);
        Assert.True(Plane2.InSync, "node2: " + Plane2.LastError);
    }

    public async Task InitializeAsync()
    {
        _lab = NetLab.Create();
        ProcessRunner.Require("nft");
        var lan = await _lab.AddNamespaceAsync("lan");
        await NetLab.AddBridgeAsync(lan, "br0");
        Client = await _lab.AddNamespaceAsync("client");
        N1 = await _lab.AddNamespaceAsync("n1");
        N2 = await _lab.AddNamespaceAsync("n2");
        await NetLab.AttachAsync(lan, "br0", Client, "eth0", "p-client", ["192.0.2.100/24", "192.0.2.101/24", "2001:db8::100/64"]);
        await NetLab.AttachAsync(lan, "br0", N1, "eth0", "p-n1", ["192.0.2.11/24", "2001:db8::11/64"]);
        await NetLab.AttachAsync(lan, "br0", N2, "eth0", "p-n2", ["192.0.2.12/24", "2001:db8::12/64"]);
        await Client.CheckAsync("ip", "route", "add", "203.0.113.0/24", "via", "192.0.2.11");
        await Client.CheckAsync("ip", "-6", "route", "add", "2001:db8:ff::/64", "via", "2001:db8::11");

        foreach (var (node, v4, v6, otherV4, otherV6, otherNode4, otherNode6) in new[]
        {
            (N1, "198.51.100.1/25", "2001:db8:1::1/64", "198.51.100.128/25", "2001:db8:2::/64", "192.0.2.12", "2001:db8::12"),
            (N2, "198.51.100.129/25", "2001:db8:2::1/64", "198.51.100.0/25", "2001:db8:1::/64", "192.0.2.11", "2001:db8::11"),
        })
        {
            await node.CheckAsync("sysctl", "-qw", "net.ipv4.ip_forward=1");
            await node.CheckAsync("sysctl", "-qw", "net.ipv6.conf.all.forwarding=1");
            await NetLab.AddBridgeAsync(node, "cbr0");
            await node.CheckAsync("ip", "addr", "add", v4, "dev", "cbr0");
            await node.CheckAsync("ip", "-6", "addr", "add", v6, "dev", "cbr0", "nodad");
            await node.CheckAsync("ip", "route", "add", otherV4, "via", otherNode4);
            await node.CheckAsync("ip", "-6", "route", "add", otherV6, "via", otherNode6);
        }

        async Task<NetNamespace> AddPod(NetNamespace node, string name, string v4, string v6, string gw4, string gw6)
        {
            var pod = await _lab!.AddNamespaceAsync(name);
            await NetLab.AttachAsync(node, "cbr0", pod, "eth0", "v" + name, [v4, v6]);
            // As the CNI bridge plugin's hairpinMode: a pod reaching its own Service comes back through its own port.
            await node.CheckAsync("ip", "link", "set", "dev", "v" + name, "type", "bridge_slave", "hairpin", "on");
            await pod.CheckAsync("ip", "route", "add", "default", "via", gw4);
            await pod.CheckAsync("ip", "-6", "route", "add", "default", "via", gw6);
            _servers.Add(await EchoServer.StartAsync(pod, name, 8080));
            return pod;
        }
        Pod1 = await AddPod(N1, "pod1", "198.51.100.2/25", "2001:db8:1::2/64", "198.51.100.1", "2001:db8:1::1");
        Pod2 = await AddPod(N1, "pod2", "198.51.100.3/25", "2001:db8:1::3/64", "198.51.100.1", "2001:db8:1::1");
        await AddPod(N2, "pod3", "198.51.100.130/25", "2001:db8:2::130/64", "198.51.100.129", "2001:db8:2::1");

        ClientSockets = new NsClient(Client);
        Pod1Sockets = new NsClient(Pod1);
        Health1 = new HealthCheckServer(NullLogger.Instance, new HealthCheckServerOptions { NetworkNamespacePath = "/var/run/netns/" + N1.Name });
        Health2 = new HealthCheckServer(NullLogger.Instance, new HealthCheckServerOptions { NetworkNamespacePath = "/var/run/netns/" + N2.Name });
        Plane1 = CreatePlane(N1, NftBackend.LibNftables, Health1, "192.0.2.11");
        Plane2 = CreatePlane(N2, NftBackend.Cli, Health2, "192.0.2.12");
    }

    internal NftDataPlane CreatePlane(NetNamespace node, NftBackend backend, HealthCheckServer? health, string nodeIp)
    {
        var options = new NftDataPlaneOptions
        {
            Backend = backend, NetworkNamespacePath = "/var/run/netns/" + node.Name, MinSyncInterval = TimeSpan.Zero,
            CounterInterval = TimeSpan.Zero, RetryInterval = TimeSpan.FromMilliseconds(200),
        };
        foreach (var c in PodCidrs) options.PodCidrs.Add(IPNetwork.Parse(c));
        options.NodeIps.Add(IPAddress.Parse(nodeIp));
        return new NftDataPlane(NullLogger<NftDataPlane>.Instance, TimeProvider.System, new System.Diagnostics.Metrics.Meter("lab." + node.Name), options, health);
    }

    public async Task DisposeAsync()
    {
        if (Plane1 is not null) await Plane1.DisposeAsync();
        if (Plane2 is not null) await Plane2.DisposeAsync();
        if (Health1 is not null) await Health1.DisposeAsync();
        if (Health2 is not null) await Health2.DisposeAsync();
        ClientSockets?.Dispose();
        Pod1Sockets?.Dispose();
        foreach (var s in _servers) await s.DisposeAsync();
        if (_lab is not null) await _lab.DisposeAsync();
    }
}
