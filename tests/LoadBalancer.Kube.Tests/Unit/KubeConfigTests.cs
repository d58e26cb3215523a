using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using LoadBalancer.TestKit.Time;

namespace LoadBalancer.Kube.Tests.Unit;

public sealed class KubeConfigTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("kubeconfig-test-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    internal static (string CertPem, string KeyPem) SelfSigned(string cn)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var req = new CertificateRequest($"CN={cn}", key, HashAlgorithmName.SHA256);
        using var cert = req.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(1));
        return (cert.ExportCertificatePem(), key.ExportPkcs8PrivateKeyPem());
    }

    private static string B64(string s) => Convert.ToBase64String(Encoding.UTF8.GetBytes(s));

    [Fact]
    public void Current_context_with_token_namespace_and_CA_data()
    {
        var (ca, _) = SelfSigned("test-ca");
        var text = $"""
            apiVersion: v1
            kind: Config
            current-context: dev
            clusters:
            - name: c1
              cluster:
                server: https://127.0.0.1:6443
                certificate-authority-data: {B64(ca)}
                tls-server-name: kubernetes.default
            - name: c2
              cluster:
                server: https://192.0.2.1:6443
                insecure-skip-tls-verify: true
            users:
            - name: u1
              user:
                token: abc.def
            contexts:
            - name: dev
              context: {"{"}cluster: c1, user: u1, namespace: lb-system{"}"}
            - name: other
              context:
                cluster: c2
                user: u1
            """;
        var cfg = KubeConfig.Parse(text, _dir);
        Assert.Equal("dev", cfg.CurrentContext);
        var o = cfg.ToClientOptions();
        Assert.Equal(new Uri("https://127.0.0.1:6443"), o.Server);
        Assert.Equal("abc.def", o.BearerToken);
        Assert.Equal("lb-system", o.DefaultNamespace);
        Assert.Equal("kubernetes.default", o.TlsServerName);
        Assert.False(o.InsecureSkipTlsVerify);
        Assert.Single(o.CertificateAuthorities!);
        Assert.Equal("CN=test-ca", o.CertificateAuthorities![0].Subject);

        var other = cfg.ToClientOptions("other");
        Assert.True(other.InsecureSkipTlsVerify);
        Assert.Equal("default", other.DefaultNamespace);
        Assert.Null(other.CertificateAuthorities);
    }

    [Fact]
    public void Client_certificate_and_key_from_files_relative_to_the_kubeconfig()
    {
        var (cert, key) = SelfSigned("system:node:n1");
        var (ca, _) = SelfSigned("ca");
        File.WriteAllText(Path.Combine(_dir, "client.crt"), cert);
        Directory.CreateDirectory(Path.Combine(_dir, "pki"));
        File.WriteAllText(Path.Combine(_dir, "pki", "client.key"), key);
        File.WriteAllText(Path.Combine(_dir, "ca.crt"), ca);
        File.WriteAllText(Path.Combine(_dir, "token"), "file-token\n");
        var path = Path.Combine(_dir, "config");
        File.WriteAllText(path, """
            current-context: x
            clusters: [{name: c, cluster: {server: "https://[::1]:6443", certificate-authority: ca.crt}}]
            users: [{name: u, user: {client-certificate: client.crt, client-key: pki/client.key, tokenFile: token}}]
            contexts: [{name: x, context: {cluster: c, user: u}}]
            """);
        var o = KubeClientOptions.FromKubeConfig(path);
        Assert.Equal("CN=system:node:n1", o.ClientCertificate!.Subject);
        Assert.True(o.ClientCertificate.HasPrivateKey);
        Assert.Equal("CN=ca", o.CertificateAuthorities![0].Subject);
        Assert.Equal(Path.Combine(_dir, "token"), o.TokenFile);
        Assert.Equal("[::1]", o.Server.Host);
    }

    [Fact]
    public void Client_certificate_data_inline()
    {
        var (cert, key) = SelfSigned("admin");
        var cfg = KubeConfig.Parse($$$"""
            {"current-context":"x","clusters":[{"name":"c","cluster":{"server":"https://127.0.0.1:1"}}],
             "users":[{"name":"u","user":{"client-certificate-data":"{{{B64(cert)}}}","client-key-data":"{{{B64(key)}}}"}}],
             "contexts":[{"name":"x","context":{"cluster":"c","user":"u"}}]}
            """);
        Assert.True(cfg.ToClientOptions().ClientCertificate!.HasPrivateKey);
    }

    [Theory]
    [InlineData("current-context: nope\nclusters: [{name: c, cluster: {server: 'https://h'}}]\ncontexts: [{name: x, context: {cluster: c}}]", "no context 'nope'")]
    [InlineData("current-context: x\nclusters: []\ncontexts: [{name: x, context: {cluster: missing}}]", "cluster 'missing', which does not exist")]
    [InlineData("current-context: x\nclusters: [{name: c, cluster: {server: 'https://h'}}]\nusers: [{name: u, user: {exec: {command: aws}}}]\ncontexts: [{name: x, context: {cluster: c, user: u}}]", "uses exec")]
    [InlineData("current-context: x\nclusters: [{name: c, cluster: {server: 'ftp://h'}}]\ncontexts: [{name: x, context: {cluster: c}}]", "not an http(s) URL")]
    [InlineData("current-context: x\nclusters: [{name: c, cluster: {server: 'https://h', certificate-authority-data: '!!'}}]\ncontexts: [{name: x, context: {cluster: c}}]", "not base64")]
    [InlineData("current-context: x\nclusters: [{name: c, cluster: {server: 'https://h', certificate-authority: /nonexistent/ca.crt}}]\ncontexts: [{name: x, context: {cluster: c}}]", "does not exist")]
    [InlineData("clusters: [{cluster: {server: 'https://h'}}]", "clusters[0].name is required")]
    [InlineData("- just\n- a list", "mapping at the top level")]
    [InlineData("a: [unclosed", "not valid YAML")]
    public void Bad_kubeconfigs_say_what_is_wrong(string text, string expected)
    {
        var ex = Assert.Throws<KubeConfigException>(() => KubeConfig.Parse(text).ToClientOptions());
        Assert.Contains(expected, ex.Message);
    }

    [Fact]
    public void Missing_file_is_a_clear_error()
        => Assert.Contains("does not exist", Assert.Throws<KubeConfigException>(() => KubeClientOptions.FromKubeConfig(Path.Combine(_dir, "none"))).Message);

    [Fact]
    public void In_cluster_reads_the_service_account_directory()
    {
        var (ca, _) = SelfSigned("cluster-ca");
        File.WriteAllText(Path.Combine(_dir, "token"), "sa-token");
        File.WriteAllText(Path.Combine(_dir, "ca.crt"), ca);
        File.WriteAllText(Path.Combine(_dir, "namespace"), "lb-system\n");
        var o = KubeClientOptions.InCluster(_dir, "10.96.0.1", "443");
        Assert.Equal(new Uri("https://10.96.0.1:443"), o.Server);
        Assert.Equal(Path.Combine(_dir, "token"), o.TokenFile);
        Assert.Equal("lb-system", o.DefaultNamespace);
        Assert.Equal("CN=cluster-ca", o.CertificateAuthorities![0].Subject);
        Assert.Equal("[fd00::1]", KubeClientOptions.InCluster(_dir, "fd00::1", "443").Server.Host);
        Assert.Throws<KubeConfigException>(() => KubeClientOptions.InCluster(_dir, null, null));
        Assert.Throws<KubeConfigException>(() => KubeClientOptions.InCluster(Path.Combine(_dir, "none"), "10.96.0.1", "443"));
    }

    [Fact]
    public void Token_file_is_re_read_when_it_rotates()
    {
        var time = new ManualTimeProvider();
        var file = Path.Combine(_dir, "token");
        File.WriteAllText(file, "one\n");
        var source = new TokenSource(null, file, time);
        Assert.Equal("one", source.Current());
        File.WriteAllText(file, "two");
        File.SetLastWriteTimeUtc(file, DateTime.UtcNow.AddMinutes(1));
        Assert.Equal("one", source.Current()); // checked at most every 10 s
        time.Advance(TokenSource.CheckInterval);
        Assert.Equal("two", source.Current());
        File.Delete(file);
        time.Advance(TokenSource.CheckInterval);
        Assert.Equal("two", source.Current()); // keeps the last token while the file is swapped
    }
}
