using System.Globalization;
using System.Net.Sockets;
using System.Text;

namespace LoadBalancer.Speaker.DataPlane.Render;

/// <summary>
/// Writes a ruleset as nft input. <see cref="Full"/> replaces the whole table atomically
/// (<c>table</c> / <c>delete table</c> / <c>table { … }</c> in one transaction: no moment without rules, so a
/// restarted speaker adopts or replaces its old table without a traffic gap). <see cref="Remove"/> deletes it.
/// </summary>
internal static class NftText
{
    /// <summary>Hook priorities. Ours run before kube-proxy's (filter -110, nat -100 / 100): the first NAT chain that binds a connection wins.</summary>
    public const int FilterPriority = -120;
    public const int DstNatPriority = -110;
    public const int SrcNatPriority = 90;

    private const int ElementsPerCommand = 2000;

    public static string Remove(string table) => $"table inet {table}\ndelete table inet {table}\n";

    public static string Full(NftRuleset ruleset)
    {
        var o = ruleset.Options;
        var t = ruleset.Table;
        var sb = new StringBuilder(1024 + ruleset.Services.Count * 768);
        sb.Append("table inet ").Append(t).Append('\n');
        sb.Append("delete table inet ").Append(t).Append('\n');
        sb.Append("table inet ").Append(t).Append(" {\n");
        AppendBase(sb, o);
        foreach (var shape in ruleset.ShapeCounts.Keys)
            sb.Append("\tset ").Append(shape).Append(" { ").Append(NftShapes.SetDefinition(shape)).Append(" }\n");
        foreach (var chain in NftShapes.Chains)
            AppendChain(sb, new NftChain(chain, [.. NftShapes.RulesOf(chain, ruleset.ShapeCounts.Keys, o.HashSeed)]));
        foreach (var svc in ruleset.Services.Values)
        {
            foreach (var c in svc.Counters) sb.Append("\tcounter ").Append(c).Append(" {\n\t}\n");
            foreach (var s in svc.Sets) sb.Append("\tset ").Append(s.Name).Append(" { ").Append(s.Definition).Append(" }\n");
            foreach (var c in svc.Chains) AppendChain(sb, c);
        }
        sb.Append("}\n");
        var byMap = new SortedDictionary<string, List<NftElement>>(StringComparer.Ordinal);
        foreach (var svc in ruleset.Services.Values)
            foreach (var e in svc.Elements)
            {
                if (!byMap.TryGetValue(e.Map, out var list)) byMap[e.Map] = list = [];
                list.Add(e);
            }
        // Shared elements (hairpin pairs) come from a hash map: sorted, so the text is deterministic.
        foreach (var e in ruleset.SharedCounts.Keys.OrderBy(e => e.Map, StringComparer.Ordinal).ThenBy(e => e.Key, StringComparer.Ordinal))
        {
            if (!byMap.TryGetValue(e.Map, out var list)) byMap[e.Map] = list = [];
            list.Add(e);
        }
        foreach (var (map, list) in byMap) AppendElements(sb, "add", t, map, list);
        return sb.ToString();
    }

