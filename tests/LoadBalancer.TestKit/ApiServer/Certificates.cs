using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace LoadBalancer.TestKit.ApiServer;

/// <summary>A self-signed CA with a server certificate (for the advertised address) and a client certificate, all ECDSA P-256.</summary>
public sealed class Certificates : IDisposable
{
    private Certificates(X509Certificate2 ca, X509Certificate2 server, X509Certificate2 client)
    {
        Ca = ca;
        Server = server;
        Client = client;
    }

    /// <summary>The CA (with its key).</summary>
    public X509Certificate2 Ca { get; }

    /// <summary>The server certificate (with its key), valid for localhost, 127.0.0.1, ::1 and the advertised host.</summary>
    public X509Certificate2 Server { get; }

    /// <summary>A client certificate (CN=admin, O=system:masters) signed by the CA, with its key.</summary>
    public X509Certificate2 Client { get; }

    public string CaPem => Ca.ExportCertificatePem();

    public string ClientCertificatePem => Client.ExportCertificatePem();

    public string ClientKeyPem => Client.GetECDsaPrivateKey()!.ExportPkcs8PrivateKeyPem();

    public static Certificates Create(IEnumerable<string> hosts)
    {
        var now = DateTimeOffset.UtcNow;
        using var caKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var caRequest = new CertificateRequest("CN=loadbalancer-emulator-ca", caKey, HashAlgorithmName.SHA256);
        caRequest.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        caRequest.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign | X509KeyUsageFlags.DigitalSignature, true));
        caRequest.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(caRequest.PublicKey, false));
        using var caTemp = caRequest.CreateSelfSigned(now.AddMinutes(-5), now.AddYears(1));
        var ca = Reload(caTemp);

        var server = Issue(ca, "CN=kube-apiserver", now, serverAuth: true, san =>
        {
            san.AddDnsName("localhost");
            san.AddDnsName("kubernetes");
            san.AddDnsName("kubernetes.default");
            san.AddDnsName("kubernetes.default.svc");
            san.AddIpAddress(IPAddress.Loopback);
            san.AddIpAddress(IPAddress.IPv6Loopback);
            foreach (var h in hosts.Distinct())
            {
                if (IPAddress.TryParse(h, out var ip)) san.AddIpAddress(ip);
                else if (h.Length > 0) san.AddDnsName(h);
            }
        });
        var client = Issue(ca, "CN=admin, O=system:masters", now, serverAuth: false, _ => { });
        return new Certificates(ca, server, client);
    }

    private static X509Certificate2 Issue(X509Certificate2 ca, string subject, DateTimeOffset now, bool serverAuth, Action<SubjectAlternativeNameBuilder> sans)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest(subject, key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature | X509KeyUsageFlags.KeyEncipherment, true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension(
            [new Oid(serverAuth ? "1.3.6.1.5.5.7.3.1" : "1.3.6.1.5.5.7.3.2")], false));
        if (serverAuth)
        {
            var san = new SubjectAlternativeNameBuilder();
            sans(san);
            request.CertificateExtensions.Add(san.Build());
        }
        request.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromCertificate(ca, true, false));
        var serial = RandomNumberGenerator.GetBytes(16);
        serial[0] &= 0x7f;
        using var signed = request.Create(ca, now.AddMinutes(-5), now.AddYears(1).AddDays(-1), serial);
        using var withKey = signed.CopyWithPrivateKey(key);
        return Reload(withKey);
    }

    /// <summary>Round-trips through PKCS#12 so the key is usable by SslStream on every platform.</summary>
    private static X509Certificate2 Reload(X509Certificate2 cert) =>
        X509CertificateLoader.LoadPkcs12(cert.Export(X509ContentType.Pkcs12), null, X509KeyStorageFlags.Exportable);

    /// <summary>True when <paramref name="certificate"/> chains to the CA.</summary>
    public bool IsIssuedByCa(X509Certificate2 certificate)
    {
        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.Add(Ca);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        return chain.Build(certificate);
    }

    public void Dispose()
    {
        Ca.Dispose();
        Server.Dispose();
        Client.Dispose();
    }
}
