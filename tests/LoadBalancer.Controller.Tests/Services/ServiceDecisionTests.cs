using LoadBalancer.Controller.Allocation;
using LoadBalancer.Controller.Services;
using LoadBalancer.Kube.Api;
using LoadBalancer.Model.Config;
using LoadBalancer.Model.Tests.Support;

namespace LoadBalancer.Controller.Tests.Services;

public class ServiceDecisionTests
{
    private const string Pools = """
        kind: IPAddressPool
        metadata: {name: public}
        spec: {addresses: [203.0.113.10-203.0.113.12, "2001:db8::10-2001:db8::12"]}
        ---
        kind: IPAddressPool
        metadata: {name: other}
        spec: {addresses: [198.51.100.0/30], autoAssign: false}
        """;

    private static Allocator NewAllocator(string yaml = Pools)
    {
        var a = new Allocator();
        a.SetPools(ConfigBuilder.Build(YamlObjects.Resources(yaml)).Config);
        return a;
    }

    internal static V1Service Svc(string name, string ns = "default", string type = "LoadBalancer", string? cls = null,
        Dictionary<string, string>? annotations = null, string[]? status = null, string? lbIP = null, string? policy = null,
        string[]? families = null, string etp = "Cluster", Dictionary<string, string>? selector = null, string ports = "TCP/80")
        => new()
        {
            Metadata = new ObjectMeta { Name = name, Namespace = ns, Annotations = annotations },
            Spec = new ServiceSpec
            {
                Type = type,
                LoadBalancerClass = cls,
                LoadBalancerIP = lbIP,
                IpFamilyPolicy = policy,
                IpFamilies = families is null ? ["IPv4"] : [.. families],
                ExternalTrafficPolicy = etp,
                Selector = selector,
                Ports = [.. ports.Split(',').Select(p => new ServicePort { Protocol = p.Split('/')[0], Port = int.Parse(p.Split('/')[1], System.Globalization.CultureInfo.InvariantCulture) })],
            },
            Status = status is null ? null : new ServiceStatus { LoadBalancer = new LoadBalancerStatus { Ingress = [.. status.Select(ip => new LoadBalancerIngress { Ip = ip, IpMode = "VIP" })] } },
        };

    /// <summary>Applies the outcome like the shell would, so a second decision sees the written state.</summary>
    internal static V1Service Apply(V1Service svc, ServiceOutcome o)
    {
        if (o.WriteStatus) svc.Status = new ServiceStatus { LoadBalancer = new LoadBalancerStatus { Ingress = [.. o.DesiredIngress] } };
        if (o.WriteAnnotation)
        {
            svc.Metadata.Annotations ??= [];
            if (o.DesiredPool is null) svc.Metadata.Annotations.Remove("lb.baremetal.dev/ip-allocated-from-pool");
            else svc.Metadata.Annotations["lb.baremetal.dev/ip-allocated-from-pool"] = o.DesiredPool;
        }
        return svc;
    }

    private static string Ingress(ServiceOutcome o) => string.Join(",", o.DesiredIngress.Select(i => $"{i.Ip}/{i.IpMode}"));
    private static string Events(ServiceOutcome o) => string.Join(" | ", o.Events.Select(e => $"{e.Type} {e.Reason}: {e.Message}"));

    [Fact]
    public void NewService_GetsTheFirstIP_StatusAnnotationAndEvent()
    {
        var a = NewAllocator();
        var svc = Svc("web");
        var o = ServiceDecision.Decide("default/web", svc, a);
        Assert.Equal("203.0.113.10/VIP", Ingress(o));
        Assert.True(o.WriteStatus);
        Assert.Equal("public", o.DesiredPool);
        Assert.True(o.WriteAnnotation);
        Assert.Equal("Normal IPAllocated: Assigned IP [\"203.0.113.10\"] from pool \"public\"", Events(o));
        // Second pass over the written object: nothing to write, no event.
        var again = ServiceDecision.Decide("default/web", Apply(svc, o), a);
        Assert.False(again.WriteStatus);
        Assert.False(again.WriteAnnotation);
        Assert.Empty(again.Events);
    }

