using System.Text.Json;
using LoadBalancer.Kube;
using LoadBalancer.Kube.Api;
using LoadBalancer.Model.Crds;
using LoadBalancer.Speaker.Announcing;
using LoadBalancer.Speaker.Planning;

namespace LoadBalancer.Speaker.Hosting;

/// <summary>
/// Keeps this node's <see cref="ServiceAnnouncement"/> objects equal to the plan: one per (Service, node, protocol),
/// named <c>&lt;namespace&gt;.&lt;service&gt;.&lt;node&gt;.&lt;protocol&gt;</c> (unique because Service and namespace names have
/// no dots), labelled <c>lb.baremetal.dev/node</c>, <c>/service-namespace</c>, <c>/service-name</c>, <c>/protocol</c>.
/// Writes only what changed (it remembers what it wrote; at start it lists what a previous run left). BGPSession
/// objects are <c>&lt;node&gt;.&lt;peer&gt;</c>.
/// </summary>
internal sealed class KubeStatusWriter(IKubeClient client, SpeakerOptions options) : IAnnouncementStatusWriter
{
    public const string NodeLabel = "lb.baremetal.dev/node";
    public const string ServiceNamespaceLabel = "lb.baremetal.dev/service-namespace";
    public const string ServiceNameLabel = "lb.baremetal.dev/service-name";
    public const string ProtocolLabel = "lb.baremetal.dev/protocol";

    private Dictionary<string, string>? _written;

    public static string ObjectName(ServiceKey svc, string node, AnnounceProtocol protocol)
    {
        var name = $"{svc.Namespace}.{svc.Name}.{node}.{protocol.Name()}";
        if (name.Length <= 253) return name;
        var shorter = $"{svc.Namespace}.{svc.Name}.{KubeLeaseHolder.LabelValue(node)}.{protocol.Name()}";
        return shorter[..Math.Min(253, shorter.Length)];
    }

    public async Task ApplyAsync(AnnouncementPlan plan, CancellationToken cancellationToken)
    {
        if (_written is null)
        {
            var existing = await client.ListAsync(SpeakerResources.ServiceAnnouncements,
                new ListOptions { Namespace = options.Namespace, LabelSelector = $"{NodeLabel}={KubeLeaseHolder.LabelValue(options.NodeName)}" }, cancellationToken).ConfigureAwait(false);
            _written = existing.Items.Where(i => i.Metadata.Name is not null).ToDictionary(i => i.Metadata.Name!, _ => "", StringComparer.Ordinal);
        }
        var desired = new Dictionary<string, (ServiceKey Svc, AnnounceProtocol Protocol, ServiceAnnouncementStatus Status)>(StringComparer.Ordinal);
        foreach (var sp in plan.Services.Values)
        {
            foreach (var g in sp.Announcements.GroupBy(a => a.Protocol))
            {
                var status = new ServiceAnnouncementStatus
                {
                    Service = sp.Key.ToString(),
                    Node = plan.NodeName,
                    Protocol = g.Key.Name(),
                    Ips = [.. g.Select(a => a.Ip).Distinct().Order(IpComparer.Instance).Select(ip => ip.ToString())],
                    Interfaces = g.Key == AnnounceProtocol.Layer2 ? [.. g.SelectMany(a => a.Interfaces).Distinct().Order(StringComparer.Ordinal)] : null,
                    Peers = g.Key == AnnounceProtocol.Bgp ? [.. g.SelectMany(a => a.Peers).Distinct().Order(StringComparer.Ordinal)] : null,
                };
                desired[ObjectName(sp.Key, plan.NodeName, g.Key)] = (sp.Key, g.Key, status);
            }
        }
        foreach (var (name, d) in desired)
        {
            var json = JsonSerializer.Serialize(d.Status, ModelJsonContext.Default.ServiceAnnouncementStatus);
            if (_written.TryGetValue(name, out var fp) && fp == json) continue;
            if (!_written.ContainsKey(name))
            {
                try
                {
                    await client.CreateAsync(SpeakerResources.ServiceAnnouncements, new ServiceAnnouncement
                    {
                        Metadata = new ObjectMeta
                        {
                            Name = name,
                            Namespace = options.Namespace,
                            Labels = new()
                            {
                                [NodeLabel] = KubeLeaseHolder.LabelValue(plan.NodeName),
                                [ServiceNamespaceLabel] = d.Svc.Namespace,
                                [ServiceNameLabel] = d.Svc.Name,
                                [ProtocolLabel] = d.Protocol.Name(),
                            },
                        },
                        Status = d.Status,
                    }, cancellationToken).ConfigureAwait(false);
                }
                catch (KubeConflictException e) when (e.IsAlreadyExists)
                {
                }
            }
            await client.PatchStatusAsync(SpeakerResources.ServiceAnnouncements, options.Namespace, name, KubePatch.Merge($"{{\"status\":{json}}}"), cancellationToken).ConfigureAwait(false);
            _written[name] = json;
        }
        foreach (var name in _written.Keys.Where(n => !desired.ContainsKey(n)).ToList())
        {
            await DeleteAsync(SpeakerResources.ServiceAnnouncements, name, cancellationToken).ConfigureAwait(false);
            _written.Remove(name);
        }
    }

