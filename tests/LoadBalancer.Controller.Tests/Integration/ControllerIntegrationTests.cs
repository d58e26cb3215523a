using System.Text.Json.Nodes;
using static LoadBalancer.Controller.Tests.Integration.ControllerHarness;

namespace LoadBalancer.Controller.Tests.Integration;

/// <summary>The real controller host against the API server emulator over HTTP; results read back as a user would.</summary>
[Collection("controller-integration")]
public class ControllerIntegrationTests
{
    private const string PublicPool = """
        apiVersion: lb.baremetal.dev/v1beta1
        kind: IPAddressPool
        metadata: {name: public, namespace: loadbalancer-system}
        spec: {addresses: [203.0.113.10-203.0.113.12]}
        """;

    [Fact]
    public async Task Service_GetsIP_Annotation_Event_And_PoolStatus()
    {
        await using var h = await StartAsync();
        h.Apply(PublicPool);
        await h.StartControllerAsync("c1");
        h.Apply(ServiceYaml("web"));
        var svc = await EventuallyAsync(() => IngressIPs(h.Service("default", "web")).Count > 0 ? h.Service("default", "web") : null, "web to get an IP");
        Assert.Equal(["203.0.113.10"], IngressIPs(svc));
        Assert.Equal("VIP", svc["status"]!["loadBalancer"]!["ingress"]![0]!["ipMode"]!.GetValue<string>());
        await EventuallyAsync(() => Annotation(h.Service("default", "web"), "lb.baremetal.dev/ip-allocated-from-pool") == "public", "the pool annotation");
        await EventuallyAsync(() => h.Events("default").Any(e => e.Reason == "IPAllocated" && e.Note == "Assigned IP [\"203.0.113.10\"] from pool \"public\""), "the IPAllocated event");
        var pool = await EventuallyAsync(() => h.Pool("public") is { } p && p["status"]?["assignedIPv4"]?.GetValue<long>() == 1 ? p : null, "pool status");
        Assert.Equal(2, pool["status"]!["availableIPv4"]!.GetValue<long>());
        var valid = ((JsonArray)pool["status"]!["conditions"]!).Single(c => c!["type"]!.GetValue<string>() == "Valid")!;
        Assert.Equal("True", valid["status"]!.GetValue<string>());

        // Another class is left alone; a second Service gets the next IP; events are not repeated.
        h.Apply(ServiceYaml("foreign", extraSpec: "loadBalancerClass: example.com/other"));
        h.Apply(ServiceYaml("api"));
        await EventuallyAsync(() => IngressIPs(h.Service("default", "api")).SequenceEqual(["203.0.113.11"]), "api to get .11");
        Assert.Empty(IngressIPs(h.Service("default", "foreign")));
        Assert.Single(h.Events("default"), e => e.Reason == "IPAllocated" && e.Regarding == "Service/web");
    }

