using System.Text.Json;
using System.Text.Json.Nodes;
using LoadBalancer.Kube.Api;

namespace LoadBalancer.Kube.Tests.Api;

public class SerializationTests
{
    [Fact]
    public void Service_UnknownFields_SurviveReadModifyWrite()
    {
        const string json = """
            {"apiVersion":"v1","kind":"Service","metadata":{"name":"web","namespace":"default","resourceVersion":"7",
             "creationTimestamp":"2026-11-22T09:00:00Z","managedFields":[{"manager":"kubectl"}]},
             "spec":{"type":"LoadBalancer","ports":[{"port":80,"targetPort":"http"},{"port":443,"targetPort":8443}],
                     "ipFamilies":["IPv4"],"futureField":{"x":1}},
             "status":{"loadBalancer":{}},"somethingNew":true}
            """;
        var svc = JsonSerializer.Deserialize(json, KubeJsonContext.Default.V1Service)!;
        Assert.Equal("http", svc.Spec!.Ports![0].TargetPort!.Value.StringValue);
        Assert.Equal(8443, svc.Spec.Ports[1].TargetPort!.Value.IntValue);
        svc.Status = new ServiceStatus { LoadBalancer = new() { Ingress = [new() { Ip = "203.0.113.10", IpMode = "VIP" }] } };

        var back = JsonNode.Parse(JsonSerializer.Serialize(svc, KubeJsonContext.Default.V1Service))!;
        Assert.Equal(1, back["spec"]!["futureField"]!["x"]!.GetValue<int>());
        Assert.True(back["somethingNew"]!.GetValue<bool>());
        Assert.Equal("kubectl", back["metadata"]!["managedFields"]![0]!["manager"]!.GetValue<string>());
        Assert.Equal("2026-11-22T09:00:00Z", back["metadata"]!["creationTimestamp"]!.GetValue<string>());
        Assert.Equal("203.0.113.10", back["status"]!["loadBalancer"]!["ingress"]![0]!["ip"]!.GetValue<string>());
        Assert.Null(back["metadata"]!["labels"]);
    }

    [Fact]
    public void Lease_MicroTime_HasSixFractionalDigits()
    {
        var lease = new V1Lease { Metadata = new() { Name = "n1" }, Spec = new() { RenewTime = new DateTimeOffset(2026, 11, 22, 9, 0, 1, 500, TimeSpan.Zero) } };
        var node = JsonNode.Parse(JsonSerializer.Serialize(lease, KubeJsonContext.Default.V1Lease))!;
        Assert.Equal("2026-11-22T09:00:01.500000Z", node["spec"]!["renewTime"]!.GetValue<string>());
        var back = JsonSerializer.Deserialize(node.ToJsonString(), KubeJsonContext.Default.V1Lease)!;
        Assert.Equal(lease.Spec.RenewTime, back.Spec!.RenewTime);
    }

    [Fact]
    public void Status_ReadsTheApiErrorBody()
    {
        var status = JsonSerializer.Deserialize("""{"kind":"Status","apiVersion":"v1","status":"Failure","message":"services \"x\" not found","reason":"NotFound","details":{"name":"x","kind":"services"},"code":404}""", KubeJsonContext.Default.Status)!;
        Assert.Equal("Failure", status.Result);
        Assert.Equal("NotFound", status.Reason);
        Assert.Equal(404, status.Code);
    }
}
