using System.Text;

namespace LoadBalancer.Sandbox;

/// <summary>Configuration files for the router namespace's BGP daemon (pure; see ../shared/reference/lab-configs).</summary>
public static class RouterConfigs
{
    /// <summary>BIRD 2: passive eBGP to every node, learned routes into the kernel with ECMP merged.</summary>
    public static string Bird(Topology topology)
    {
        var sb = new StringBuilder();
        sb.Append("# LoadBalancer sandbox router (BIRD 2), AS ").Append(Topology.RouterAsn).Append('\n');
        sb.Append("router id ").Append(Topology.RouterSegmentAddress).Append(";\n");
        sb.Append("protocol device { }\n");
        sb.Append("protocol kernel {\n    ipv4 { import none; export where source = RTS_BGP; };\n    merge paths on;\n}\n");
        sb.Append("template bgp node {\n    local ").Append(Topology.RouterSegmentAddress).Append(" as ").Append(Topology.RouterAsn).Append(";\n");
        sb.Append("    passive on;\n    hold time 9; keepalive time 3;\n    ipv4 { import all; export none; };\n}\n");
        foreach (var n in topology.Nodes)
            sb.Append("protocol bgp ").Append(n.Name).Append(" from node { neighbor ").Append(n.Address).Append(" as ").Append(Topology.NodeAsn).Append("; }\n");
        return sb.ToString();
    }

    /// <summary>FRR bgpd: dynamic passive neighbours from the segment, ECMP over every node.</summary>
    public static string FrrBgpd(Topology topology)
    {
        var sb = new StringBuilder();
        sb.Append("hostname ").Append(topology.Prefix).Append("-router\n");
        sb.Append("router bgp ").Append(Topology.RouterAsn).Append('\n');
        sb.Append(" bgp router-id ").Append(Topology.RouterSegmentAddress).Append('\n');
        sb.Append(" no bgp ebgp-requires-policy\n");
        sb.Append(" neighbor NODES peer-group\n neighbor NODES remote-as ").Append(Topology.NodeAsn).Append('\n');
        sb.Append(" neighbor NODES timers 3 9\n bgp listen range ").Append(Topology.SegmentPrefix).Append(" peer-group NODES\n");
        sb.Append(" address-family ipv4 unicast\n  maximum-paths ").Append(Math.Max(2, topology.Nodes.Count)).Append("\n exit-address-family\n");
        return sb.ToString();
    }

    /// <summary>gobgpd: passive neighbours, multipath in its RIB (gobgpd cannot install kernel routes here; see lab-notes).</summary>
    public static string GoBgp(Topology topology)
    {
        var sb = new StringBuilder();
        sb.Append("[global.config]\n  as = ").Append(Topology.RouterAsn).Append("\n  router-id = \"").Append(Topology.RouterSegmentAddress).Append("\"\n");
        sb.Append("  local-address-list = [\"").Append(Topology.RouterSegmentAddress).Append("\"]\n");
        sb.Append("[global.use-multiple-paths.config]\n  enabled = true\n");
        foreach (var n in topology.Nodes)
        {
            sb.Append("[[neighbors]]\n  [neighbors.config]\n    neighbor-address = \"").Append(n.Address).Append("\"\n    peer-as = ").Append(Topology.NodeAsn).Append('\n');
            sb.Append("  [neighbors.transport.config]\n    passive-mode = true\n");
            sb.Append("  [neighbors.timers.config]\n    hold-time = 9\n    keepalive-interval = 3\n");
        }
        return sb.ToString();
    }
}
