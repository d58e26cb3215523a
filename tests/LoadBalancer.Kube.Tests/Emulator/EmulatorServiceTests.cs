using System.Net;
using System.Text.Json.Nodes;
using LoadBalancer.TestKit.ApiServer;

namespace LoadBalancer.Kube.Tests.Emulator;

public sealed class EmulatorServiceTests : EmulatorTest
{
    protected override KubeApiServerOptions Options => new KubeApiServerOptions { ServiceCidr = "10.96.0.0/24", NodePortRange = (30000, 30009) };

    private const string Services = "/api/v1/namespaces/default/services";

    [Fact]
    public async Task ClusterIP_service_gets_the_realServers_defaults()
    {
        var svc = await Api.CreateAsync(Services, RawApi.Service("plain"));
        var spec = svc["spec"]!;
        Assert.Equal("ClusterIP", spec["type"]!.GetValue<string>());
        Assert.StartsWith("10.96.0.", spec["clusterIP"]!.GetValue<string>());
        Assert.Equal($"[\"{spec["clusterIP"]}\"]", spec["clusterIPs"]!.ToJsonString());
        Assert.Equal("""["IPv4"]""", spec["ipFamilies"]!.ToJsonString());
        Assert.Equal("SingleStack", spec["ipFamilyPolicy"]!.GetValue<string>());
        Assert.Equal("None", spec["sessionAffinity"]!.GetValue<string>());
        Assert.Equal("Cluster", spec["internalTrafficPolicy"]!.GetValue<string>());
        Assert.Null(spec["externalTrafficPolicy"]);
        Assert.Equal("TCP", spec["ports"]![0]!["protocol"]!.GetValue<string>());
        Assert.Equal(80, spec["ports"]![0]!["targetPort"]!.GetValue<int>());
        Assert.Null(spec["ports"]![0]!["nodePort"]);
        Assert.Equal("""{"loadBalancer":{}}""", svc["status"]!.ToJsonString());
    }

    [Fact]
    public async Task LoadBalancer_service_gets_nodePorts_and_Local_gets_a_healthCheckNodePort()
    {
        var lb = RawApi.Service("lb", type: "LoadBalancer", ports: [80, 443]);
        lb["spec"]!["externalTrafficPolicy"] = "Local";
        var svc = await Api.CreateAsync(Services, lb);
        var spec = svc["spec"]!;
        var nodePorts = spec["ports"]!.AsArray().Select(p => p!["nodePort"]!.GetValue<int>()).ToList();
        Assert.All(nodePorts, p => Assert.InRange(p, 30000, 30009));
        var hc = spec["healthCheckNodePort"]!.GetValue<int>();
        Assert.InRange(hc, 30000, 30009);
        Assert.Equal(3, nodePorts.Append(hc).Distinct().Count());
        Assert.Equal("Local", spec["externalTrafficPolicy"]!.GetValue<string>());
        Assert.True(spec["allocateLoadBalancerNodePorts"]!.GetValue<bool>());

        var cluster = await Api.CreateAsync(Services, RawApi.Service("lb2", type: "LoadBalancer"));
        Assert.Equal("Cluster", cluster["spec"]!["externalTrafficPolicy"]!.GetValue<string>());
        Assert.Null(cluster["spec"]!["healthCheckNodePort"]);
    }

    [Fact]
    public async Task Allocations_survive_updates_that_leave_them_out_and_are_freed_on_delete()
    {
        var svc = await Api.CreateAsync(Services, RawApi.Service("keep", type: "NodePort"));
        var ip = svc["spec"]!["clusterIP"]!.GetValue<string>();
        var nodePort = svc["spec"]!["ports"]![0]!["nodePort"]!.GetValue<int>();
        var put = RawApi.Service("keep", type: "NodePort");
        put["metadata"]!["resourceVersion"] = svc["metadata"]!["resourceVersion"]!.GetValue<string>();
        var updated = await Api.PutAsync(Services + "/keep", put);
        Assert.Equal(HttpStatusCode.OK, updated.Code);
        Assert.Equal(ip, updated.Object["spec"]!["clusterIP"]!.GetValue<string>());
        Assert.Equal(nodePort, updated.Object["spec"]!["ports"]![0]!["nodePort"]!.GetValue<int>());

        var change = (JsonObject)updated.Object.DeepClone();
        change["spec"]!["clusterIP"] = "10.96.0.200";
        change["spec"]!["clusterIPs"] = new JsonArray("10.96.0.200");
        (await Api.PutAsync(Services + "/keep", change)).AssertStatus(422, "Invalid");

        await Api.DeleteAsync(Services + "/keep");
        var again = RawApi.Service("again", type: "NodePort");
        again["spec"]!["clusterIP"] = ip;
        again["spec"]!["ports"]![0]!["nodePort"] = nodePort;
        await Api.CreateAsync(Services, again);
    }

