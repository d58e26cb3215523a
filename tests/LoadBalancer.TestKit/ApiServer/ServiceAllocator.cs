using System.Net;
using System.Net.Sockets;
using System.Numerics;
using System.Text.Json.Nodes;

namespace LoadBalancer.TestKit.ApiServer;

/// <summary>
/// What the real API server does to a Service on create and update: defaults (ipFamilies, ipFamilyPolicy,
/// sessionAffinity, traffic policies, protocol, targetPort), clusterIP(s) from the service CIDRs, nodePorts and
/// healthCheckNodePort from the node port range, carried-over allocations on update, and validation.
/// Called under the store lock; <see cref="Commit"/> records allocations only once a write is committed.
/// </summary>
internal sealed class ServiceAllocator
{
    private readonly Cidr? _v4;
    private readonly Cidr? _v6;
    private readonly int _portMin;
    private readonly int _portMax;
    private readonly HashSet<IPAddress> _ips = [];
    private readonly HashSet<int> _ports = [];
    private BigInteger _nextV4 = 1;
    private BigInteger _nextV6 = 1;
    private int _nextPort;

    public ServiceAllocator(string? v4Cidr, string? v6Cidr, int portMin, int portMax)
    {
        _v4 = string.IsNullOrEmpty(v4Cidr) ? null : Cidr.Parse(v4Cidr);
        _v6 = string.IsNullOrEmpty(v6Cidr) ? null : Cidr.Parse(v6Cidr);
        _portMin = portMin;
        _portMax = portMax;
        _nextPort = portMin;
    }

    private sealed record Cidr(IPAddress Network, int Prefix)
    {
        public int Bits => Network.AddressFamily == AddressFamily.InterNetwork ? 32 : 128;

        public BigInteger Size => BigInteger.One << (Bits - Prefix);

        public static Cidr Parse(string text)
        {
            var parts = text.Split('/');
            return new Cidr(IPAddress.Parse(parts[0]), int.Parse(parts[1], System.Globalization.CultureInfo.InvariantCulture));
        }

        public BigInteger ToNumber(IPAddress ip) => new(ip.GetAddressBytes(), isUnsigned: true, isBigEndian: true);

        public bool Contains(IPAddress ip)
        {
            if (ip.AddressFamily != Network.AddressFamily) return false;
            var mask = ((BigInteger.One << Bits) - 1) ^ ((BigInteger.One << (Bits - Prefix)) - 1);
            return (ToNumber(ip) & mask) == (ToNumber(Network) & mask);
        }

        public IPAddress At(BigInteger offset)
        {
            var n = ToNumber(Network) + offset;
            var bytes = n.ToByteArray(isUnsigned: true, isBigEndian: true);
            var full = new byte[Bits / 8];
            Array.Copy(bytes, 0, full, full.Length - bytes.Length, bytes.Length);
            return new IPAddress(full);
        }
    }

