using System.Net;
using System.Security.Cryptography.X509Certificates;
using LoadBalancer.TestKit.ApiServer;

namespace LoadBalancer.Kube.Tests.Emulator;

public sealed class EmulatorTlsTests
{
    [Fact]
    public async Task Https_with_a_bearer_token()
    {
        await using var server = await KubeApiServer.StartAsync(new KubeApiServerOptions { Https = true, BearerToken = "s3cret" });
        Assert.Equal("https", server.BaseAddress.Scheme);
        using var api = new RawApi(server);
        Assert.Equal(HttpStatusCode.OK, (await api.GetAsync("/api/v1/namespaces")).Code);

        using var anonymous = new HttpClient(new SocketsHttpHandler
        {
            SslOptions = { RemoteCertificateValidationCallback = (_, cert, _, _) => cert is not null && server.Certificates!.IsIssuedByCa(new X509Certificate2(cert)) },
        }) { BaseAddress = server.BaseAddress };
        var denied = await anonymous.GetAsync("/api/v1/namespaces").WaitAsync(TimeSpan.FromSeconds(20));
        Assert.Equal(HttpStatusCode.Unauthorized, denied.StatusCode);
        anonymous.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", "wrong");
        Assert.Equal(HttpStatusCode.Unauthorized, (await anonymous.GetAsync("/api/v1/namespaces").WaitAsync(TimeSpan.FromSeconds(20))).StatusCode);

        var kubeconfig = server.Kubeconfig();
        Assert.Contains("token: s3cret", kubeconfig, StringComparison.Ordinal);
        Assert.Contains("certificate-authority-data: ", kubeconfig, StringComparison.Ordinal);
        Assert.Contains("server: " + server.BaseAddress.ToString().TrimEnd('/'), kubeconfig, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Https_with_a_required_client_certificate()
    {
        await using var server = await KubeApiServer.StartAsync(new KubeApiServerOptions { Https = true, RequireClientCertificate = true });
        using var api = new RawApi(server);
        Assert.Equal(HttpStatusCode.OK, (await api.GetAsync("/api/v1/namespaces")).Code);
        Assert.True(server.Certificates!.IsIssuedByCa(server.Certificates.Client));
        Assert.Contains("client-key-data: ", server.Kubeconfig(), StringComparison.Ordinal);

        using var noCert = new HttpClient(new SocketsHttpHandler
        {
            SslOptions = { RemoteCertificateValidationCallback = (_, cert, _, _) => cert is not null && server.Certificates!.IsIssuedByCa(new X509Certificate2(cert)) },
        }) { BaseAddress = server.BaseAddress };
        Assert.Equal(HttpStatusCode.Unauthorized, (await noCert.GetAsync("/api/v1/namespaces").WaitAsync(TimeSpan.FromSeconds(20))).StatusCode);
    }

    [Fact]
    public async Task Plain_http_kubeconfig_has_no_credentials()
    {
        await using var server = await KubeApiServer.StartAsync();
        var path = Path.Combine(Path.GetTempPath(), "lb-emulator-" + Guid.NewGuid().ToString("N") + ".kubeconfig");
        try
        {
            server.WriteKubeconfig(path);
            var text = await File.ReadAllTextAsync(path);
            Assert.Contains("server: http://127.0.0.1:" + server.Port, text, StringComparison.Ordinal);
            Assert.Contains("user: {}", text, StringComparison.Ordinal);
            if (!OperatingSystem.IsWindows()) Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(path));
        }
        finally
        {
            File.Delete(path);
        }
    }
}
