using System.Globalization;
using System.Text;
using System.Text.Json;

namespace LoadBalancer.Sandbox;

/// <summary>What happened to each demo Service, in plain words, from the API (Services, ServiceAnnouncements, Events) and a real request.</summary>
public static class Report
{
    public static async Task<string> DescribeAsync(SandboxLab lab, IEnumerable<SandboxService> services, TimeSpan wait)
    {
        var sb = new StringBuilder();
        foreach (var svc in services)
        {
            sb.Append(CultureInfo.InvariantCulture, $"Service {SandboxService.Namespace}/{svc.Name} ({(svc.Mode == Announce.Layer2 ? "Layer 2" : "BGP")}, externalTrafficPolicy {svc.Policy})\n");
            string? ip = null;
            try
            {
                await SandboxLab.WaitUntil("an IP", wait, async () => (ip = await lab.ServiceIpAsync(svc.Name).ConfigureAwait(false)) is not null).ConfigureAwait(false);
            }
            catch (SandboxException)
            {
                sb.Append(CultureInfo.InvariantCulture, $"  no IP yet after {wait.TotalSeconds:0} s. Why: kubectl --kubeconfig {lab.Kubeconfig} describe service -n {SandboxService.Namespace} {svc.Name}\n");
                await AppendEventsAsync(lab, svc, sb).ConfigureAwait(false);
                continue;
            }
            sb.Append(CultureInfo.InvariantCulture, $"  got IP {ip} from pool {svc.Pool}\n");
            await AppendAnnouncementsAsync(lab, svc, sb).ConfigureAwait(false);
            await AppendEventsAsync(lab, svc, sb).ConfigureAwait(false);
            string? answer = null;
            try
            {
                await SandboxLab.WaitUntil("a reply", wait, async () => (answer = await lab.RequestFromClientAsync(ip!).ConfigureAwait(false)) is not null).ConfigureAwait(false);
            }
            catch (SandboxException) { }
            if (answer is null)
                sb.Append(CultureInfo.InvariantCulture, $"  client {Topology.ClientAddress} -> http://{ip}/ got no answer within {wait.TotalSeconds:0} s\n");
            else
            {
                var fields = answer.Split(' ').Select(f => f.Split('=', 2)).Where(f => f.Length == 2).ToDictionary(f => f[0], f => f[1]);
                var peer = fields.GetValueOrDefault("peer", "?");
                var whose = peer == Topology.ClientAddress ? "the client's own address (Local keeps the source)"
                    : lab.Topology.Nodes.FirstOrDefault(n => n.Address == peer || n.PodGateway == peer) is { } n ? $"{n.Name}'s address (Cluster policy masquerades)"
                    : "an address";
                sb.Append(CultureInfo.InvariantCulture, $"  client {Topology.ClientAddress} -> http://{ip}/ answered by {fields.GetValueOrDefault("pod", "?")} on {fields.GetValueOrDefault("node", "?")}, which saw the source {peer}: {whose}\n");
            }
        }
        return sb.ToString();
    }

    private static async Task AppendAnnouncementsAsync(SandboxLab lab, SandboxService svc, StringBuilder sb)
    {
        var r = await lab.KubectlTry(TimeSpan.FromSeconds(30), "get", "serviceannouncements", "-n", KubeObjects.InstallNamespace, "-o", "json").ConfigureAwait(false);
        if (r.ExitCode != 0) { sb.Append("  (could not list serviceannouncements: ").Append(r.StandardError.Trim()).Append(")\n"); return; }
        using var doc = JsonDocument.Parse(r.StandardOutput);
        var found = false;
        foreach (var item in doc.RootElement.GetProperty("items").EnumerateArray())
        {
            if (!item.TryGetProperty("status", out var st) || Str(st, "service") != $"{SandboxService.Namespace}/{svc.Name}") continue;
            found = true;
            var how = Str(st, "protocol") == "layer2"
                ? "Layer 2 (it answers ARP for the IP) on " + (Strings(st, "interfaces").Any() ? string.Join(", ", Strings(st, "interfaces")) : "all interfaces")
                : "BGP to " + (Strings(st, "peers").Count() == 1 ? "peer " : "peers ") + string.Join(", ", Strings(st, "peers"));
            sb.Append(CultureInfo.InvariantCulture, $"  announced by {Str(st, "node")} via {how}\n");
        }
        if (!found) sb.Append("  no node announces it yet (no ServiceAnnouncement)\n");
        if (svc.Mode == Announce.Bgp && await lab.ServiceIpAsync(svc.Name).ConfigureAwait(false) is { } ip)
        {
            var hops = await lab.RouterNextHopsAsync(ip).ConfigureAwait(false);
            sb.Append(CultureInfo.InvariantCulture, $"  router's ECMP set for {ip}: {(hops.Count == 0 ? "(no route)" : string.Join(", ", hops.Order(StringComparer.Ordinal)))}\n");
        }
    }

    private static async Task AppendEventsAsync(SandboxLab lab, SandboxService svc, StringBuilder sb)
    {
        var r = await lab.KubectlTry(TimeSpan.FromSeconds(30), "get", "events.events.k8s.io", "-n", SandboxService.Namespace, "-o", "json").ConfigureAwait(false);
        if (r.ExitCode != 0) return;
        using var doc = JsonDocument.Parse(r.StandardOutput);
        foreach (var e in doc.RootElement.GetProperty("items").EnumerateArray())
        {
            if (!e.TryGetProperty("regarding", out var reg) || Str(reg, "name") != svc.Name) continue;
            sb.Append(CultureInfo.InvariantCulture, $"  event {Str(e, "type")} {Str(e, "reason")} from {Str(e, "reportingController")}: {Str(e, "note")}\n");
        }
    }

    private static string Str(JsonElement e, string name) => e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString()! : "";

    private static IEnumerable<string> Strings(JsonElement e, string name)
        => e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.Array ? v.EnumerateArray().Select(x => x.GetString() ?? "") : [];

    public static string Instructions(SandboxLab lab, string downCommand, string? exampleIp = null)
    {
        var t = lab.Topology;
        return $"""

            The sandbox is running. Try:
              kubectl --kubeconfig {lab.Kubeconfig} get services -n {SandboxService.Namespace}
              kubectl --kubeconfig {lab.Kubeconfig} get serviceannouncements,bgpsessions,ipaddresspools -n {KubeObjects.InstallNamespace}
              kubectl --kubeconfig {lab.Kubeconfig} get events -n {SandboxService.Namespace}
              ip netns exec {t.ClientNamespace} curl -s http://{exampleIp ?? "<service IP>"}/        # a request from the client
              ip netns exec {t.RouterNamespace} ip route                 # BGP routes with their ECMP next hops
              ip netns exec {t.RouterNamespace} ip neigh                 # which node's MAC answered ARP for the Layer 2 IPs
              ip netns exec {t.Nodes[0].Namespace} nft list ruleset       # node1's data plane
              ip netns exec {t.Nodes[0].Namespace} curl -s localhost:7472/metrics   # node1's speaker metrics
            Logs: {lab.LogDir}/   Namespaces: {string.Join(" ", t.Namespaces.Take(3))} {t.Nodes[0].Namespace} ...
            Tear it down with:
              {downCommand}
            """;
    }
}
