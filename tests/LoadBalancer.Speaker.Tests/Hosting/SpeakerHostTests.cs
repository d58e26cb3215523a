using System.Text.Json.Nodes;
using LoadBalancer.Speaker.Announcing;
using static LoadBalancer.Speaker.Tests.Hosting.SpeakerCluster;

namespace LoadBalancer.Speaker.Tests.Hosting;

/// <summary>
/// Three speaker hosts in-process against the API server emulator, with recording back ends. Real time, short Leases,
/// every wait bounded (the hosts talk HTTP to the emulator and run their own timers).
/// </summary>
[Collection("speaker-hosts")]
public class SpeakerHostTests
{
    private const string Pool = """
        apiVersion: lb.baremetal.dev/v1beta1
        kind: IPAddressPool
        metadata: { name: public, namespace: loadbalancer-system }
        spec: { addresses: ["203.0.113.0/24"] }
        """;

    private const string L2 = Pool + """

        ---
        apiVersion: lb.baremetal.dev/v1beta1
        kind: L2Advertisement
        metadata: { name: all, namespace: loadbalancer-system }
        spec: {}
        """;

    private const string Bgp = Pool + """

        ---
        apiVersion: lb.baremetal.dev/v1beta1
        kind: BGPPeer
        metadata: { name: router, namespace: loadbalancer-system }
        spec: { myASN: 64500, peerASN: 64501, peerAddress: 192.0.2.1 }
        ---
        apiVersion: lb.baremetal.dev/v1beta1
        kind: BGPAdvertisement
        metadata: { name: all, namespace: loadbalancer-system }
        spec: {}
        """;

    private static readonly string[] Nodes = ["n1", "n2", "n3"];

    private static string Service(string name, string policy) => $$"""
        apiVersion: v1
        kind: Service
        metadata: { name: {{name}}, namespace: default, labels: { app: {{name}} } }
        spec:
          type: LoadBalancer
          externalTrafficPolicy: {{policy}}
          selector: { app: {{name}} }
          ports: [{ name: http, port: 80, protocol: TCP, targetPort: 8080 }]
        """;

    private static string Slice(string service, params string[] readyNodes) => $$"""
        apiVersion: discovery.k8s.io/v1
        kind: EndpointSlice
        metadata: { name: {{service}}-abc, namespace: default, labels: { kubernetes.io/service-name: {{service}} } }
        addressType: IPv4
        ports: [{ name: http, port: 8080, protocol: TCP }]
        endpoints: [{{string.Join(", ", readyNodes.Select((n, i) => $"{{ addresses: [\"10.0.0.{i + 1}\"], nodeName: {n}, conditions: {{ ready: true }} }}"))}}]
        """;

    private static bool Announces(SpeakerNode s, string ip) => s.Bgp.Routes.Any(r => r.Prefix.BaseAddress.ToString() == ip);

    /// <summary>Exactly <paramref name="count"/> ServiceAnnouncements, each with its status written (created first, status patched after).</summary>
    private static bool HasAnnouncements(SpeakerCluster c, int count)
    {
        var all = c.Announcements();
        return all.Count == count && all.All(a => a["status"]?["node"] is not null);
    }

    private static bool OwnsL2(SpeakerNode s, string ip) => s.Layer2.Current.Any(a => a.Ip.ToString() == ip);

    private static string[] EventLines(SpeakerCluster c) => [.. c.Events()
        .Where(e => (string?)e["regarding"]?["name"] == "web")
        .OrderBy(e => (string?)e["eventTime"], StringComparer.Ordinal)
        .Select(e => $"{e["reason"]}: {e["note"]}")];

    [Fact]
    public async Task Local_follows_endpoints_node_by_node_with_status_and_events()
    {
        await using var c = await StartAsync(Bgp, null, Nodes);
        c.Server.ApplyYaml(Service("web", "Local"));
        c.Server.ApplyYaml(Slice("web", "n1"));
        c.SetServiceIp("default", "web", "203.0.113.10");

        await WaitForAsync(() => Announces(c["n1"], "203.0.113.10") && !Announces(c["n2"], "203.0.113.10") && !Announces(c["n3"], "203.0.113.10"), "only n1 announces");
        await WaitForAsync(() => HasAnnouncements(c, 1), "one ServiceAnnouncement");
        var sa = Assert.Single(c.Announcements());
        Assert.Equal("n1", (string?)sa["status"]?["node"]);
        Assert.Equal("bgp", (string?)sa["status"]?["protocol"]);
        Assert.Equal("default/web", (string?)sa["status"]?["service"]);
        Assert.Equal("router", (string?)sa["status"]?["peers"]?[0]);

        // The endpoint moves to n2: n2 announces, n1 withdraws.
        c.Server.ApplyYaml(Slice("web", "n2"));
        await WaitForAsync(() => Announces(c["n2"], "203.0.113.10") && !Announces(c["n1"], "203.0.113.10"), "n2 announces and n1 withdraws");
        await WaitForAsync(() => c.Announcements().Count == 1 && (string?)c.Announcements()[0]["status"]?["node"] == "n2", "the ServiceAnnouncement moved to n2");

        // Endpoints on n2 and n3: both announce.
        c.Server.ApplyYaml(Slice("web", "n2", "n3"));
        await WaitForAsync(() => Announces(c["n2"], "203.0.113.10") && Announces(c["n3"], "203.0.113.10") && !Announces(c["n1"], "203.0.113.10"), "n2 and n3 announce");
        await WaitForAsync(() => HasAnnouncements(c, 2), "two ServiceAnnouncements");

        await WaitForAsync(() => EventLines(c).Length >= 4, "four events");
        var events = EventLines(c);
        Assert.Contains("Announced: announcing from node \"n1\": 203.0.113.10 with protocol \"bgp\" to peers router", events);
        Assert.Contains("Withdrawn: node \"n1\" stopped announcing 203.0.113.10: noLocalEndpoints", events);
        Assert.Contains("Announced: announcing from node \"n2\": 203.0.113.10 with protocol \"bgp\" to peers router", events);
        Assert.Contains("Announced: announcing from node \"n3\": 203.0.113.10 with protocol \"bgp\" to peers router", events);
        Assert.Equal(4, events.Length);
    }

