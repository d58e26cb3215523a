using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text.RegularExpressions;
using LoadBalancer.Speaker.Announcing;

namespace LoadBalancer.Speaker.DataPlane.Render;

/// <summary>
/// Object names in our table. Readable on purpose (<c>nft list table inet lb</c> is the debugging tool):
/// <c>ext-ns/name/tcp/80</c>, <c>svc-…</c> (cluster endpoints), <c>loc-…</c> (local endpoints),
/// <c>ep-…__198.51.100.2/8080</c>; IPv6 objects carry a <c>/v6</c> suffix and ':' in addresses becomes '.',
/// as kube-proxy does. Kubernetes names are DNS labels/subdomains, so they are valid nft identifiers as they are;
/// anything else is refused by <see cref="IsValidName"/> before it can break a transaction.
/// </summary>
internal static partial class NftNames
{
    public const string RejectChain = "reject-chain";

    /// <summary>
    /// The per-family policy sets of <c>LB IP . proto . port</c> (suffixed 4 or 6): forwarded at all, reject, and the
    /// external and internal policy decisions read by the fixed chains dp4/int4 (docs/dataplane.md, "Table layout").
    /// </summary>
    public static readonly string[] PolicySets = ["lb", "rej", "xdrop", "xmasq", "xloc", "idrop", "iloc"];

    /// <summary>True for <c>lb4</c>, <c>xdrop6</c>, … (a <see cref="PolicySets"/> name with its family suffix).</summary>
    public static bool IsPolicySet(string map) => map.Length > 1 && map[^1] is '4' or '6' && PolicySets.Contains(map[..^1]);

    [GeneratedRegex("^[a-z0-9]([a-z0-9.-]{0,251}[a-z0-9])?$", RegexOptions.CultureInvariant)]
    private static partial Regex KubernetesName();

    public static bool IsValidName(string value) => value.Length <= 253 && KubernetesName().IsMatch(value);

    public static string Address(IPAddress address) => address.AddressFamily == AddressFamily.InterNetworkV6
        ? address.ToString().Replace(':', '.') : address.ToString();

    /// <summary>nft's name for a Kubernetes protocol, or null when it is not one we forward.</summary>
    public static string? Protocol(string protocol) => protocol.ToUpperInvariant() switch
    {
        "TCP" => "tcp",
        "UDP" => "udp",
        "SCTP" => "sctp",
        _ => null,
    };

    public static string Family(AddressFamily family) => family == AddressFamily.InterNetworkV6 ? "ip6" : "ip";

    public static string Suffix(AddressFamily family) => family == AddressFamily.InterNetworkV6 ? "6" : "4";

    /// <summary>The id of one (Service, port, family): <c>ns/name/tcp/80</c> or <c>ns/name/tcp/80/v6</c>.</summary>
    public static string PortId(ServiceKey key, string proto, int port, AddressFamily family)
        => string.Create(CultureInfo.InvariantCulture, $"{key.Namespace}/{key.Name}/{proto}/{port}")
           + (family == AddressFamily.InterNetworkV6 ? "/v6" : "");

    public static string PacketsCounter(ServiceKey key) => $"cnt-{key.Namespace}/{key.Name}";

    public static string ConnectionsCounter(ServiceKey key) => $"conn-{key.Namespace}/{key.Name}";

    /// <summary>Inverse of the counter names: the Service a counter belongs to and whether it counts connections.</summary>
    public static bool TryParseCounter(string name, out ServiceKey key, out bool connections)
    {
        key = default;
        connections = name.StartsWith("conn-", StringComparison.Ordinal);
        var rest = connections ? name[5..] : name.StartsWith("cnt-", StringComparison.Ordinal) ? name[4..] : null;
        if (rest is null) return false;
        var slash = rest.IndexOf('/', StringComparison.Ordinal);
        if (slash <= 0 || slash == rest.Length - 1) return false;
        key = new ServiceKey(rest[..slash], rest[(slash + 1)..]);
        return true;
    }
}
