using System.Globalization;
using LoadBalancer.Controller.Allocation;
using LoadBalancer.Kube.Api;
using LoadBalancer.Model.Crds;
using LoadBalancer.Model.Net;

namespace LoadBalancer.Controller.Services;

/// <summary>
/// The pure decision for one Service: (Service snapshot, allocator, settings) -> desired ingress, pool annotation,
/// events and sync result. No I/O, no clock, no logging; the only state it touches is the in-memory allocator.
/// </summary>
internal static class ServiceDecision
{
    public const string DefaultLoadBalancerClass = "lb.baremetal.dev/loadbalancer";
    public const string IpModeVip = "VIP";

    /// <param name="key">The Service as <c>namespace/name</c>.</param>
    /// <param name="service">The cached Service, or null when it was deleted.</param>
    public static ServiceOutcome Decide(string key, V1Service? service, Allocator allocator, string loadBalancerClass = DefaultLoadBalancerClass)
    {
        ArgumentNullException.ThrowIfNull(allocator);
        if (service is null || service.Metadata.DeletionTimestamp is not null)
        {
            // Deleted: free the IPs; nothing to write on an object that is gone.
            return allocator.Unassign(key) ? new ServiceOutcome { Sync = SyncResult.ReprocessAll } : ServiceOutcome.Nothing;
        }
        var spec = service.Spec ?? new ServiceSpec();
        if (spec.Type != "LoadBalancer") return Release(key, service, allocator, "the Service is no longer of type LoadBalancer", clearStatus: true);
        if (spec.LoadBalancerClass is { } cls && cls != loadBalancerClass)
            return Release(key, service, allocator, $"the Service's loadBalancerClass is \"{cls}\"", clearStatus: false);

        var events = new List<DecisionEvent>();
        var annotations = service.Metadata.Annotations;

        // Requested IPs: the annotation (any prefix) wins; spec.loadBalancerIP is honoured alone, an Event when they disagree.
        var requested = new List<IPKey>();
        if (ServiceAnnotations.TryGet(annotations, "loadBalancerIPs", out var ipsText, out var ipsKey) && !string.IsNullOrWhiteSpace(ipsText))
        {
            foreach (var part in ipsText.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
            {
                if (!IPKey.TryParse(part, out var ip))
                    return Fail(key, service, allocator, events, $"invalid IP \"{part}\" in annotation {ipsKey}");
                requested.Add(ip);
            }
            if (!string.IsNullOrWhiteSpace(spec.LoadBalancerIP) && (!IPKey.TryParse(spec.LoadBalancerIP, out var legacy) || !requested.Contains(legacy)))
            {
                events.Add(new(DecisionEvent.Warning, "LoadBalancerIPIgnored",
                    $"spec.loadBalancerIP {spec.LoadBalancerIP} disagrees with annotation {ipsKey}={ipsText}; using the annotation"));
            }
        }
        else if (!string.IsNullOrWhiteSpace(spec.LoadBalancerIP))
        {
            if (!IPKey.TryParse(spec.LoadBalancerIP, out var ip)) return Fail(key, service, allocator, events, $"invalid spec.loadBalancerIP \"{spec.LoadBalancerIP}\"");
            requested.Add(ip);
        }

        var req = BuildRequest(key, service, requested);
        var previous = allocator.GetAssignment(key);
        var sync = SyncResult.Done;
        if (previous is not null && (previous.SharingKey != req.SharingKey || previous.BackendKey != req.BackendKey)) sync = SyncResult.ReprocessAll;

        var current = CurrentIPs(service);
        if (current.Count == 0 && previous is not null) current = [.. previous.IPs]; // a status write that failed earlier
        AllocationResult? result = null;
        if (current.Count > 0)
        {
            var why = Mismatch(req, requested, current, allocator);
            if (why is null)
            {
                var restored = allocator.Assign(req, current, checkPoolSelection: false);
                if (restored.Success) result = restored;
                else why = restored.Error;
            }
            if (why is not null)
            {
                allocator.Unassign(key);
                events.Add(new(DecisionEvent.Normal, "IPReleased", $"Released IP {Quote(current)}: {why}"));
                sync = SyncResult.ReprocessAll;
            }
        }
        var fresh = false;
        if (result is null)
        {
            result = requested.Count > 0 ? allocator.Assign(req, requested) : allocator.Allocate(req);
            if (!result.Success)
            {
                allocator.Unassign(key);
                events.Add(new(DecisionEvent.Warning, "AllocationFailed", $"Failed to allocate IP for \"{key}\": {result.Error}"));
                return Outcome(service, [], null, events, sync, null, result.Error);
            }
            fresh = true;
        }
        if (fresh || !SameIPs(CurrentIPs(service), result.IPs))
            events.Add(new(DecisionEvent.Normal, "IPAllocated", $"Assigned IP {Quote(result.IPs)} from pool \"{result.Pool}\""));
        return Outcome(service, result.IPs, result.Pool, events, sync, allocator.GetAssignment(key), null);
    }

    /// <summary>Why the current IPs no longer fit the Service's request, or null when they still do.</summary>
    private static string? Mismatch(AllocationRequest req, List<IPKey> requested, IReadOnlyList<IPKey> current, Allocator allocator)
    {
        if (requested.Count > 0 && !SameIPs(requested, current)) return "the requested IPs changed";
        if (req.Pool is not null && allocator.Config.FindPool(current[0]) is { } p && p.Name != req.Pool) return $"the address-pool annotation now asks for pool \"{req.Pool}\"";
        var primary = req.Families[0];
        switch (req.Policy)
        {
            case FamilyPolicy.SingleStack when current.Count != 1 || current[0].Family != primary:
                return $"the Service is now {primary.ToName()} single-stack";
            case FamilyPolicy.RequireDualStack when current.Count != 2:
                return "the Service now requires dual-stack";
            case FamilyPolicy.PreferDualStack when current.Any(ip => !req.Families.Contains(ip.Family)):
                return "the Service's IP families changed";
        }
        return null;
    }

    internal static AllocationRequest BuildRequest(string key, V1Service service, IReadOnlyList<IPKey> requested)
    {
        var spec = service.Spec ?? new ServiceSpec();
        var families = new List<IPFamily>();
        foreach (var f in spec.IpFamilies ?? [])
        {
            if (IPFamilyNames.TryParse(f, out var fam) && !families.Contains(fam)) families.Add(fam);
        }
        if (families.Count == 0)
        {
            foreach (var ip in spec.ClusterIPs ?? (spec.ClusterIP is { } c ? [c] : []))
            {
                if (IPKey.TryParse(ip, out var k) && !families.Contains(k.Family)) families.Add(k.Family);
            }
        }
        if (families.Count == 0) foreach (var ip in requested) if (!families.Contains(ip.Family)) families.Add(ip.Family);
        if (families.Count == 0) families.Add(IPFamily.IPv4);
        var policy = spec.IpFamilyPolicy switch
        {
            "RequireDualStack" => FamilyPolicy.RequireDualStack,
            "PreferDualStack" => FamilyPolicy.PreferDualStack,
            _ => FamilyPolicy.SingleStack,
        };
        if (policy != FamilyPolicy.SingleStack && families.Count == 1) families.Add(families[0] == IPFamily.IPv4 ? IPFamily.IPv6 : IPFamily.IPv4);
        var backend = spec.ExternalTrafficPolicy == "Local"
            ? string.Join(",", (spec.Selector ?? []).OrderBy(kv => kv.Key, StringComparer.Ordinal).Select(kv => $"{kv.Key}={kv.Value}"))
            : "";
        var ports = (spec.Ports ?? []).Select(p => new PortKey(string.IsNullOrEmpty(p.Protocol) ? "TCP" : p.Protocol, p.Port)).Distinct().ToList();
        var pool = ServiceAnnotations.Get(service.Metadata.Annotations, "address-pool");
        return new AllocationRequest
        {
            Service = key,
            Namespace = service.Metadata.Namespace ?? "default",
            Labels = service.Metadata.Labels,
            Families = families,
            Policy = policy,
            Pool = string.IsNullOrWhiteSpace(pool) ? null : pool.Trim(),
            SharingKey = ServiceAnnotations.Get(service.Metadata.Annotations, "allow-shared-ip")?.Trim() ?? "",
            BackendKey = backend,
            Ports = ports,
        };
    }

    private static List<IPKey> CurrentIPs(V1Service service)
    {
        var list = new List<IPKey>();
        foreach (var ing in service.Status?.LoadBalancer?.Ingress ?? [])
        {
            if (IPKey.TryParse(ing.Ip, out var k) && !list.Contains(k)) list.Add(k);
        }
        return list;
    }

    private static ServiceOutcome Release(string key, V1Service service, Allocator allocator, string why, bool clearStatus)
    {
        var held = allocator.GetAssignment(key);
        var events = new List<DecisionEvent>();
        var sync = SyncResult.Done;
        if (held is not null)
        {
            allocator.Unassign(key);
            events.Add(new(DecisionEvent.Normal, "IPReleased", $"Released IP {Quote(held.IPs)}: {why}"));
            sync = SyncResult.ReprocessAll;
        }
        var hasAnnotation = service.Metadata.Annotations?.ContainsKey(ServiceAnnotations.IPAllocatedFromPool) == true;
        var current = CurrentIPs(service);
        // Clear only what we wrote: a non-LoadBalancer Service keeps no ingress; another class keeps its own.
        var clear = current.Count > 0 && (clearStatus ? (held is not null || hasAnnotation) : held is not null && SameIPs(current, held.IPs));
        return new ServiceOutcome
        {
            DesiredIngress = clear ? [] : service.Status?.LoadBalancer?.Ingress ?? [],
            WriteStatus = clear,
            DesiredPool = null,
            WriteAnnotation = hasAnnotation,
            Events = events,
            Sync = sync,
            Owned = false,
        };
    }

    private static ServiceOutcome Fail(string key, V1Service service, Allocator allocator, List<DecisionEvent> events, string error)
    {
        var sync = allocator.Unassign(key) ? SyncResult.ReprocessAll : SyncResult.Done;
        events.Add(new(DecisionEvent.Warning, "AllocationFailed", $"Failed to allocate IP for \"{key}\": {error}"));
        return Outcome(service, [], null, events, sync, null, error);
    }

    private static ServiceOutcome Outcome(V1Service service, IReadOnlyList<IPKey> ips, string? pool, List<DecisionEvent> events, SyncResult sync, Assignment? assignment, string? failure)
    {
        var desired = ips.Select(ip => new LoadBalancerIngress { Ip = ip.ToString(), IpMode = IpModeVip }).ToList();
        var existing = service.Status?.LoadBalancer?.Ingress ?? [];
        var same = existing.Count == desired.Count && existing.Zip(desired).All(p =>
            p.First.Ip == p.Second.Ip && p.First.IpMode == p.Second.IpMode && p.First.Hostname is null && (p.First.Ports?.Count ?? 0) == 0);
        string? currentPool = null;
        service.Metadata.Annotations?.TryGetValue(ServiceAnnotations.IPAllocatedFromPool, out currentPool);
        return new ServiceOutcome
        {
            DesiredIngress = desired,
            WriteStatus = !same,
            DesiredPool = pool,
            WriteAnnotation = currentPool != pool,
            Events = events,
            Sync = sync,
            Assignment = assignment,
            Failure = failure,
            Owned = true,
        };
    }

    private static bool SameIPs(IReadOnlyList<IPKey> a, IReadOnlyList<IPKey> b) => a.Count == b.Count && a.All(b.Contains);

    /// <summary>Like MetalLB's Go <c>%q</c> of a list: <c>["192.0.2.10", "2001:db8::1"]</c>.</summary>
    internal static string Quote(IEnumerable<IPKey> ips) => "[" + string.Join(", ", ips.Select(i => string.Create(CultureInfo.InvariantCulture, $"\"{i}\""))) + "]";
}