    public async Task CollectGarbageAsync(IReadOnlySet<string> liveNodes, CancellationToken cancellationToken)
    {
        var liveLabels = liveNodes.Select(KubeLeaseHolder.LabelValue).ToHashSet(StringComparer.Ordinal);
        var all = await client.ListAsync(SpeakerResources.ServiceAnnouncements, new ListOptions { Namespace = options.Namespace }, cancellationToken).ConfigureAwait(false);
        foreach (var o in all.Items)
        {
            if (o.Metadata.Labels?.GetValueOrDefault(NodeLabel) is { } node && !liveLabels.Contains(node) && o.Metadata.Name is { } n)
                await DeleteAsync(SpeakerResources.ServiceAnnouncements, n, cancellationToken).ConfigureAwait(false);
        }
        var sessions = await client.ListAsync(SpeakerResources.BgpSessions, new ListOptions { Namespace = options.Namespace }, cancellationToken).ConfigureAwait(false);
        foreach (var o in sessions.Items)
        {
            if (o.Metadata.Labels?.GetValueOrDefault(NodeLabel) is { } node && !liveLabels.Contains(node) && o.Metadata.Name is { } n)
                await DeleteAsync(SpeakerResources.BgpSessions, n, cancellationToken).ConfigureAwait(false);
        }
    }

    public async Task WriteSessionAsync(BgpSessionStatus session, bool delete, CancellationToken cancellationToken)
    {
        var name = $"{options.NodeName}.{session.Peer}";
        if (delete)
        {
            await DeleteAsync(SpeakerResources.BgpSessions, name, cancellationToken).ConfigureAwait(false);
            return;
        }
        var status = new BGPSessionStatus
        {
            Node = options.NodeName,
            Peer = session.Peer,
            State = session.State,
            EstablishedSince = session.EstablishedSince,
            PrefixesAdvertised = session.PrefixesAdvertised,
            LastError = session.LastError,
        };
        try
        {
            await client.CreateAsync(SpeakerResources.BgpSessions, new BGPSession
            {
                Metadata = new ObjectMeta { Name = name, Namespace = options.Namespace, Labels = new() { [NodeLabel] = KubeLeaseHolder.LabelValue(options.NodeName) } },
                Status = status,
            }, cancellationToken).ConfigureAwait(false);
        }
        catch (KubeConflictException e) when (e.IsAlreadyExists)
        {
        }
        var json = JsonSerializer.Serialize(status, ModelJsonContext.Default.BGPSessionStatus);
        await client.PatchStatusAsync(SpeakerResources.BgpSessions, options.Namespace, name, KubePatch.Merge($"{{\"status\":{json}}}"), cancellationToken).ConfigureAwait(false);
    }

    private async Task DeleteAsync<T>(ResourceType<T> type, string name, CancellationToken ct) where T : class, IKubeObject
    {
        try
        {
            await client.DeleteAsync(type, options.Namespace, name, null, ct).ConfigureAwait(false);
        }
        catch (KubeNotFoundException)
        {
        }
    }
}
