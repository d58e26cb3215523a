using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using LoadBalancer.Speaker.Announcing;
using LoadBalancer.Speaker.DataPlane.Health;
using Microsoft.Extensions.Logging.Abstractions;
using static LoadBalancer.Speaker.Tests.DataPlane.DataPlaneFixtures;

namespace LoadBalancer.Speaker.Tests.DataPlane;

/// <summary>The healthCheckNodePort server over real HTTP on loopback.</summary>
public sealed class HealthCheckServerTests : IAsyncDisposable
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(10);
    private readonly HealthCheckServer _server = new(NullLogger.Instance, new HealthCheckServerOptions { BindAddress = IPAddress.Loopback });
    private readonly HttpClient _http = new() { Timeout = Bound };

    private static int FreePort()
    {
        using var s = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        s.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        return ((IPEndPoint)s.LocalEndPoint!).Port;
    }

    [Fact]
    public async Task LocalEndpoints_Answer200_WithKubeProxysBodyAndWeight_OnAnyPath()
    {
        var port = FreePort();
        _server.SetServices([new HealthCheckService(new ServiceKey("ns1", "web"), port, 2)]);
        foreach (var path in new[] { "/", "/healthz", "/anything/else?x=1" })
        {
            using var response = await _http.GetAsync(new Uri($"http://127.0.0.1:{port}{path}")).WaitAsync(Bound);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.Equal("2", Assert.Single(response.Headers.GetValues("X-Load-Balancing-Endpoint-Weight")));
            Assert.Equal("nosniff", Assert.Single(response.Headers.GetValues("X-Content-Type-Options")));
            Assert.Equal("application/json", response.Content.Headers.ContentType!.MediaType);
            using var doc = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
            Assert.Equal("ns1", doc.RootElement.GetProperty("service").GetProperty("namespace").GetString());
            Assert.Equal("web", doc.RootElement.GetProperty("service").GetProperty("name").GetString());
            Assert.Equal(2, doc.RootElement.GetProperty("localEndpoints").GetInt32());
            Assert.True(doc.RootElement.GetProperty("serviceProxyHealthy").GetBoolean());
        }
    }

    [Fact]
    public async Task NoLocalEndpoint_Or_UnhealthyProxy_Answers503()
    {
        var port = FreePort();
        _server.SetServices([new HealthCheckService(new ServiceKey("ns1", "web"), port, 0)]);
        using (var r = await _http.GetAsync(new Uri($"http://127.0.0.1:{port}/healthz")).WaitAsync(Bound))
        {
            Assert.Equal(HttpStatusCode.ServiceUnavailable, r.StatusCode);
            Assert.Equal("0", Assert.Single(r.Headers.GetValues("X-Load-Balancing-Endpoint-Weight")));
        }
        _server.SetServices([new HealthCheckService(new ServiceKey("ns1", "web"), port, 3)]);
        _server.ProxyHealthy = () => false;
        using (var r = await _http.GetAsync(new Uri($"http://127.0.0.1:{port}/")).WaitAsync(Bound))
        {
            Assert.Equal(HttpStatusCode.ServiceUnavailable, r.StatusCode);
            using var doc = JsonDocument.Parse(await r.Content.ReadAsStringAsync());
            Assert.Equal(3, doc.RootElement.GetProperty("localEndpoints").GetInt32());
            Assert.False(doc.RootElement.GetProperty("serviceProxyHealthy").GetBoolean());
        }
    }

    [Fact]
    public async Task RemovedService_ClosesItsPort_AndABusyPortIsReportedNotThrown()
    {
        var port = FreePort();
        _server.SetServices([new HealthCheckService(new ServiceKey("ns1", "web"), port, 1)]);
        Assert.Equal([port], _server.Ports);
        _server.SetServices([]);
        Assert.Empty(_server.Ports);
        await Assert.ThrowsAnyAsync<HttpRequestException>(() => _http.GetAsync(new Uri($"http://127.0.0.1:{port}/")).WaitAsync(Bound));

        using var busy = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        busy.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        busy.Listen();
        var busyPort = ((IPEndPoint)busy.LocalEndPoint!).Port;
        _server.SetServices([new HealthCheckService(new ServiceKey("ns1", "web"), busyPort, 1)]);
        Assert.True(_server.BindErrors.ContainsKey(busyPort));
    }

    [Fact]
    public void Planner_ServesOnlyLocalPolicyServices_CountingDistinctLocalReadyIps()
    {
        var snapshot = Snapshot(
            Svc("local", ["203.0.113.10"], [Ep("10.1.0.1"), Ep("10.1.0.1", port: 9090), Ep("10.1.0.2", ready: false, terminating: true), Ep("10.2.0.1", "n2")],
                etp: TrafficPolicy.Local, hc: 32000),
            Svc("cluster", ["203.0.113.11"], [Ep("10.1.0.3")], hc: 32001),
            Svc("nohc", ["203.0.113.12"], [Ep("10.1.0.4")], etp: TrafficPolicy.Local));
        var plan = HealthCheckPlanner.Plan(snapshot);
        Assert.Equal(new HealthCheckService(new ServiceKey("ns1", "local"), 32000, 1), Assert.Single(plan));
    }

    public async ValueTask DisposeAsync()
    {
        _http.Dispose();
        await _server.DisposeAsync();
    }
}