    /// <summary>
    /// The fixed part: global sets and maps, base chains and the fixed regular chains (docs/dataplane.md, "Table layout").
    /// The shape chains (<c>clu4</c>, <c>loc4</c>, …) are written by the caller, with the rules of the shapes in use.
    /// </summary>
    internal static void AppendBase(StringBuilder sb, NftRenderOptions o)
    {
        var mark = "0x" + o.MasqueradeMark.ToString("x8", CultureInfo.InvariantCulture);
        var unmark = "0x" + (~o.MasqueradeMark).ToString("x8", CultureInfo.InvariantCulture);
        var setMark = "meta mark set meta mark | " + mark;
        foreach (var (family, type, suffix) in new[] { (AddressFamily.InterNetwork, "ipv4_addr", "4"), (AddressFamily.InterNetworkV6, "ipv6_addr", "6") })
        {
            var key = type + " . inet_proto . inet_service";
            var pods = o.PodCidrsOrEmpty.Where(c => c.BaseAddress.AddressFamily == family).Select(c => c.ToString()).ToList();
            if (pods.Count > 0)
                sb.Append("\tset pods").Append(suffix).Append(" {\n\t\ttype ").Append(type).Append("\n\t\tflags interval\n\t\tauto-merge\n\t\telements = { ")
                  .Append(string.Join(", ", pods)).Append(" }\n\t}\n");
            sb.Append("\tmap svc").Append(suffix).Append(" {\n\t\ttype ").Append(key).Append(" : verdict\n\t}\n");
            foreach (var set in NftNames.PolicySets.Append("fw"))
                sb.Append("\tset ").Append(set).Append(suffix).Append(" {\n\t\ttype ").Append(key).Append("\n\t}\n");
            sb.Append("\tset allow").Append(suffix).Append(" {\n\t\ttype ").Append(key).Append(" . ").Append(type).Append("\n\t\tflags interval\n\t}\n");
            sb.Append("\tmap ctr").Append(suffix).Append(" {\n\t\ttype ").Append(key).Append(" : counter\n\t}\n");
            sb.Append("\tmap conn").Append(suffix).Append(" {\n\t\ttype ").Append(key).Append(" : counter\n\t}\n");
            var f = suffix == "4" ? "ip" : "ip6";
            foreach (var ring in (ReadOnlySpan<string>)["cep", "lep"])
                foreach (var proto in NftShapes.Protocols)
                    sb.Append("\tmap ").Append(ring).Append(suffix).Append('-').Append(proto).Append(" {\n\t\ttypeof ").Append(f).Append(" daddr . ")
                      .Append(proto).Append(" dport . numgen random mod 1 : ").Append(f).Append(" daddr . ").Append(proto).Append(" dport\n\t}\n");
            sb.Append("\tset hp").Append(suffix).Append(" {\n\t\ttype ").Append(type).Append(" . ").Append(type).Append("\n\t}\n");
        }
        AppendChain(sb, new NftChain("filter-check", [
            "ip daddr . meta l4proto . th dport @fw4 ip daddr . meta l4proto . th dport . ip saddr != @allow4 drop",
            "ip6 daddr . meta l4proto . th dport @fw6 ip6 daddr . meta l4proto . th dport . ip6 saddr != @allow6 drop",
            "counter name ip daddr . meta l4proto . th dport map @ctr4",
            "counter name ip6 daddr . meta l4proto . th dport map @ctr6",
            "ct state new counter name ip daddr . meta l4proto . th dport map @conn4",
            "ct state new counter name ip6 daddr . meta l4proto . th dport map @conn6",
        ]));
        AppendChain(sb, new NftChain("filter-prerouting", ["jump filter-check"]), $"type filter hook prerouting priority {FilterPriority}; policy accept;");
        AppendChain(sb, new NftChain("filter-output", ["jump filter-check"]), $"type filter hook output priority {FilterPriority}; policy accept;");
        string[] dispatch = [
            "ip daddr . meta l4proto . th dport vmap @svc4",
            "ip daddr . meta l4proto . th dport @lb4 goto dp4",
            "ip6 daddr . meta l4proto . th dport vmap @svc6",
            "ip6 daddr . meta l4proto . th dport @lb6 goto dp6",
        ];
        AppendChain(sb, new NftChain("nat-prerouting", [.. dispatch]), $"type nat hook prerouting priority {DstNatPriority}; policy accept;");
        AppendChain(sb, new NftChain("nat-output", [.. dispatch]), $"type nat hook output priority {DstNatPriority}; policy accept;");
        foreach (var (family, suffix) in new[] { (AddressFamily.InterNetwork, "4"), (AddressFamily.InterNetworkV6, "6") })
        {
            var f = suffix == "4" ? "ip" : "ip6";
            var k = f + " daddr . meta l4proto . th dport";
            var dp = new List<string> { $"{k} @rej{suffix} goto {NftNames.RejectChain}" };
            if (o.PodCidrsOrEmpty.Any(c => c.BaseAddress.AddressFamily == family)) dp.Add($"{f} saddr @pods{suffix} goto int{suffix}");
            dp.Add($"fib saddr type local {setMark} goto int{suffix}");
            dp.Add($"{k} @xdrop{suffix} drop");
            dp.Add($"{k} @xmasq{suffix} {setMark}");
            dp.Add($"{k} @xloc{suffix} goto loc{suffix}");
            dp.Add($"goto clu{suffix}");
            AppendChain(sb, new NftChain("dp" + suffix, [.. dp]));
            AppendChain(sb, new NftChain("int" + suffix, [$"{k} @idrop{suffix} drop", $"{k} @iloc{suffix} goto loc{suffix}", $"goto clu{suffix}"]));
        }
        var masq = new List<string>
        {
            // Hairpin: a pod DNATed to itself must see the node as the source, or it would answer itself directly.
            $"ct status dnat ip saddr . ip daddr @hp4 {setMark}",
            $"ct status dnat ip6 saddr . ip6 daddr @hp6 {setMark}",
        };
        var match = $"meta mark & {mark} == {mark} meta mark set meta mark & {unmark}";
        if (o.Masquerade == MasqueradeAddress.NodeIp)
        {
            var v4 = o.NodeIpsOrEmpty.FirstOrDefault(a => a.AddressFamily == AddressFamily.InterNetwork);
            var v6 = o.NodeIpsOrEmpty.FirstOrDefault(a => a.AddressFamily == AddressFamily.InterNetworkV6);
            if (v4 is not null) masq.Add($"meta nfproto ipv4 {match} snat ip to {v4} fully-random");
            if (v6 is not null) masq.Add($"meta nfproto ipv6 {match} snat ip6 to {v6} fully-random");
        }
        masq.Add($"{match} masquerade fully-random");
        AppendChain(sb, new NftChain("nat-postrouting", [.. masq]), $"type nat hook postrouting priority {SrcNatPriority}; policy accept;");
        AppendChain(sb, new NftChain(NftNames.RejectChain, ["meta l4proto tcp reject with tcp reset", "reject"]));
    }

    internal static void AppendChain(StringBuilder sb, NftChain chain, string? hook = null)
    {
        sb.Append("\tchain ").Append(chain.Name).Append(" {\n");
        if (hook is not null) sb.Append("\t\t").Append(hook).Append('\n');
        foreach (var r in chain.Rules) sb.Append("\t\t").Append(r).Append('\n');
        sb.Append("\t}\n");
    }

    internal static void AppendElements(StringBuilder sb, string verb, string table, string map, IReadOnlyList<NftElement> elements)
    {
        for (var start = 0; start < elements.Count; start += ElementsPerCommand)
        {
            sb.Append(verb).Append(" element inet ").Append(table).Append(' ').Append(map).Append(" { ");
            var end = Math.Min(elements.Count, start + ElementsPerCommand);
            for (var i = start; i < end; i++)
            {
                if (i > start) sb.Append(", ");
                sb.Append(verb == "delete" ? elements[i].Key : elements[i].Render());
            }
            sb.Append(" }\n");
        }
    }
}
