using System.Net;

namespace LoadBalancer.TestKit.ApiServer;

/// <summary>How <see cref="KubeApiServer"/> listens, authenticates and allocates.</summary>
public sealed class KubeApiServerOptions
{
    /// <summary>Address to listen on; 127.0.0.1 by default. <see cref="IPAddress.Any"/> for every interface.</summary>
    public IPAddress ListenAddress { get; set; } = IPAddress.Loopback;

    /// <summary>Port to listen on; 0 picks a free one (see <see cref="KubeApiServer.BaseAddress"/>).</summary>
    public int Port { get; set; }

    /// <summary>Host or address written into kubeconfigs and certificates; defaults to the listen address (127.0.0.1 for 0.0.0.0).</summary>
    public string? AdvertiseAddress { get; set; }

    /// <summary>Serve HTTPS with a generated self-signed CA and a server certificate for the advertised address.</summary>
    public bool Https { get; set; }

    /// <summary>When set, requests must carry <c>Authorization: Bearer &lt;token&gt;</c> (or a valid client certificate).</summary>
    public string? BearerToken { get; set; }

    /// <summary>Require a client certificate signed by the generated CA (HTTPS only); the kubeconfig carries one.</summary>
    public bool RequireClientCertificate { get; set; }

    /// <summary>IPv4 service CIDR for clusterIP allocation; null for an IPv6-only cluster.</summary>
    public string? ServiceCidr { get; set; } = "10.96.0.0/12";

    /// <summary>IPv6 service CIDR; null for an IPv4-only cluster (then dual-stack Services are refused).</summary>
    public string? ServiceCidrV6 { get; set; } = "fd00:10:96::/112";

    /// <summary>Node port range for NodePort and LoadBalancer Services.</summary>
    public (int Min, int Max) NodePortRange { get; set; } = (30000, 32767);

    /// <summary>Namespaces created at start (default, kube-system, kube-public, kube-node-lease, loadbalancer-system plus these).</summary>
    public IReadOnlyList<string> ExtraNamespaces { get; set; } = [];

    /// <summary>Clock for timestamps (creation, deletion).</summary>
    public TimeProvider TimeProvider { get; set; } = TimeProvider.System;

    /// <summary>How often a watch with allowWatchBookmarks=true gets a BOOKMARK (the real server: about a minute).</summary>
    public TimeSpan BookmarkInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>How long a watch without timeoutSeconds stays open.</summary>
    public TimeSpan DefaultWatchTimeout { get; set; } = TimeSpan.FromMinutes(30);

    /// <summary>Watch events kept for resume; older resourceVersions get 410 Gone.</summary>
    public int WatchHistory { get; set; } = 200_000;

    /// <summary>Version reported at /version.</summary>
    public string KubernetesVersion { get; set; } = "v1.32.0";
}
