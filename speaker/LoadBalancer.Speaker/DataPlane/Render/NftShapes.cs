using System.Globalization;
using System.Net.Sockets;

namespace LoadBalancer.Speaker.DataPlane.Render;

/// <summary>
/// Endpoint-choice shapes. nft cannot take a modulus from a map, so the random choice among n endpoints needs a rule
/// with <c>numgen random mod n</c> written in it (and consistent hashing one with <c>jhash … mod M</c>). Rather than a
/// rule per Service (a chain per Service makes every kernel commit walk every chain), there is one rule per shape in
/// use, shared by every Service ring of that shape, and a set per shape that says which LB IP:ports have it:
/// <code>
/// chain clu4 {
///     ip daddr . meta l4proto . th dport @c4tn3 meta l4proto tcp dnat ip to ip daddr . tcp dport . numgen random mod 3 map @cep4-tcp
/// }
/// </code>
/// An endpoint change is then only element updates (the ring map and, when n changes, the membership): nothing the
/// kernel has to re-validate, and no chain added. A new shape (the first Service with 7 endpoints) adds one set and
/// rewrites the few rules of one chain.
/// <para>Name: <c>c|l</c> (cluster or local ring) <c>4|6</c> (family) <c>t|u|s</c> (TCP, UDP, SCTP) <c>n|h</c> (random or
/// hash ring) size, e.g. <c>c4tn3</c>, <c>l6uh251</c>. Rings are per protocol (<c>cep4-tcp</c>: <c>ip daddr . tcp dport . slot</c>)
/// because nft 1.0.6 cannot add a rule that maps through a cached map whose data is <c>th dport</c> ("conflicting
/// protocols"); with the protocol in the map's type it can.</para>
/// </summary>
internal static class NftShapes
{
    public static readonly string[] Protocols = ["tcp", "udp", "sctp"];

    public static string Name(bool local, AddressFamily family, string proto, bool hash, int size)
        => string.Create(CultureInfo.InvariantCulture, $"{(local ? 'l' : 'c')}{NftNames.Suffix(family)}{proto[0]}{(hash ? 'h' : 'n')}{size}");

    /// <summary>The ring map the shape's rule indexes: <c>cep4-tcp</c>, <c>lep6-udp</c>, …</summary>
    public static string Ring(bool local, AddressFamily family, string proto) => (local ? "lep" : "cep") + NftNames.Suffix(family) + "-" + proto;

    public static bool IsRing(string name)
    {
        var dash = name.IndexOf('-', StringComparison.Ordinal);
        return dash == 4 && name[..3] is "cep" or "lep" && name[3] is '4' or '6' && Protocols.Contains(name[5..]);
    }

    /// <summary>The regular chain holding the shape's rule: <c>clu4</c>, <c>loc4</c>, <c>clu6</c>, <c>loc6</c>.</summary>
    public static string Chain(string shape) => (shape[0] == 'l' ? "loc" : "clu") + shape[1];

    public static bool TryParse(string shape, out bool local, out AddressFamily family, out string proto, out bool hash, out int size)
    {
        local = false;
        family = AddressFamily.InterNetwork;
        proto = "";
        hash = false;
        size = 0;
        if (shape.Length < 5 || shape[0] is not ('c' or 'l') || shape[1] is not ('4' or '6') || shape[2] is not ('t' or 'u' or 's')
            || shape[3] is not ('n' or 'h')) return false;
        if (!int.TryParse(shape.AsSpan(4), NumberStyles.None, CultureInfo.InvariantCulture, out size) || size < 1) return false;
        local = shape[0] == 'l';
        family = shape[1] == '6' ? AddressFamily.InterNetworkV6 : AddressFamily.InterNetwork;
        proto = shape[2] switch { 't' => "tcp", 'u' => "udp", _ => "sctp" };
        hash = shape[3] == 'h';
        return true;
    }

    public static bool IsShape(string name) => TryParse(name, out _, out _, out _, out _, out _);

    /// <summary>The set definition (nft syntax, inside braces).</summary>
    public static string SetDefinition(string shape)
    {
        if (!TryParse(shape, out _, out var family, out _, out _, out _)) throw new ArgumentException("not a shape: " + shape, nameof(shape));
        return $"type {AddrType(family)} . inet_proto . inet_service;";
    }

    public static string Rule(string shape, uint hashSeed)
    {
        if (!TryParse(shape, out var local, out var family, out var proto, out var hash, out var size)) throw new ArgumentException("not a shape: " + shape, nameof(shape));
        var f = NftNames.Family(family);
        var pick = hash
            ? string.Create(CultureInfo.InvariantCulture, $"jhash {f} saddr . {proto} sport mod {size} seed 0x{hashSeed:x8}")
            : string.Create(CultureInfo.InvariantCulture, $"numgen random mod {size}");
        return $"{f} daddr . meta l4proto . th dport @{shape} meta l4proto {proto} dnat {f} to {f} daddr . {proto} dport . {pick} map @{Ring(local, family, proto)}";
    }

    public static string AddrType(AddressFamily family) => family == AddressFamily.InterNetworkV6 ? "ipv6_addr" : "ipv4_addr";

    /// <summary>Rules of <paramref name="chain"/> for the shapes in use, in a canonical order (random before hash, by size).</summary>
    public static IEnumerable<string> RulesOf(string chain, IEnumerable<string> shapes, uint hashSeed)
        => shapes.Where(s => Chain(s) == chain).OrderBy(s => s[2]).ThenBy(s => s[3]).ThenBy(s => int.Parse(s.AsSpan(4), CultureInfo.InvariantCulture))
            .Select(s => Rule(s, hashSeed));

    public static readonly string[] Chains = ["clu4", "loc4", "clu6", "loc6"];
}
