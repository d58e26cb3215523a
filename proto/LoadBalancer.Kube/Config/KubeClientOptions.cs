using System.Security.Cryptography.X509Certificates;

namespace LoadBalancer.Kube;

/// <summary>
/// Where the API server is and how to authenticate. Usually made by <see cref="FromKubeConfig"/>,
/// <see cref="InCluster"/> or <see cref="FromEnvironment"/>; tests may set the fields directly.
/// </summary>
public sealed class KubeClientOptions
{
    public const string ServiceAccountDirectory = "/var/run/secrets/kubernetes.io/serviceaccount";

    /// <summary>API server base URL (<c>https://10.96.0.1:443</c>).</summary>
    public required Uri Server { get; set; }

    /// <summary>A fixed bearer token.</summary>
    public string? BearerToken { get; set; }

    /// <summary>A bearer token file, re-read when it changes (projected service-account tokens rotate). Wins over
    /// <see cref="BearerToken"/>.</summary>
    public string? TokenFile { get; set; }

    /// <summary>Client certificate with its private key (mutual TLS).</summary>
    public X509Certificate2? ClientCertificate { get; set; }

    /// <summary>CA certificates that sign the server's certificate; when set, only they are trusted.</summary>
    public X509Certificate2Collection? CertificateAuthorities { get; set; }

    /// <summary>Do not verify the server certificate (kubeconfig <c>insecure-skip-tls-verify</c>).</summary>
    public bool InsecureSkipTlsVerify { get; set; }

    /// <summary>Name to verify the server certificate against instead of the URL's host.</summary>
    public string? TlsServerName { get; set; }

    /// <summary>Namespace for calls that do not name one (kubeconfig context or service account namespace).</summary>
    public string DefaultNamespace { get; set; } = "default";

    /// <summary>Timeout of every non-watch request. Watches have none (the server ends them after timeoutSeconds).</summary>
    public TimeSpan RequestTimeout { get; set; } = TimeSpan.FromSeconds(30);

    public string UserAgent { get; set; } = "loadbalancer-kube/1.0";

    /// <summary>Clock for token-file rotation checks and backoff.</summary>
    public TimeProvider TimeProvider { get; set; } = TimeProvider.System;

    /// <summary>Replaces the HTTP handler the client builds (tests). TLS settings above are then ignored.</summary>
    public HttpMessageHandler? Handler { get; set; }

    /// <summary>From a kubeconfig file: <paramref name="path"/>, else <c>$KUBECONFIG</c> (first entry), else
    /// <c>~/.kube/config</c>; the named context or <c>current-context</c>.</summary>
    public static KubeClientOptions FromKubeConfig(string? path = null, string? context = null)
        => KubeConfig.Load(path ?? KubeConfig.DefaultPath()).ToClientOptions(context);

    /// <summary>
    /// In-cluster configuration: <c>https://$KUBERNETES_SERVICE_HOST:$KUBERNETES_SERVICE_PORT</c>, the service
    /// account token file (re-read when it rotates), its <c>ca.crt</c> and <c>namespace</c>.
    /// </summary>
    public static KubeClientOptions InCluster(string serviceAccountDirectory = ServiceAccountDirectory)
        => InCluster(serviceAccountDirectory, Environment.GetEnvironmentVariable("KUBERNETES_SERVICE_HOST"),
            Environment.GetEnvironmentVariable("KUBERNETES_SERVICE_PORT"));

    internal static KubeClientOptions InCluster(string serviceAccountDirectory, string? host, string? port)
    {
        if (string.IsNullOrEmpty(host) || string.IsNullOrEmpty(port))
            throw new KubeConfigException("not running in a cluster: KUBERNETES_SERVICE_HOST and KUBERNETES_SERVICE_PORT must be set");
        var tokenFile = Path.Combine(serviceAccountDirectory, "token");
        if (!File.Exists(tokenFile))
            throw new KubeConfigException($"not running in a cluster: service account token {tokenFile} does not exist");
        if (host.Contains(':', StringComparison.Ordinal) && !host.StartsWith('[')) host = "[" + host + "]";
        var options = new KubeClientOptions
        {
            Server = new Uri($"https://{host}:{port}"),
            TokenFile = tokenFile,
        };
        var ca = Path.Combine(serviceAccountDirectory, "ca.crt");
        if (File.Exists(ca))
        {
            options.CertificateAuthorities = [];
            options.CertificateAuthorities.ImportFromPemFile(ca);
        }
        var ns = Path.Combine(serviceAccountDirectory, "namespace");
        if (File.Exists(ns))
        {
            var text = File.ReadAllText(ns).Trim();
            if (text.Length > 0) options.DefaultNamespace = text;
        }
        return options;
    }

    /// <summary>In-cluster when <c>KUBERNETES_SERVICE_HOST</c> is set and a token exists, else kubeconfig.</summary>
    public static KubeClientOptions FromEnvironment()
    {
        if (!string.IsNullOrEmpty(Environment.GetEnvironmentVariable("KUBERNETES_SERVICE_HOST"))
            && File.Exists(Path.Combine(ServiceAccountDirectory, "token")))
            return InCluster();
        return FromKubeConfig();
    }
}