    [Fact]
    public void Restart_RebuildsFromStatus_MovesNoIP()
    {
        var a = NewAllocator();
        // A fresh allocator (restart) sees Services that already hold .12 and .11: they keep them, and a new one gets .10.
        var o1 = ServiceDecision.Decide("default/a", Svc("a", status: ["203.0.113.12"], annotations: new() { ["lb.baremetal.dev/ip-allocated-from-pool"] = "public" }), a);
        Assert.Equal("203.0.113.12/VIP", Ingress(o1));
        Assert.False(o1.WriteStatus);
        Assert.False(o1.WriteAnnotation);
        Assert.Empty(o1.Events);
        var o2 = ServiceDecision.Decide("default/b", Svc("b", status: ["203.0.113.11"]), a);
        Assert.Equal("203.0.113.11/VIP", Ingress(o2));
        Assert.True(o2.WriteAnnotation); // the annotation was missing
        Assert.Equal("203.0.113.10/VIP", Ingress(ServiceDecision.Decide("default/c", Svc("c"), a)));
    }

    [Fact]
    public void RequestedIPs_Annotation_Legacy_And_Conflicts()
    {
        var a = NewAllocator();
        var o = ServiceDecision.Decide("default/x", Svc("x", annotations: new() { ["metallb.universe.tf/loadBalancerIPs"] = "203.0.113.12" }), a);
        Assert.Equal("203.0.113.12/VIP", Ingress(o));
        var y = ServiceDecision.Decide("default/y", Svc("y", lbIP: "203.0.113.12"), a);
        Assert.Equal("", Ingress(y));
        Assert.Equal("Warning AllocationFailed: Failed to allocate IP for \"default/y\": requested IP 203.0.113.12 is in use by default/x (which does not allow sharing)", Events(y));
        var z = ServiceDecision.Decide("default/z", Svc("z", lbIP: "203.0.113.10", annotations: new() { ["lb.baremetal.dev/loadBalancerIPs"] = "203.0.113.11" }), a);
        Assert.Equal("203.0.113.11/VIP", Ingress(z));
        Assert.Contains("Warning LoadBalancerIPIgnored: spec.loadBalancerIP 203.0.113.10 disagrees with annotation lb.baremetal.dev/loadBalancerIPs=203.0.113.11; using the annotation", Events(z), StringComparison.Ordinal);
        var bad = ServiceDecision.Decide("default/bad", Svc("bad", annotations: new() { ["metallb.io/loadBalancerIPs"] = "203.0.113.300" }), a);
        Assert.Equal("Warning AllocationFailed: Failed to allocate IP for \"default/bad\": invalid IP \"203.0.113.300\" in annotation metallb.io/loadBalancerIPs", Events(bad));
        var outside = ServiceDecision.Decide("default/out", Svc("out", lbIP: "192.0.2.1"), a);
        Assert.Contains("192.0.2.1 is not in any IPAddressPool", Events(outside), StringComparison.Ordinal);
    }

    [Fact]
    public void ChangingTheRequestedIP_ReleasesAndReassigns()
    {
        var a = NewAllocator();
        var svc = Svc("x", annotations: new() { ["lb.baremetal.dev/loadBalancerIPs"] = "203.0.113.12" });
        svc = Apply(svc, ServiceDecision.Decide("default/x", svc, a));
        svc.Metadata.Annotations!["lb.baremetal.dev/loadBalancerIPs"] = "203.0.113.11";
        var o = ServiceDecision.Decide("default/x", svc, a);
        Assert.Equal("203.0.113.11/VIP", Ingress(o));
        Assert.Equal("Normal IPReleased: Released IP [\"203.0.113.12\"]: the requested IPs changed | Normal IPAllocated: Assigned IP [\"203.0.113.11\"] from pool \"public\"", Events(o));
        Assert.Equal(SyncResult.ReprocessAll, o.Sync);
    }