    [Fact]
    public async Task Conflicts_InvalidConfiguration_AndRequestedIPs()
    {
        await using var h = await StartAsync();
        h.Apply(PublicPool);
        h.Apply("""
            apiVersion: lb.baremetal.dev/v1beta1
            kind: IPAddressPool
            metadata: {name: overlapping, namespace: loadbalancer-system}
            spec: {addresses: [203.0.113.0/24, 198.51.100.0/33]}
            """);
        await h.StartControllerAsync("c1");
        // The controller may see the bad pool before "public" (informer order) and first report only the invalid CIDR;
        // the overlap follows once it has both. Wait for the condition that knows both pools.
        var bad = await EventuallyAsync(() => h.Pool("overlapping") is { } p && p["status"]?["conditions"] is JsonArray { Count: > 0 } conditions
            && conditions.Any(c => c!["type"]!.GetValue<string>() == "Valid" && c["message"]!.GetValue<string>().Contains("overlaps", StringComparison.Ordinal))
            ? p : null, "Valid condition on the bad pool naming the overlap");
        var cond = ((JsonArray)bad["status"]!["conditions"]!).Single(c => c!["type"]!.GetValue<string>() == "Valid")!;
        Assert.Equal("False", cond["status"]!.GetValue<string>());
        Assert.Equal("InvalidConfiguration", cond["reason"]!.GetValue<string>());
        Assert.Contains("spec.addresses[0]: 203.0.113.0/24 overlaps 203.0.113.10-203.0.113.12 of IPAddressPool \"public\"", cond["message"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Contains("spec.addresses[1]: invalid CIDR \"198.51.100.0/33\"", cond["message"]!.GetValue<string>(), StringComparison.Ordinal);
        await EventuallyAsync(() => h.Events("loadbalancer-system").Any(e => e.Reason == "InvalidConfiguration" && e.Regarding == "IPAddressPool/overlapping"), "InvalidConfiguration event");

        // The rest keeps working: Services get IPs from the valid pool.
        h.Apply(ServiceYaml("a", annotations: "lb.baremetal.dev/loadBalancerIPs: 203.0.113.12"));
        await EventuallyAsync(() => IngressIPs(h.Service("default", "a")).SequenceEqual(["203.0.113.12"]), "a to get its requested IP");
        h.Apply(ServiceYaml("b", extraSpec: "loadBalancerIP: 203.0.113.12"));
        await EventuallyAsync(() => h.Events("default").Any(e => e.Reason == "AllocationFailed" && e.Regarding == "Service/b"
            && e.Note.Contains("requested IP 203.0.113.12 is in use by default/a", StringComparison.Ordinal)), "AllocationFailed on b");
        h.Apply(ServiceYaml("c", annotations: "metallb.io/allow-shared-ip: k, metallb.io/loadBalancerIPs: 203.0.113.11"));
        h.Apply(ServiceYaml("d", ns: "kube-public", annotations: "lb.baremetal.dev/allow-shared-ip: k, lb.baremetal.dev/loadBalancerIPs: 203.0.113.11"));
        await EventuallyAsync(() => h.Events("kube-public").Any(e => e.Reason == "AllocationFailed" && e.Note.Contains("sharing conflict on TCP/80 with default/c", StringComparison.Ordinal)), "sharing conflict");
        Assert.Empty(IngressIPs(h.Service("default", "b")));
    }

    [Fact]
    public async Task PoolShrink_Delete_Release_And_Reuse()
    {
        await using var h = await StartAsync();
        h.Apply(PublicPool);
        await h.StartControllerAsync("c1");
        foreach (var n in new[] { "s1", "s2", "s3" }) h.Apply(ServiceYaml(n));
        await EventuallyAsync(() => new[] { "s1", "s2", "s3" }.All(n => IngressIPs(h.Service("default", n)).Count == 1), "three IPs");
        var before = new[] { "s1", "s2", "s3" }.ToDictionary(n => n, n => IngressIPs(h.Service("default", n))[0]);
        h.Apply(ServiceYaml("s4"));
        await EventuallyAsync(() => h.Events("default").Any(e => e.Reason == "AllocationFailed" && e.Regarding == "Service/s4" && e.Note.Contains("exhausted", StringComparison.Ordinal)), "s4 pending");

        // Shrink: .12 leaves; a new range .20 appears. Only the holder of .12 moves.
        h.Apply(PublicPool.Replace("203.0.113.10-203.0.113.12", "203.0.113.10-203.0.113.11, 203.0.113.20/32", StringComparison.Ordinal));
        var moved = before.Single(kv => kv.Value == "203.0.113.12").Key;
        await EventuallyAsync(() => IngressIPs(h.Service("default", moved)).SequenceEqual(["203.0.113.20"]), $"{moved} to move to .20");
        foreach (var (n, ip) in before.Where(kv => kv.Key != moved)) Assert.Equal([ip], IngressIPs(h.Service("default", n)));
        Assert.Contains(h.Events("default"), e => e.Reason == "IPReleased" && e.Regarding == $"Service/{moved}");

        // Deleting a Service frees its IP for the pending one; changing type releases and clears.
        h.Server.Delete("v1", "Service", "default", "s1");
        await EventuallyAsync(() => IngressIPs(h.Service("default", "s4")).SequenceEqual([before["s1"]]), "s4 to take s1's IP");
        var s2 = h.Service("default", "s2")!;
        s2["spec"]!["type"] = "ClusterIP";
        h.Server.Update(s2);
        await EventuallyAsync(() => IngressIPs(h.Service("default", "s2")).Count == 0 && Annotation(h.Service("default", "s2"), "lb.baremetal.dev/ip-allocated-from-pool") is null, "s2 cleared");
        await EventuallyAsync(() => h.Events("default").Any(e => e.Reason == "IPReleased" && e.Regarding == "Service/s2" && e.Note.Contains("no longer of type LoadBalancer", StringComparison.Ordinal)), "IPReleased on s2");

        // Deleting the pool: everyone loses the IP and stays pending with a Warning.
        h.Server.Delete("lb.baremetal.dev/v1beta1", "IPAddressPool", "loadbalancer-system", "public");
        await EventuallyAsync(() => IngressIPs(h.Service("default", "s4")).Count == 0, "s4 to lose its IP");
        await EventuallyAsync(() => h.Events("default").Any(e => e.Reason == "AllocationFailed" && e.Regarding == "Service/s4" && e.Note.Contains("no IPAddressPool is configured", StringComparison.Ordinal)), "s4 warning");
    }

    [Fact]
    public async Task LeaderFailover_StandbyTakesOver_NoIPMoves()
    {
        await using var h = await StartAsync();
        h.Apply(PublicPool);
        var a = await h.StartControllerAsync("replica-a");
        var b = await h.StartControllerAsync("replica-b");
        h.Apply(ServiceYaml("s1"));
        await EventuallyAsync(() => IngressIPs(h.Service("default", "s1")).Count == 1, "s1 assigned");
        await EventuallyAsync(() => State(a).IsLeading || State(b).IsLeading, "a leader");
        var leader = State(a).IsLeading ? a : b;
        var standby = leader == a ? b : a;
        var standbyName = standby == a ? "replica-a" : "replica-b";
        Assert.False(State(standby).IsLeading);
        var ip = IngressIPs(h.Service("default", "s1"))[0];
        await StopAsync(leader); // releases the Lease
        await EventuallyAsync(() => State(standby).IsLeading && State(standby).IsReady, "the standby to lead", 20);
        h.Apply(ServiceYaml("s2"));
        await EventuallyAsync(() => IngressIPs(h.Service("default", "s2")).Count == 1, "s2 assigned by the new leader");
        Assert.Equal([ip], IngressIPs(h.Service("default", "s1")));
        Assert.NotEqual(ip, IngressIPs(h.Service("default", "s2"))[0]);
        var lease = h.Server.Get("coordination.k8s.io/v1", "Lease", "loadbalancer-system", "loadbalancer-controller");
        Assert.Equal(standbyName, lease!["spec"]!["holderIdentity"]!.GetValue<string>());
    }

    [Fact]
    public async Task Metrics_Health_Ready_AreServed()
    {
        await using var h = await StartAsync();
        h.Apply(PublicPool);
        var host = await h.StartControllerAsync("c1", leaderElect: false);
        h.Apply(ServiceYaml("web"));
        await EventuallyAsync(() => IngressIPs(h.Service("default", "web")).Count == 1, "web assigned");
        var address = Microsoft.Extensions.DependencyInjection.ServiceProviderServiceExtensions.GetRequiredService<LoadBalancer.Controller.Hosting.HealthServer>(host.Services).Address!;
        using var http = new HttpClient { BaseAddress = address, Timeout = TimeSpan.FromSeconds(10) };
        Assert.Equal("ok\n", await http.GetStringAsync(new Uri("/healthz", UriKind.Relative)));
        await EventuallyAsync(() => State(host).IsReady, "ready");
        Assert.StartsWith("ok", await http.GetStringAsync(new Uri("/readyz", UriKind.Relative)), StringComparison.Ordinal);
        string metrics = "";
        await EventuallyAsync(() =>
        {
            metrics = http.GetStringAsync(new Uri("/metrics", UriKind.Relative)).GetAwaiter().GetResult();
            return metrics.Contains("loadbalancer_allocator_addresses_in_use_total{pool=\"public\"} 1\n", StringComparison.Ordinal);
        }, "in-use metric");
        Assert.Contains("loadbalancer_allocator_addresses_total{pool=\"public\"} 3\n", metrics, StringComparison.Ordinal);
        Assert.Contains("loadbalancer_config_stale 0\n", metrics, StringComparison.Ordinal);
        Assert.Contains("# TYPE loadbalancer_reconcile_duration_seconds histogram", metrics, StringComparison.Ordinal);
    }
}
