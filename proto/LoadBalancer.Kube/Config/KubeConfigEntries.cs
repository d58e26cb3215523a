namespace LoadBalancer.Kube;

/// <summary>A kubeconfig <c>clusters[].cluster</c>.</summary>
public sealed record KubeConfigCluster(string Name, string Server)
{
    public string? CertificateAuthority { get; init; }
    /// <summary>Base64 of PEM.</summary>
    public string? CertificateAuthorityData { get; init; }
    public bool InsecureSkipTlsVerify { get; init; }
    public string? TlsServerName { get; init; }
}

/// <summary>A kubeconfig <c>users[].user</c> (the parts this client supports).</summary>
public sealed record KubeConfigUser(string Name)
{
    public string? Token { get; init; }
    public string? TokenFile { get; init; }
    public string? ClientCertificate { get; init; }
    /// <summary>Base64 of PEM.</summary>
    public string? ClientCertificateData { get; init; }
    public string? ClientKey { get; init; }
    /// <summary>Base64 of PEM.</summary>
    public string? ClientKeyData { get; init; }
    /// <summary>Set when the user uses an auth method this client does not support (exec, auth-provider, basic).</summary>
    public string? Unsupported { get; init; }
}

/// <summary>A kubeconfig <c>contexts[].context</c>.</summary>
public sealed record KubeConfigContext(string Name, string Cluster, string User)
{
    public string? Namespace { get; init; }
}