    [Fact]
    public void PoolAnnotation_AndPoolChange()
    {
        var a = NewAllocator();
        var svc = Svc("x", annotations: new() { ["metallb.io/address-pool"] = "other" });
        var o = ServiceDecision.Decide("default/x", svc, a);
        Assert.Equal("198.51.100.0/VIP", Ingress(o));
        Assert.Equal("other", o.DesiredPool);
        svc = Apply(svc, o);
        svc.Metadata.Annotations!["metallb.io/address-pool"] = "public";
        var moved = ServiceDecision.Decide("default/x", svc, a);
        Assert.Equal("203.0.113.10/VIP", Ingress(moved));
        Assert.Contains("the address-pool annotation now asks for pool \"public\"", Events(moved), StringComparison.Ordinal);
    }

    [Fact]
    public void NotLoadBalancerAnymore_ReleasesAndClears()
    {
        var a = NewAllocator();
        var svc = Apply(Svc("x"), ServiceDecision.Decide("default/x", Svc("x"), a));
        svc.Spec!.Type = "ClusterIP";
        var o = ServiceDecision.Decide("default/x", svc, a);
        Assert.False(o.Owned);
        Assert.True(o.WriteStatus);
        Assert.Empty(o.DesiredIngress);
        Assert.True(o.WriteAnnotation);
        Assert.Null(o.DesiredPool);
        Assert.Equal("Normal IPReleased: Released IP [\"203.0.113.10\"]: the Service is no longer of type LoadBalancer", Events(o));
        Assert.Equal(SyncResult.ReprocessAll, o.Sync);
        Assert.Null(a.GetAssignment("default/x"));
    }

    [Fact]
    public void OtherClass_IsLeftAlone_OurClassIsOurs()
    {
        var a = NewAllocator();
        var other = ServiceDecision.Decide("default/x", Svc("x", cls: "example.com/other"), a);
        Assert.False(other.Owned);
        Assert.False(other.WriteStatus);
        Assert.Empty(other.Events);
        var ours = ServiceDecision.Decide("default/y", Svc("y", cls: "lb.baremetal.dev/loadbalancer"), a);
        Assert.Equal("203.0.113.10/VIP", Ingress(ours));
        var custom = ServiceDecision.Decide("default/z", Svc("z", cls: "custom"), a, loadBalancerClass: "custom");
        Assert.True(custom.Owned);
        // Changing the class of a Service we served releases it and clears what we wrote.
        var y = Apply(Svc("y", cls: "lb.baremetal.dev/loadbalancer"), ours);
        y.Spec!.LoadBalancerClass = "example.com/other";
        var released = ServiceDecision.Decide("default/y", y, a);
        Assert.True(released.WriteStatus);
        Assert.Contains("loadBalancerClass is \"example.com/other\"", Events(released), StringComparison.Ordinal);
    }

    [Fact]
    public void Deleted_FreesTheIP_ForPendingServices()
    {
        var a = NewAllocator("""
            kind: IPAddressPool
            metadata: {name: one}
            spec: {addresses: [203.0.113.10/32]}
            """);
        Assert.Equal("203.0.113.10/VIP", Ingress(ServiceDecision.Decide("default/a", Svc("a"), a)));
        var pending = ServiceDecision.Decide("default/b", Svc("b"), a);
        Assert.Equal("Warning AllocationFailed: Failed to allocate IP for \"default/b\": no available IPs: pool \"one\" exhausted", Events(pending));
        var deleted = ServiceDecision.Decide("default/a", null, a);
        Assert.Equal(SyncResult.ReprocessAll, deleted.Sync);
        Assert.Equal("203.0.113.10/VIP", Ingress(ServiceDecision.Decide("default/b", Svc("b"), a)));
    }

