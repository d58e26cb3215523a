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
        foreach (var (map, list) in byMap) AppendElements(sb, "add", t, map, list);
        return sb.ToString();
    }

    /// <summary>The fixed part: global sets and maps, base chains and the shared chains.</summary>
    internal static void AppendBase(StringBuilder sb, NftRenderOptions o)
    {
        var mark = "0x" + o.MasqueradeMark.ToString("x8", CultureInfo.InvariantCulture);
        var unmark = "0x" + (~o.MasqueradeMark).ToString("x8", CultureInfo.InvariantCulture);
        foreach (var (family, type, suffix) in new[] { (AddressFamily.InterNetwork, "ipv4_addr", "4"), (AddressFamily.InterNetworkV6, "ipv6_addr", "6") })
        {
            var pods = o.PodCidrsOrEmpty.Where(c => c.BaseAddress.AddressFamily == family).Select(c => c.ToString()).ToList();
            if (pods.Count > 0)
                sb.Append("\tset pods").Append(suffix).Append(" {\n\t\ttype ").Append(type).Append("\n\t\tflags interval\n\t\tauto-merge\n\t\telements = { ")
                  .Append(string.Join(", ", pods)).Append(" }\n\t}\n");
            sb.Append("\tmap svc").Append(suffix).Append(" {\n\t\ttype ").Append(type).Append(" . inet_proto . inet_service : verdict\n\t}\n");
            sb.Append("\tset fw").Append(suffix).Append(" {\n\t\ttype ").Append(type).Append(" . inet_proto . inet_service\n\t}\n");
            sb.Append("\tset allow").Append(suffix).Append(" {\n\t\ttype ").Append(type).Append(" . inet_proto . inet_service . ").Append(type).Append("\n\t\tflags interval\n\t}\n");
            sb.Append("\tmap ctr").Append(suffix).Append(" {\n\t\ttype ").Append(type).Append(" . inet_proto . inet_service : counter\n\t}\n");
            sb.Append("\tmap conn").Append(suffix).Append(" {\n\t\ttype ").Append(type).Append(" . inet_proto . inet_service : counter\n\t}\n");
        }
        sb.Append("\tmap pick {\n\t\ttypeof numgen random mod 1 : verdict\n\t}\n");
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
        string[] dispatch = ["ip daddr . meta l4proto . th dport vmap @svc4", "ip6 daddr . meta l4proto . th dport vmap @svc6"];
        AppendChain(sb, new NftChain("nat-prerouting", [.. dispatch]), $"type nat hook prerouting priority {DstNatPriority}; policy accept;");
        AppendChain(sb, new NftChain("nat-output", [.. dispatch]), $"type nat hook output priority {DstNatPriority}; policy accept;");
        var masq = new List<string>();
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