    /// <summary>Defaults, carries allocations over from <paramref name="old"/>, allocates what is missing, validates.</summary>
    public void Admit(ResourceType type, JsonObject svc, JsonObject? old)
    {
        var name = ApiJson.Str(svc["metadata"]?["name"]) ?? "";
        var errors = new List<FieldError>();
        if (svc["spec"] is not JsonObject spec)
        {
            spec = new JsonObject();
            svc["spec"] = spec;
        }
        var oldSpec = old?["spec"] as JsonObject;
        var svcType = ApiJson.Str(spec["type"]) ?? "ClusterIP";
        spec["type"] = svcType;
        string[] types = ["ClusterIP", "NodePort", "LoadBalancer", "ExternalName"];
        if (!types.Contains(svcType)) errors.Add(FieldError.NotSupported("spec.type", "\"" + svcType + "\"", types));
        spec["sessionAffinity"] ??= "None";
        if (old is null && svc["status"] is null) svc["status"] = new JsonObject { ["loadBalancer"] = new JsonObject() };

        var ports = spec["ports"] as JsonArray ?? [];
        var oldPorts = oldSpec?["ports"] as JsonArray ?? [];
        var seenNames = new HashSet<string>();
        for (var i = 0; i < ports.Count; i++)
        {
            if (ports[i] is not JsonObject p) continue;
            p["protocol"] ??= "TCP";
            var port = (int)(ApiJson.Int(p["port"]) ?? 0);
            if (port is < 1 or > 65535)
                errors.Add(FieldError.Invalid($"spec.ports[{i}].port", port.ToString(System.Globalization.CultureInfo.InvariantCulture), "must be between 1 and 65535, inclusive"));
            if (svcType != "ExternalName") p["targetPort"] ??= port;
            var pname = ApiJson.Str(p["name"]) ?? "";
            if (ports.Count > 1 && pname.Length == 0) errors.Add(FieldError.Required($"spec.ports[{i}].name"));
            if (pname.Length > 0 && !seenNames.Add(pname)) errors.Add(FieldError.Duplicate($"spec.ports[{i}].name", "\"" + pname + "\""));
            var protocol = ApiJson.Str(p["protocol"]);
            if (protocol is not ("TCP" or "UDP" or "SCTP"))
                errors.Add(FieldError.NotSupported($"spec.ports[{i}].protocol", "\"" + protocol + "\"", ["SCTP", "TCP", "UDP"]));
        }
        if (ports.Count == 0 && svcType != "ExternalName" && ApiJson.Str(spec["clusterIP"]) != "None")
            errors.Add(FieldError.Required("spec.ports"));

        if (svcType == "ExternalName")
        {
            if (string.IsNullOrEmpty(ApiJson.Str(spec["externalName"]))) errors.Add(FieldError.Required("spec.externalName"));
            spec.Remove("clusterIP");
            spec.Remove("clusterIPs");
            spec.Remove("ipFamilies");
            spec.Remove("ipFamilyPolicy");
            if (errors.Count > 0) throw ApiException.Invalid(type, name, errors);
            return;
        }

        // Allocations an update leaves unset are carried over from the old object (patchAllocatedValues).
        if (oldSpec is not null && ApiJson.Str(oldSpec["type"]) != "ExternalName")
        {
            if (string.IsNullOrEmpty(ApiJson.Str(spec["clusterIP"])) && spec["clusterIPs"] is null)
            {
                spec["clusterIP"] = oldSpec["clusterIP"]?.DeepClone();
                spec["clusterIPs"] = oldSpec["clusterIPs"]?.DeepClone();
            }
            spec["ipFamilies"] ??= oldSpec["ipFamilies"]?.DeepClone();
            spec["ipFamilyPolicy"] ??= oldSpec["ipFamilyPolicy"]?.DeepClone();
            if (NeedsNodePorts(spec))
            {
                foreach (var p in ports.OfType<JsonObject>())
                {
                    if (p["nodePort"] is not null) continue;
                    var match = oldPorts.OfType<JsonObject>().FirstOrDefault(o =>
                        JsonNode.DeepEquals(o["port"], p["port"]) && JsonNode.DeepEquals(o["protocol"] ?? "TCP", p["protocol"]) && o["nodePort"] is not null);
                    if (match is not null) p["nodePort"] = match["nodePort"]!.DeepClone();
                }
            }
            if (spec["healthCheckNodePort"] is null && oldSpec["healthCheckNodePort"] is not null && NeedsHealthCheck(spec))
                spec["healthCheckNodePort"] = oldSpec["healthCheckNodePort"]!.DeepClone();
        }

        // clusterIPs and ipFamilies
        var clusterIp = ApiJson.Str(spec["clusterIP"]) ?? "";
        var clusterIps = (spec["clusterIPs"] as JsonArray)?.Select(n => ApiJson.Str(n) ?? "").ToList() ?? [];
        if (clusterIps.Count == 0 && clusterIp.Length > 0) clusterIps.Add(clusterIp);
        if (clusterIp.Length > 0 && clusterIps.Count > 0 && clusterIps[0] != clusterIp)
            errors.Add(FieldError.Invalid("spec.clusterIPs", "[]string{\"" + string.Join("\", \"", clusterIps) + "\"}", "must have first value equal to spec.clusterIP"));
        var headless = clusterIps.Count > 0 && clusterIps[0] == "None";
        var policy = ApiJson.Str(spec["ipFamilyPolicy"]) ?? "SingleStack";
        string[] policies = ["SingleStack", "PreferDualStack", "RequireDualStack"];
        if (!policies.Contains(policy)) errors.Add(FieldError.NotSupported("spec.ipFamilyPolicy", "\"" + policy + "\"", policies));
        var families = (spec["ipFamilies"] as JsonArray)?.Select(n => ApiJson.Str(n) ?? "").ToList() ?? [];
        if (families.Count == 0)
        {
            foreach (var ip in clusterIps.Where(ip => ip != "None"))
                if (IPAddress.TryParse(ip, out var a)) families.Add(a.AddressFamily == AddressFamily.InterNetworkV6 ? "IPv6" : "IPv4");
            if (families.Count == 0) families.Add(_v4 is not null ? "IPv4" : "IPv6");
            if (policy != "SingleStack" && families.Count == 1 && _v4 is not null && _v6 is not null)
                families.Add(families[0] == "IPv4" ? "IPv6" : "IPv4");
        }
        foreach (var f in families)
        {
            if (f is not ("IPv4" or "IPv6")) errors.Add(FieldError.NotSupported("spec.ipFamilies", "\"" + f + "\"", ["IPv4", "IPv6"]));
            else if ((f == "IPv4" ? _v4 : _v6) is null)
                errors.Add(FieldError.Invalid("spec.ipFamilies", "\"" + f + "\"", "not configured on this cluster"));
        }
        if (policy == "SingleStack" && families.Count > 1)
            errors.Add(FieldError.Invalid("spec.ipFamilies", "[]core.IPFamily{" + string.Join(", ", families.Select(f => "\"" + f + "\"")) + "}", "when spec.ipFamilyPolicy is SingleStack, only one ipFamily may be specified"));
        if (policy == "RequireDualStack" && (_v4 is null || _v6 is null))
            errors.Add(FieldError.Invalid("spec.ipFamilyPolicy", "\"RequireDualStack\"", "this cluster is not configured for dual-stack services"));
        if (errors.Count > 0) throw ApiException.Invalid(type, name, errors);
        spec["ipFamilyPolicy"] = policy;
        spec["ipFamilies"] = new JsonArray(families.Select(f => (JsonNode?)JsonValue.Create(f)).ToArray());

        var oldIps = (oldSpec?["clusterIPs"] as JsonArray)?.Select(n => ApiJson.Str(n) ?? "").ToList() ?? [];
        if (headless)
        {
            spec["clusterIP"] = "None";
            spec["clusterIPs"] = new JsonArray("None");
        }
        else
        {
            for (var i = 0; i < families.Count; i++)
            {
                var cidr = families[i] == "IPv4" ? _v4! : _v6!;
                if (i < clusterIps.Count && clusterIps[i].Length > 0)
                {
                    if (!IPAddress.TryParse(clusterIps[i], out var requested) || !cidr.Contains(requested))
                    {
                        errors.Add(FieldError.Invalid($"spec.clusterIPs[{i}]", "\"" + clusterIps[i] + "\"",
                            $"failed to allocate IP {clusterIps[i]}: the provided IP ({clusterIps[i]}) is not in the valid range. The range of valid IPs is {cidr.Network}/{cidr.Prefix}"));
                    }
                    else if (_ips.Contains(requested) && !oldIps.Contains(clusterIps[i]))
                    {
                        errors.Add(FieldError.Invalid($"spec.clusterIPs[{i}]", "[]string{\"" + clusterIps[i] + "\"}",
                            $"failed to allocate IP {clusterIps[i]}: provided IP is already allocated"));
                    }
                    continue;
                }
                var ip = AllocateIp(families[i] == "IPv4", clusterIps);
                if (i < clusterIps.Count) clusterIps[i] = ip;
                else clusterIps.Add(ip);
            }
            if (oldIps.Count > 0 && oldIps[0] != "None" && clusterIps.Count > 0 && clusterIps[0] != oldIps[0])
                errors.Add(FieldError.Invalid("spec.clusterIPs[0]", "\"" + clusterIps[0] + "\"", "may not change once set"));
            spec["clusterIP"] = clusterIps[0];
            spec["clusterIPs"] = new JsonArray(clusterIps.Select(s => (JsonNode?)JsonValue.Create(s)).ToArray());
        }
        spec["internalTrafficPolicy"] ??= "Cluster";

        // node ports
        var pendingPorts = new HashSet<int>();
        var oldNodePorts = oldPorts.OfType<JsonObject>().Select(p => (int)(ApiJson.Int(p["nodePort"]) ?? 0)).Where(p => p > 0)
            .Append((int)(ApiJson.Int(oldSpec?["healthCheckNodePort"]) ?? 0)).ToHashSet();
        if (svcType is "NodePort" or "LoadBalancer")
        {
            spec["externalTrafficPolicy"] ??= "Cluster";
            if (svcType == "LoadBalancer") spec["allocateLoadBalancerNodePorts"] ??= true;
            var etp = ApiJson.Str(spec["externalTrafficPolicy"]);
            if (etp is not ("Cluster" or "Local"))
                errors.Add(FieldError.NotSupported("spec.externalTrafficPolicy", "\"" + etp + "\"", ["Cluster", "Local"]));
            for (var i = 0; i < ports.Count; i++)
            {
                if (ports[i] is not JsonObject p) continue;
                if (ApiJson.Int(p["nodePort"]) is { } npl && npl != 0 && (int)npl is var np)
                {
                    if (np < _portMin || np > _portMax)
                        errors.Add(FieldError.Invalid($"spec.ports[{i}].nodePort", np.ToString(System.Globalization.CultureInfo.InvariantCulture),
                            $"provided port is not in the valid range. The range of valid ports is {_portMin}-{_portMax}"));
                    else if ((_ports.Contains(np) && !oldNodePorts.Contains(np)) || !pendingPorts.Add(np))
                        errors.Add(FieldError.Invalid($"spec.ports[{i}].nodePort", np.ToString(System.Globalization.CultureInfo.InvariantCulture), "provided port is already allocated"));
                    continue;
                }
                if (!NeedsNodePorts(spec)) continue;
                var allocated = AllocatePort(pendingPorts);
                pendingPorts.Add(allocated);
                p["nodePort"] = allocated;
            }
            if (NeedsHealthCheck(spec))
            {
                if ((ApiJson.Int(spec["healthCheckNodePort"]) ?? 0) == 0)
                {
                    var allocated = AllocatePort(pendingPorts);
                    pendingPorts.Add(allocated);
                    spec["healthCheckNodePort"] = allocated;
                }
            }
            else
            {
                spec.Remove("healthCheckNodePort");
            }
        }
        else
        {
            foreach (var p in ports.OfType<JsonObject>()) p.Remove("nodePort");
            spec.Remove("externalTrafficPolicy");
            spec.Remove("healthCheckNodePort");
            spec.Remove("allocateLoadBalancerNodePorts");
        }
        if (errors.Count > 0) throw ApiException.Invalid(type, name, errors);
    }