    [Fact]
    public void PoolShrink_MovesOnlyTheServiceWhoseIPLeft()
    {
        var a = NewAllocator();
        var x = Apply(Svc("x"), ServiceDecision.Decide("default/x", Svc("x"), a)); // .10
        var y = Apply(Svc("y"), ServiceDecision.Decide("default/y", Svc("y"), a)); // .11
        var evicted = a.SetPools(ConfigBuilder.Build(YamlObjects.Resources(Pools.Replace("203.0.113.10-203.0.113.12", "203.0.113.11-203.0.113.13", StringComparison.Ordinal))).Config);
        Assert.Equal("default/x", Assert.Single(evicted).Service);
        var oy = ServiceDecision.Decide("default/y", y, a);
        Assert.False(oy.WriteStatus);
        Assert.Empty(oy.Events);
        var ox = ServiceDecision.Decide("default/x", x, a);
        Assert.Equal("203.0.113.12/VIP", Ingress(ox));
        Assert.Equal("Normal IPReleased: Released IP [\"203.0.113.10\"]: 203.0.113.10 is not in any IPAddressPool | Normal IPAllocated: Assigned IP [\"203.0.113.12\"] from pool \"public\"", Events(ox));
    }

    [Fact]
    public void DualStack_And_FamilyChanges()
    {
        var a = NewAllocator();
        var d = ServiceDecision.Decide("default/d", Svc("d", policy: "RequireDualStack", families: ["IPv6", "IPv4"]), a);
        Assert.Equal("2001:db8::10/VIP,203.0.113.10/VIP", Ingress(d));
        var svc = Apply(Svc("d", policy: "RequireDualStack", families: ["IPv6", "IPv4"]), d);
        svc.Spec!.IpFamilyPolicy = "SingleStack";
        svc.Spec.IpFamilies = ["IPv6"];
        var single = ServiceDecision.Decide("default/d", svc, a);
        Assert.Equal("2001:db8::10/VIP", Ingress(single));
        Assert.Contains("the Service is now IPv6 single-stack", Events(single), StringComparison.Ordinal);
        var six = ServiceDecision.Decide("default/six", Svc("six", annotations: new() { ["lb.baremetal.dev/loadBalancerIPs"] = "2001:db8::12" }), a);
        Assert.Contains("family mismatch: 2001:db8::12 is IPv6 but the Service is IPv4 single-stack", Events(six), StringComparison.Ordinal);
    }

    [Fact]
    public void Sharing_ViaAnnotation_AcrossNamespaces_AndKeyChangeReprocesses()
    {
        var a = NewAllocator();
        var s1 = ServiceDecision.Decide("a/s1", Svc("s1", ns: "a", annotations: new() { ["lb.baremetal.dev/allow-shared-ip"] = "k" }, ports: "TCP/80"), a);
        var s2 = ServiceDecision.Decide("b/s2", Svc("s2", ns: "b", annotations: new() { ["metallb.io/allow-shared-ip"] = "k" }, ports: "TCP/443"), a);
        Assert.Equal(Ingress(s1), Ingress(s2));
        var s3 = ServiceDecision.Decide("c/s3", Svc("s3", ns: "c", annotations: new() { ["lb.baremetal.dev/allow-shared-ip"] = "k", ["lb.baremetal.dev/loadBalancerIPs"] = "203.0.113.10" }, ports: "TCP/80"), a);
        Assert.Contains("sharing conflict on TCP/80 with a/s1 at 203.0.113.10", Events(s3), StringComparison.Ordinal);
        var s1b = Apply(Svc("s1", ns: "a", annotations: new() { ["lb.baremetal.dev/allow-shared-ip"] = "k" }), s1);
        s1b.Metadata.Annotations!["lb.baremetal.dev/allow-shared-ip"] = "k2";
        var changed = ServiceDecision.Decide("a/s1", s1b, a);
        // s1 can't keep an IP shared with s2 under another key: it is released and gets a new one; others get a second look.
        Assert.Equal(SyncResult.ReprocessAll, changed.Sync);
        Assert.Equal("203.0.113.11/VIP", Ingress(changed));
    }
}
