namespace LoadBalancer.Model.Crds;

/// <summary>
/// Service annotation keys. Ours use the <c>lb.baremetal.dev/</c> prefix; the MetalLB forms (<c>metallb.io/</c> and the
/// legacy <c>metallb.universe.tf/</c>) are honoured too so Services migrate untouched. Ours win when several are set.
/// </summary>
public static class ServiceAnnotations
{
    public const string Prefix = "lb.baremetal.dev/";
    public const string MetalLBPrefix = "metallb.io/";
    public const string MetalLBLegacyPrefix = "metallb.universe.tf/";

    /// <summary>Comma list of requested IPs, at most one per family.</summary>
    public const string LoadBalancerIPs = Prefix + "loadBalancerIPs";
    /// <summary>The pool to allocate from.</summary>
    public const string AddressPool = Prefix + "address-pool";
    /// <summary>The sharing key: Services with the same key may share an IP (MetalLB's rules).</summary>
    public const string AllowSharedIP = Prefix + "allow-shared-ip";
    /// <summary>Written by the controller: the pool the Service's IPs came from.</summary>
    public const string IPAllocatedFromPool = Prefix + "ip-allocated-from-pool";

    /// <summary>The keys to look up for a name (<c>loadBalancerIPs</c>, <c>address-pool</c>, ...) in priority order.</summary>
    public static IReadOnlyList<string> KeysFor(string name) => [Prefix + name, MetalLBPrefix + name, MetalLBLegacyPrefix + name];

    /// <summary>
    /// Reads an annotation by its short name under any of the three prefixes. Returns the key that was used so a caller
    /// can report which one it honoured.
    /// </summary>
    public static bool TryGet(IReadOnlyDictionary<string, string>? annotations, string name, out string value, out string key)
    {
        value = "";
        key = "";
        if (annotations is null) return false;
        foreach (var k in KeysFor(name))
        {
            if (annotations.TryGetValue(k, out var v))
            {
                value = v;
                key = k;
                return true;
            }
        }
        return false;
    }

    public static string? Get(IReadOnlyDictionary<string, string>? annotations, string name)
        => TryGet(annotations, name, out var v, out _) ? v : null;
}
