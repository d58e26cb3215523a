using System.Net;
using LoadBalancer.Speaker.Announcing;
using LoadBalancer.Speaker.DataPlane.Render;
using static LoadBalancer.Speaker.Tests.DataPlane.DataPlaneFixtures;

namespace LoadBalancer.Speaker.Tests.DataPlane;

/// <summary>kube-proxy's CategorizeEndpoints, as a table.</summary>
public class EndpointSelectionTests
{
    public sealed record Case(string Name, EndpointSpec[] Endpoints, bool PreferClose, string Cluster, string Local, bool HasAny)
    {
        public override string ToString() => Name;
    }

    public static TheoryData<Case> Cases() => new(
    [
        new("ready everywhere", [Ep("10.1.0.1"), Ep("10.2.0.1", "n2")], false, "10.1.0.1,10.2.0.1", "10.1.0.1", true),
        new("not ready is skipped", [Ep("10.1.0.1", ready: false), Ep("10.2.0.1", "n2")], false, "10.2.0.1", "", true),
        new("terminating used only when nothing is ready", [Ep("10.1.0.1", ready: false, terminating: true), Ep("10.2.0.1", "n2")], false, "10.2.0.1", "10.1.0.1", true),
        new("serving-terminating fallback", [Ep("10.1.0.1", ready: false, terminating: true), Ep("10.2.0.1", "n2", ready: false, terminating: true)], false, "10.1.0.1,10.2.0.1", "10.1.0.1", true),
        new("terminating and not serving is never used", [Ep("10.1.0.1", ready: false, serving: false, terminating: true)], false, "", "", false),
        new("nothing at all", [], false, "", "", false),
        new("prefer close: only this zone's hints", [Ep("10.1.0.1", hints: ["zone-a"]), Ep("10.2.0.1", "n2", hints: ["zone-b"]), Ep("10.3.0.1", "n3", hints: ["zone-a"])], true, "10.1.0.1,10.3.0.1", "10.1.0.1", true),
        new("prefer close ignored without PreferClose", [Ep("10.1.0.1", hints: ["zone-a"]), Ep("10.2.0.1", "n2", hints: ["zone-b"])], false, "10.1.0.1,10.2.0.1", "10.1.0.1", true),
        new("prefer close off when a ready endpoint lacks hints", [Ep("10.1.0.1", hints: ["zone-a"]), Ep("10.2.0.1", "n2")], true, "10.1.0.1,10.2.0.1", "10.1.0.1", true),
        new("prefer close off when no hint names our zone", [Ep("10.1.0.1", hints: ["zone-c"]), Ep("10.2.0.1", "n2", hints: ["zone-b"])], true, "10.1.0.1,10.2.0.1", "10.1.0.1", true),
    ]);

    [Theory]
    [MemberData(nameof(Cases))]
    public void Categorize(Case c)
    {
        var endpoints = c.Endpoints.Select(e => new PortEndpoint(e.Address, 8080, e)).ToList();
        var r = EndpointSelection.Categorize(endpoints, c.PreferClose, Node, "zone-a");
        Assert.Equal(c.Cluster, string.Join(',', r.Cluster.Select(e => e.Address)));
        Assert.Equal(c.Local, string.Join(',', r.Local.Select(e => e.Address)));
        Assert.Equal(c.HasAny, r.HasAny);
    }
}