    [Fact]
    public async Task Taken_or_out_of_range_addresses_and_ports_are_422()
    {
        var first = await Api.CreateAsync(Services, RawApi.Service("first", type: "NodePort"));
        var taken = RawApi.Service("taken");
        taken["spec"]!["clusterIP"] = first["spec"]!["clusterIP"]!.GetValue<string>();
        var r = (await Api.PostAsync(Services, taken)).AssertStatus(422, "Invalid");
        Assert.Contains("provided IP is already allocated", r.Object["message"]!.GetValue<string>());
        var outside = RawApi.Service("outside");
        outside["spec"]!["clusterIP"] = "192.0.2.1";
        (await Api.PostAsync(Services, outside)).AssertStatus(422, "Invalid");
        var port = RawApi.Service("port", type: "NodePort");
        port["spec"]!["ports"]![0]!["nodePort"] = 31000;
        (await Api.PostAsync(Services, port)).AssertStatus(422, "Invalid");
        var badPort = RawApi.Service("badport", ports: [0]);
        var bp = (await Api.PostAsync(Services, badPort)).AssertStatus(422, "Invalid");
        Assert.Equal("spec.ports[0].port", bp.Object["details"]!["causes"]![0]!["field"]!.GetValue<string>());
        Assert.Equal("Service", bp.Object["details"]!["kind"]!.GetValue<string>());
    }

    [Fact]
    public async Task Node_port_range_exhaustion_is_reported()
    {
        for (var i = 0; i < 10; i++) await Api.CreateAsync(Services, RawApi.Service("np" + i, type: "NodePort"));
        var r = await Api.PostAsync(Services, RawApi.Service("np10", type: "NodePort"));
        Assert.Equal(HttpStatusCode.InternalServerError, r.Code);
        Assert.Contains("range is full", r.Object["message"]!.GetValue<string>());
    }

    [Fact]
    public async Task Dual_stack_and_headless_services()
    {
        var dual = RawApi.Service("dual");
        dual["spec"]!["ipFamilyPolicy"] = "PreferDualStack";
        var d = await Api.CreateAsync(Services, dual);
        Assert.Equal("""["IPv4","IPv6"]""", d["spec"]!["ipFamilies"]!.ToJsonString());
        Assert.Equal(2, d["spec"]!["clusterIPs"]!.AsArray().Count);
        Assert.Contains(':', d["spec"]!["clusterIPs"]![1]!.GetValue<string>());

        var v6 = RawApi.Service("v6");
        v6["spec"]!["ipFamilies"] = new JsonArray("IPv6");
        var six = await Api.CreateAsync(Services, v6);
        Assert.StartsWith("fd00:10:96::", six["spec"]!["clusterIP"]!.GetValue<string>());

        var headless = RawApi.Service("headless");
        headless["spec"]!["clusterIP"] = "None";
        var h = await Api.CreateAsync(Services, headless);
        Assert.Equal("""["None"]""", h["spec"]!["clusterIPs"]!.ToJsonString());
    }

    [Fact]
    public async Task Spec_and_status_writes_are_kept_apart()
    {
        var svc = await Api.CreateAsync(Services, RawApi.Service("sep", type: "LoadBalancer"));
        var withStatus = (JsonObject)svc.DeepClone();
        withStatus["status"] = JsonNode.Parse("""{"loadBalancer":{"ingress":[{"ip":"192.0.2.10"}]}}""");
        withStatus["spec"]!["sessionAffinity"] = "ClientIP";
        var main = await Api.PutAsync(Services + "/sep", withStatus);
        Assert.Equal("ClientIP", main.Object["spec"]!["sessionAffinity"]!.GetValue<string>());
        Assert.Null(main.Object["status"]!["loadBalancer"]!["ingress"]);

        var statusWrite = (JsonObject)main.Object.DeepClone();
        statusWrite["status"] = JsonNode.Parse("""{"loadBalancer":{"ingress":[{"ip":"192.0.2.10"}]}}""");
        statusWrite["spec"]!["sessionAffinity"] = "None";
        statusWrite["metadata"]!["labels"] = new JsonObject { ["ignored"] = "yes" };
        var status = await Api.PutAsync(Services + "/sep/status", statusWrite);
        Assert.Equal(HttpStatusCode.OK, status.Code);
        Assert.Equal("192.0.2.10", status.Object["status"]!["loadBalancer"]!["ingress"]![0]!["ip"]!.GetValue<string>());
        Assert.Equal("ClientIP", status.Object["spec"]!["sessionAffinity"]!.GetValue<string>());
        Assert.Null(status.Object["metadata"]!["labels"]!["ignored"]);

        // A status patch through the main resource is ignored too.
        var p = await Api.PatchAsync(Services + "/sep", JsonNode.Parse("""{"status":{"loadBalancer":null}}""")!, "application/merge-patch+json");
        Assert.Equal("192.0.2.10", p.Object["status"]!["loadBalancer"]!["ingress"]![0]!["ip"]!.GetValue<string>());
        (await Api.GetAsync("/api/v1/namespaces/default/configmaps/x/status")).AssertStatus(404, "NotFound");
    }
}