    private static bool NeedsNodePorts(JsonObject spec)
    {
        var t = ApiJson.Str(spec["type"]);
        return t == "NodePort" || (t == "LoadBalancer" && spec["allocateLoadBalancerNodePorts"]?.GetValue<bool>() != false);
    }

    private static bool NeedsHealthCheck(JsonObject spec) =>
        ApiJson.Str(spec["type"]) == "LoadBalancer" && ApiJson.Str(spec["externalTrafficPolicy"]) == "Local";

    private string AllocateIp(bool v4, List<string> taken)
    {
        var cidr = v4 ? _v4! : _v6!;
        ref var next = ref v4 ? ref _nextV4 : ref _nextV6;
        var usable = cidr.Size - 2;
        for (BigInteger tries = 0; tries < usable && tries < 1_000_000; tries++)
        {
            if (next < 1 || next > usable) next = 1;
            var ip = cidr.At(next);
            next++;
            if (!_ips.Contains(ip) && !taken.Contains(ip.ToString())) return ip.ToString();
        }
        throw new ApiException(500, "InternalError", $"Internal error occurred: failed to allocate a serviceIP: range is full");
    }

    private int AllocatePort(HashSet<int> pending)
    {
        for (var tries = 0; tries <= _portMax - _portMin; tries++)
        {
            if (_nextPort > _portMax) _nextPort = _portMin;
            var p = _nextPort++;
            if (!_ports.Contains(p) && !pending.Contains(p)) return p;
        }
        throw new ApiException(500, "InternalError",
            $"Internal error occurred: failed to allocate a nodePort: range is full (node port range {_portMin}-{_portMax}; " +
            "set spec.allocateLoadBalancerNodePorts: false or widen KubeApiServerOptions.NodePortRange)");
    }

    /// <summary>Records the allocations of a committed write and frees what <paramref name="old"/> held and the new one does not.</summary>
    public void Commit(JsonObject svc, JsonObject? old)
    {
        if (old is not null) Release(old);
        foreach (var ip in Ips(svc)) _ips.Add(ip);
        foreach (var p in Ports(svc)) _ports.Add(p);
    }

    public void Release(JsonObject svc)
    {
        foreach (var ip in Ips(svc)) _ips.Remove(ip);
        foreach (var p in Ports(svc)) _ports.Remove(p);
    }

    private static IEnumerable<IPAddress> Ips(JsonObject svc)
    {
        foreach (var n in svc["spec"]?["clusterIPs"] as JsonArray ?? [])
            if (IPAddress.TryParse(ApiJson.Str(n), out var ip)) yield return ip;
    }

    private static IEnumerable<int> Ports(JsonObject svc)
    {
        foreach (var p in svc["spec"]?["ports"] as JsonArray ?? [])
            if (ApiJson.Int(p?["nodePort"]) is { } n && n > 0) yield return (int)n;
        if (ApiJson.Int(svc["spec"]?["healthCheckNodePort"]) is { } hc && hc > 0) yield return (int)hc;
    }
}
