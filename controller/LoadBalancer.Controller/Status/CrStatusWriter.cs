using System.Text.Json.Nodes;
using LoadBalancer.Controller.Allocation;
using LoadBalancer.Controller.Services;
using LoadBalancer.Kube;
using LoadBalancer.Kube.Api;
using LoadBalancer.Model.Config;
using LoadBalancer.Model.Crds;
using Microsoft.Extensions.Logging;

namespace LoadBalancer.Controller.Status;

/// <summary>
/// Writes <c>status</c> on our user-written CRs: a <c>Valid</c> condition (reason and message naming the field) on
/// every kind, plus assigned/available counts per family on pools. Writes only what changed, and records an
/// <c>InvalidConfiguration</c> Warning on an object when it becomes invalid or its errors change.
/// </summary>
internal sealed class CrStatusWriter(IKubeClient client, ClusterCaches caches, IEventSink events, TimeProvider time)
{
    public const string ValidType = "Valid";
    private readonly Dictionary<ObjectRef, string> _lastInvalid = [];

    public async Task WriteAsync(ConfigResult? config, Allocator allocator, CancellationToken ct)
    {
        if (config is null) return;
        foreach (var pool in caches.Pools.Snapshot())
        {
            var name = pool.Metadata.Name!;
            var inForce = allocator.Config.PoolsByName.ContainsKey(name);
            var usage = inForce ? allocator.Usage(name) : default;
            var s = pool.Status;
            var countsSame = s is not null && s.AssignedIPv4 == usage.AssignedIPv4 && s.AssignedIPv6 == usage.AssignedIPv6
                && s.AvailableIPv4 == usage.AvailableIPv4 && s.AvailableIPv6 == usage.AvailableIPv6;
            var extra = new JsonObject
            {
                ["assignedIPv4"] = usage.AssignedIPv4,
                ["assignedIPv6"] = usage.AssignedIPv6,
                ["availableIPv4"] = usage.AvailableIPv4,
                ["availableIPv6"] = usage.AvailableIPv6,
            };
            await WriteOneAsync(ModelResources.IPAddressPools, pool, IPAddressPool.KindName, s?.Conditions, config, countsSame ? null : extra, ct).ConfigureAwait(false);
        }
        foreach (var o in caches.L2Advertisements.Snapshot())
            await WriteOneAsync(ModelResources.L2Advertisements, o, L2Advertisement.KindName, o.Status?.Conditions, config, null, ct).ConfigureAwait(false);
        foreach (var o in caches.BgpAdvertisements.Snapshot())
            await WriteOneAsync(ModelResources.BGPAdvertisements, o, BGPAdvertisement.KindName, o.Status?.Conditions, config, null, ct).ConfigureAwait(false);
        foreach (var o in caches.Peers.Snapshot())
            await WriteOneAsync(ModelResources.BGPPeers, o, BGPPeer.KindName, o.Status?.Conditions, config, null, ct).ConfigureAwait(false);
        foreach (var o in caches.BfdProfiles.Snapshot())
            await WriteOneAsync(ModelResources.BFDProfiles, o, BFDProfile.KindName, o.Status?.Conditions, config, null, ct).ConfigureAwait(false);
        foreach (var o in caches.Communities.Snapshot())
            await WriteOneAsync(ModelResources.Communities, o, Community.KindName, o.Status?.Conditions, config, null, ct).ConfigureAwait(false);
    }

    private async Task WriteOneAsync<T>(ResourceType<T> type, T obj, string kind, List<Condition>? existing, ConfigResult config, JsonObject? extra, CancellationToken ct)
        where T : class, IKubeObject
    {
        var oref = new ObjectRef(kind, obj.Metadata.Namespace ?? "", obj.Metadata.Name ?? "");
        if (!config.Objects.TryGetValue(oref, out var validity)) return; // newer than the configuration: the next rebuild covers it
        RecordTransition(obj, oref, validity);
        var desired = new Condition
        {
            Type = ValidType,
            Status = validity.IsValid ? "True" : "False",
            Reason = validity.IsValid ? "Valid" : "InvalidConfiguration",
            Message = validity.Message,
            ObservedGeneration = obj.Metadata.Generation,
        };
        var current = existing?.FirstOrDefault(c => c.Type == ValidType);
        var same = current is not null && current.Status == desired.Status && current.Reason == desired.Reason
            && current.Message == desired.Message && current.ObservedGeneration == desired.ObservedGeneration;
        if (same && extra is null) return;
        desired.LastTransitionTime = current is not null && current.Status == desired.Status && current.LastTransitionTime is { } t ? t : time.GetUtcNow();
        var conditions = new JsonArray();
        foreach (var c in existing ?? [])
        {
            if (c.Type != ValidType) conditions.Add((JsonNode)ConditionJson(c));
        }
        conditions.Add((JsonNode)ConditionJson(desired));
        var status = extra ?? [];
        status["conditions"] = conditions;
        try
        {
            await client.PatchStatusAsync(type, obj.Metadata.Namespace, obj.Metadata.Name!, KubePatch.Merge(new JsonObject { ["status"] = status }), ct).ConfigureAwait(false);
        }
        catch (KubeNotFoundException)
        {
            // deleted meanwhile
        }
        catch (KubeApiException e) when (e.StatusCode == 404 || e.StatusCode == 405)
        {
            // a CRD without the status subresource: nothing to write to
            _ = e;
        }
    }

    private void RecordTransition(IKubeObject obj, ObjectRef oref, ObjectValidity validity)
    {
        if (validity.IsValid)
        {
            _lastInvalid.Remove(oref);
            return;
        }
        var message = validity.Message;
        if (_lastInvalid.TryGetValue(oref, out var last) && last == message) return;
        _lastInvalid[oref] = message;
        events.Record(EventRecorder.ReferenceTo(obj), DecisionEvent.Warning, "InvalidConfiguration", "Validate", message);
    }

    private static JsonObject ConditionJson(Condition c)
    {
        var o = new JsonObject
        {
            ["type"] = c.Type,
            ["status"] = c.Status,
            ["reason"] = c.Reason,
            ["message"] = c.Message,
        };
        if (c.ObservedGeneration is { } g) o["observedGeneration"] = g;
        if (c.LastTransitionTime is { } t) o["lastTransitionTime"] = t.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", System.Globalization.CultureInfo.InvariantCulture);
        return o;
    }
}
