using LoadBalancer.Kube.Api;
using LoadBalancer.TestKit.ApiServer;

namespace LoadBalancer.Kube.Tests.Http;

public sealed class AuthTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("kube-auth-test-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public async Task Bearer_token_from_kubeconfig_is_sent_and_a_wrong_one_is_a_typed_401()
    {
        await using var server = await KubeApiServer.StartAsync(new KubeApiServerOptions { BearerToken = "s3cret" });
        var path = server.WriteKubeconfig(Path.Combine(_dir, "config"));
        using (var client = KubeClient.FromKubeConfig(path))
            Assert.Contains((await client.ListAsync(KubeResources.Namespaces)).Items, n => n.Metadata.Name == "kube-system");

        using var wrong = new KubeClient(new KubeClientOptions { Server = server.BaseAddress, BearerToken = "nope" });
        var ex = await Assert.ThrowsAsync<KubeApiException>(() => wrong.ListAsync(KubeResources.Namespaces));
        Assert.Equal(401, ex.StatusCode);
        Assert.Equal("Unauthorized", ex.Reason);
        Assert.False(ex.IsTransient);
    }

    [Fact]
    public async Task Token_file_is_read_and_re_read_after_it_rotates()
    {
        await using var server = await KubeApiServer.StartAsync(new KubeApiServerOptions { BearerToken = "second" });
        var tokenFile = Path.Combine(_dir, "token");
        File.WriteAllText(tokenFile, "first");
        var time = new TestKit.Time.ManualTimeProvider();
        using var client = new KubeClient(new KubeClientOptions { Server = server.BaseAddress, TokenFile = tokenFile, TimeProvider = time });
        Assert.Equal(401, (await Assert.ThrowsAsync<KubeApiException>(() => client.ListAsync(KubeResources.Namespaces))).StatusCode);
        File.WriteAllText(tokenFile, "second\n");
        File.SetLastWriteTimeUtc(tokenFile, DateTime.UtcNow.AddMinutes(1));
        // A 401 forces a re-read on the next request, without waiting for the periodic check.
        Assert.NotEmpty((await client.ListAsync(KubeResources.Namespaces)).Items);
    }

    [Fact]
    public async Task Https_with_CA_data_and_client_certificate_from_kubeconfig()
    {
        await using var server = await KubeApiServer.StartAsync(new KubeApiServerOptions { Https = true, RequireClientCertificate = true });
        var path = server.WriteKubeconfig(Path.Combine(_dir, "config"));
        using var client = KubeClient.FromKubeConfig(path);
        var svc = await client.CreateAsync(KubeResources.Services, Fakes.Objects.Service("default", "tls"));
        Assert.Equal("tls", svc.Metadata.Name);

        // The watch goes over the same TLS setup.
        await foreach (var ev in client.WatchAsync(KubeResources.Services, new WatchOptions { ResourceVersion = "1", AllowWatchBookmarks = false }).WithCancellation(new CancellationTokenSource(TimeSpan.FromSeconds(20)).Token))
        {
            Assert.Equal("tls", ev.Object!.Metadata.Name);
            break;
        }
    }

    [Fact]
    public async Task Https_server_not_signed_by_the_configured_CA_is_rejected_unless_insecure()
    {
        await using var server = await KubeApiServer.StartAsync(new KubeApiServerOptions { Https = true, BearerToken = "t" });
        var (otherCa, _) = Unit.KubeConfigTests.SelfSigned("other-ca");
        var cas = new System.Security.Cryptography.X509Certificates.X509Certificate2Collection();
        cas.ImportFromPem(otherCa);
        using var wrongCa = new KubeClient(new KubeClientOptions { Server = server.BaseAddress, BearerToken = "t", CertificateAuthorities = cas });
        var ex = await Assert.ThrowsAsync<KubeApiException>(() => wrongCa.ListAsync(KubeResources.Namespaces));
        Assert.Equal(KubeApiException.TransportReason, ex.Reason);

        using var insecure = new KubeClient(new KubeClientOptions { Server = server.BaseAddress, BearerToken = "t", InsecureSkipTlsVerify = true });
        Assert.NotEmpty((await insecure.ListAsync(KubeResources.Namespaces)).Items);

        using var rightCa = KubeClient.FromKubeConfig(server.WriteKubeconfig(Path.Combine(_dir, "config")));
        Assert.NotEmpty((await rightCa.ListAsync(KubeResources.Namespaces)).Items);
    }
}