    [Fact]
    public async Task Cluster_announces_from_all_nodes_and_withdraws_without_endpoints()
    {
        await using var c = await StartAsync(Bgp, null, Nodes);
        c.Server.ApplyYaml(Service("web", "Cluster"));
        c.Server.ApplyYaml(Slice("web", "n1"));
        c.SetServiceIp("default", "web", "203.0.113.20");
        await WaitForAsync(() => c.Speakers.All(s => Announces(s, "203.0.113.20")), "every node announces");
        await WaitForAsync(() => HasAnnouncements(c, 3), "three ServiceAnnouncements");
        Assert.All(c.Speakers, s => Assert.Equal("router", Assert.Single(s.Bgp.Peers).Name));

        c.Server.ApplyYaml(Slice("web"));
        await WaitForAsync(() => c.Speakers.All(s => !Announces(s, "203.0.113.20")), "every node withdraws");
        await WaitForAsync(() => c.Announcements().Count == 0, "no ServiceAnnouncement");
        await WaitForAsync(() => EventLines(c).Count(l => l.Contains("noEndpoints", StringComparison.Ordinal)) == 3, "three Withdrawn(noEndpoints)");
    }

    [Fact]
    public async Task Layer2_has_exactly_one_owner_per_ip()
    {
        await using var c = await StartAsync(L2, null, Nodes);
        for (var i = 0; i < 6; i++)
        {
            c.Server.ApplyYaml(Service($"s{i}", "Cluster"));
            c.Server.ApplyYaml(Slice($"s{i}", "n1"));
            c.SetServiceIp("default", $"s{i}", $"203.0.113.{30 + i}");
        }
        var ips = Enumerable.Range(30, 6).Select(i => $"203.0.113.{i}").ToArray();
        await WaitForAsync(() => ips.All(ip => c.Speakers.Count(s => OwnsL2(s, ip)) == 1), "one owner per IP");
        await WaitForAsync(() => HasAnnouncements(c, 6), () => "six ServiceAnnouncements: "
            + string.Join(" ", c.Announcements().Select(a => (string?)a["metadata"]?["name"])) + " owners: " + string.Join(" ", c.Speakers.Select(s => s.Name + "=" + string.Join(",", s.Layer2.Current.Select(x => x.Ip)))));
        Assert.All(c.Announcements(), a => Assert.Equal("layer2", (string?)a["status"]?["protocol"]));
        // Owners agree with the election every speaker computes.
        foreach (var ip in ips)
        {
            var expected = LoadBalancer.Speaker.Planning.Layer2Election.Owner(Nodes, System.Net.IPAddress.Parse(ip));
            Assert.True(OwnsL2(c[expected!], ip), $"{ip} should be owned by {expected}");
        }
    }

    [Fact]
    public async Task Killed_speaker_ips_move_after_its_lease_expires()
    {
        var lease = TimeSpan.FromSeconds(2);
        await using var c = await StartAsync(L2, lease, Nodes);
        c.Server.ApplyYaml(Service("web", "Cluster"));
        c.Server.ApplyYaml(Slice("web", "n1"));
        const string ip = "203.0.113.10"; // elected owner among n1..n3: n3 (see Layer2ElectionTests)
        c.SetServiceIp("default", "web", ip);
        await WaitForAsync(() => OwnsL2(c["n3"], ip), "n3 owns the IP");

        var killedAt = DateTimeOffset.UtcNow;
        await c["n3"].KillAsync();
        // The Lease is still there: nobody takes over before it expires.
        await WaitForAsync(() => c.Speakers.Where(s => !s.Disposed).Any(s => OwnsL2(s, ip)), "a survivor owns the IP", TimeSpan.FromSeconds(15));
        var newOwner = c.Speakers.Single(s => !s.Disposed && OwnsL2(s, ip));
        var takenAt = newOwner.Layer2.HistorySnapshot().First(h => h.At >= killedAt && h.Desired.Any(a => a.Ip.ToString() == ip)).At;

        // A crash leaves the Lease in place (only a clean stop deletes it).
        var held = c.Server.Get("coordination.k8s.io/v1", "Lease", Ns, "speaker-n3");
        Assert.NotNull(held);
        Assert.Equal("n3", (string?)held["spec"]?["holderIdentity"]);
        // Its last renewal was stamped (same clock as this test) before the write, so before any survivor saw it: the
        // survivors' expiry, counted from when they saw it, cannot come before renewTime + duration.
        var lastRenew = DateTimeOffset.Parse((string)held["spec"]!["renewTime"]!, System.Globalization.CultureInfo.InvariantCulture);
        Assert.True(takenAt >= lastRenew + lease,
            $"took over {(takenAt - lastRenew).TotalMilliseconds:F0} ms after n3's last renewal (killed {(takenAt - killedAt).TotalMilliseconds:F0} ms before), before its Lease ({lease.TotalSeconds}s) could expire");
        Assert.True(takenAt - lastRenew < lease + TimeSpan.FromSeconds(5), $"took over only {(takenAt - lastRenew).TotalMilliseconds:F0} ms after n3's last renewal");
        Assert.Equal(LoadBalancer.Speaker.Planning.Layer2Election.Owner(["n1", "n2"], System.Net.IPAddress.Parse(ip)), newOwner.Name);
        // Never two survivors answering for the IP at once (split brain), at any moment of the handover.
        Assert.Equal(1, MaxSimultaneousOwners(c.Speakers.Where(s => !s.Disposed), ip));
        // The crashed node's ServiceAnnouncement is collected by a live speaker.
        await WaitForAsync(() => c.Announcements().Count == 1 && (string?)c.Announcements()[0]["status"]?["node"] == newOwner.Name,
            "only the new owner's ServiceAnnouncement", TimeSpan.FromSeconds(20));
        Assert.Equal(1, MaxSimultaneousOwners(c.Speakers.Where(s => !s.Disposed), ip));
    }

    /// <summary>Replays the recorded Layer 2 histories in time order: the most speakers owning <paramref name="ip"/> at one moment.</summary>
    private static int MaxSimultaneousOwners(IEnumerable<SpeakerNode> speakers, string ip)
    {
        var changes = speakers
            .SelectMany(s => s.Layer2.HistorySnapshot().Select(h => (h.At, s.Name, Owns: h.Desired.Any(a => a.Ip.ToString() == ip))))
            .OrderBy(h => h.At).ToList();
        var owners = new HashSet<string>(StringComparer.Ordinal);
        var max = 0;
        foreach (var (_, name, owns) in changes)
        {
            if (owns) owners.Add(name);
            else owners.Remove(name);
            max = Math.Max(max, owners.Count);
        }
        return max;
    }

    [Fact]
    public async Task Stopped_speaker_hands_over_at_once()
    {
        // A Lease of 60 s: a takeover within the wait below can only come from the clean release, not from expiry.
        await using var c = await StartAsync(L2, TimeSpan.FromSeconds(60), Nodes);
        c.Server.ApplyYaml(Service("web", "Cluster"));
        c.Server.ApplyYaml(Slice("web", "n1"));
        const string ip = "203.0.113.10";
        c.SetServiceIp("default", "web", ip);
        await WaitForAsync(() => OwnsL2(c["n3"], ip), "n3 owns the IP");
        await WaitForAsync(() => HasAnnouncements(c, 1), "one ServiceAnnouncement");

        var stopping = c["n3"];
        await stopping.StopAsync();
        Assert.Empty(stopping.Layer2.Current);
        Assert.Equal("speaker stopping", stopping.Bgp.ShutdownMessage);
        Assert.Null(c.Server.Get("coordination.k8s.io/v1", "Lease", Ns, "speaker-n3"));
        await WaitForAsync(() => c.Speakers.Where(s => !s.Disposed).Count(s => OwnsL2(s, ip)) == 1, "a survivor took over", TimeSpan.FromSeconds(10));
        await WaitForAsync(() => c.Announcements().Count == 1 && (string?)c.Announcements()[0]["status"]?["node"] != "n3", "the ServiceAnnouncement moved");
        await WaitForAsync(() => EventLines(c).Any(l => l.StartsWith("Withdrawn: node \"n3\"", StringComparison.Ordinal)), "n3's Withdrawn event");
        Assert.Contains("Withdrawn: node \"n3\" stopped announcing 203.0.113.10: nodeExcluded", EventLines(c));
    }
}

[CollectionDefinition("speaker-hosts", DisableParallelization = true)]
public class SpeakerHostsCollection;
