using System.Globalization;
using System.Text.Json.Nodes;

namespace LoadBalancer.TestKit.ApiServer;

/// <summary>
/// meta.k8s.io/v1 Table responses (what <c>kubectl get</c> prints): the built-in printers' columns for the kinds
/// this project uses, CRD additionalPrinterColumns (simple JSONPath), and Name/Age for everything else.
/// </summary>
internal static class TableConverter
{
    private sealed record Column(string Name, string Type, int Priority, Func<JsonObject, JsonNode?> Cell, string Format = "", string Description = "");

    public static JsonObject Table(ResourceType type, IReadOnlyList<StoredObject> items, DateTimeOffset now, long rv, string? next, string? includeObject)
    {
        var columns = ColumnsFor(type, now);
        var defs = new JsonArray();
        foreach (var c in columns)
        {
            defs.Add(new JsonObject
            {
                ["name"] = c.Name, ["type"] = c.Type, ["format"] = c.Format,
                ["description"] = c.Description.Length > 0 ? c.Description : c.Name, ["priority"] = c.Priority,
            });
        }
        var rows = new JsonArray();
        foreach (var stored in items)
        {
            var obj = ObjectStore.ToTypeForm(type, stored);
            var cells = new JsonArray();
            foreach (var c in columns)
            {
                JsonNode? cell;
                try
                {
                    cell = c.Cell(obj);
                }
                catch (InvalidOperationException)
                {
                    cell = null;
                }
                cells.Add(cell);
            }
            var row = new JsonObject { ["cells"] = cells };
            switch (includeObject)
            {
                case "None":
                    break;
                case "Object":
                    row["object"] = obj;
                    break;
                default:
                    row["object"] = new JsonObject
                    {
                        ["kind"] = "PartialObjectMetadata",
                        ["apiVersion"] = "meta.k8s.io/v1",
                        ["metadata"] = obj["metadata"]?.DeepClone(),
                    };
                    break;
            }
            rows.Add(row);
        }
        var meta = new JsonObject { ["resourceVersion"] = rv.ToString(CultureInfo.InvariantCulture) };
        if (next is not null) meta["continue"] = next;
        return new JsonObject
        {
            ["kind"] = "Table",
            ["apiVersion"] = "meta.k8s.io/v1",
            ["metadata"] = meta,
            ["columnDefinitions"] = defs,
            ["rows"] = rows,
        };
    }

    private static string S(JsonNode? n) => ApiJson.Str(n) ?? (n is null ? "" : n.ToJsonString());

    private static Column NameColumn() => new("Name", "string", 0, o => S(o["metadata"]?["name"]), "name",
        "Name must be unique within a namespace. Is required when creating resources, although some resources may allow a client to request the generation of an appropriate name automatically. Name is primarily intended for creation idempotence and configuration definition. Cannot be updated. More info: https://kubernetes.io/docs/concepts/overview/working-with-objects/names#names");

    private static Column AgeColumn(DateTimeOffset now) => new("Age", "string", 0, o => Age(o["metadata"]?["creationTimestamp"], now), "",
        "CreationTimestamp is a timestamp representing the server time when this object was created.");

    private static string Age(JsonNode? timestamp, DateTimeOffset now)
    {
        var s = ApiJson.Str(timestamp);
        if (s is null || !DateTimeOffset.TryParse(s, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var t)) return "<unknown>";
        return HumanDuration(now - t);
    }

    /// <summary>k8s.io/apimachinery/pkg/util/duration.HumanDuration.</summary>
    public static string HumanDuration(TimeSpan d)
    {
        var inv = CultureInfo.InvariantCulture;
        if (d < TimeSpan.FromSeconds(-1)) return "<invalid>";
        if (d < TimeSpan.Zero) return "0s";
        var seconds = (long)d.TotalSeconds;
        if (seconds < 120) return string.Format(inv, "{0}s", seconds);
        var minutes = (long)d.TotalMinutes;
        if (minutes < 10)
        {
            var s = seconds % 60;
            return s == 0 ? string.Format(inv, "{0}m", minutes) : string.Format(inv, "{0}m{1}s", minutes, s);
        }
        if (minutes < 180) return string.Format(inv, "{0}m", minutes);
        var hours = (long)d.TotalHours;
        if (hours < 8)
        {
            var m = minutes % 60;
            return m == 0 ? string.Format(inv, "{0}h", hours) : string.Format(inv, "{0}h{1}m", hours, m);
        }
        if (hours < 48) return string.Format(inv, "{0}h", hours);
        if (hours < 24 * 8)
        {
            var h = hours % 24;
            return h == 0 ? string.Format(inv, "{0}d", hours / 24) : string.Format(inv, "{0}d{1}h", hours / 24, h);
        }
        if (hours < 24 * 365 * 2) return string.Format(inv, "{0}d", hours / 24);
        if (hours < 24 * 365 * 8)
        {
            var dy = hours / 24 % 365;
            return dy == 0 ? string.Format(inv, "{0}y", hours / 24 / 365) : string.Format(inv, "{0}y{1}d", hours / 24 / 365, dy);
        }
        return string.Format(inv, "{0}y", hours / 24 / 365);
    }

    private static List<Column> ColumnsFor(ResourceType type, DateTimeOffset now)
    {
        if (type.CrdName is not null)
        {
            var list = new List<Column> { NameColumn() };
            foreach (var pc in type.PrinterColumns)
            {
                var path = pc.JsonPath;
                list.Add(pc.Type == "date"
                    ? new Column(pc.Name, "date", pc.Priority, o => Age(JsonPath.Eval(o, path).FirstOrDefault(), now), pc.Format, pc.Description)
                    : new Column(pc.Name, pc.Type, pc.Priority, o => CrdCell(JsonPath.Eval(o, path), pc.Type), pc.Format, pc.Description));
            }
            return list;
        }
        var name = NameColumn();
        var age = AgeColumn(now);
        return (type.Group, type.Kind) switch
        {
            ("", "Service") =>
            [
                name,
                new("Type", "string", 0, o => S(o["spec"]?["type"])),
                new("Cluster-IP", "string", 0, o => S(o["spec"]?["clusterIP"]) is { Length: > 0 } ip ? ip : "<none>"),
                new("External-IP", "string", 0, o => ServiceExternalIp(o)),
                new("Port(s)", "string", 0, o => ServicePorts(o)),
                age,
                new("Selector", "string", 1, o => o["spec"]?["selector"] is JsonObject sel && sel.Count > 0
                    ? string.Join(",", sel.OrderBy(kv => kv.Key, StringComparer.Ordinal).Select(kv => kv.Key + "=" + S(kv.Value))) : "<none>"),
            ],
            ("", "Node") =>
            [
                name,
                new("Status", "string", 0, o => NodeStatus(o)),
                new("Roles", "string", 0, o => NodeRoles(o)),
                age,
                new("Version", "string", 0, o => S(o["status"]?["nodeInfo"]?["kubeletVersion"])),
                new("Internal-IP", "string", 1, o => NodeAddress(o, "InternalIP")),
                new("External-IP", "string", 1, o => NodeAddress(o, "ExternalIP")),
                new("OS-Image", "string", 1, o => S(o["status"]?["nodeInfo"]?["osImage"]) is { Length: > 0 } v ? v : "<unknown>"),
                new("Kernel-Version", "string", 1, o => S(o["status"]?["nodeInfo"]?["kernelVersion"]) is { Length: > 0 } v ? v : "<unknown>"),
                new("Container-Runtime", "string", 1, o => S(o["status"]?["nodeInfo"]?["containerRuntimeVersion"]) is { Length: > 0 } v ? v : "<unknown>"),
            ],
            ("", "Namespace") => [name, new("Status", "string", 0, o => S(o["status"]?["phase"])), age],
            ("", "Pod") =>
            [
                name,
                new("Ready", "string", 0, o =>
                {
                    var statuses = o["status"]?["containerStatuses"] as JsonArray ?? [];
                    var total = (o["spec"]?["containers"] as JsonArray)?.Count ?? statuses.Count;
                    return string.Create(CultureInfo.InvariantCulture, $"{statuses.Count(s => s?["ready"]?.GetValue<bool>() == true)}/{total}");
                }),
                new("Status", "string", 0, o => o["metadata"]?["deletionTimestamp"] is not null ? "Terminating" : S(o["status"]?["phase"]) is { Length: > 0 } p ? p : "Pending"),
                new("Restarts", "string", 0, o => ((o["status"]?["containerStatuses"] as JsonArray ?? []).Sum(s => ApiJson.Int(s?["restartCount"]) ?? 0)).ToString(CultureInfo.InvariantCulture)),
                age,
                new("IP", "string", 1, o => S(o["status"]?["podIP"]) is { Length: > 0 } ip ? ip : "<none>"),
                new("Node", "string", 1, o => S(o["spec"]?["nodeName"]) is { Length: > 0 } n ? n : "<none>"),
                new("Nominated Node", "string", 1, o => S(o["status"]?["nominatedNodeName"]) is { Length: > 0 } n ? n : "<none>"),
                new("Readiness Gates", "string", 1, _ => "<none>"),
            ],
            ("discovery.k8s.io", "EndpointSlice") =>
            [
                name,
                new("AddressType", "string", 0, o => S(o["addressType"])),
                new("Ports", "string", 0, o => o["ports"] is JsonArray ps && ps.Count > 0
                    ? string.Join(",", ps.Select(p => p?["port"] is null ? "<unset>" : S(p["port"]))) : "<unset>"),
                new("Endpoints", "string", 0, o => Truncated((o["endpoints"] as JsonArray ?? []).SelectMany(e => (e?["addresses"] as JsonArray ?? []).Select(S)).ToList())),
                age,
            ],
            ("", "Endpoints") =>
            [
                name,
                new("Endpoints", "string", 0, o => Truncated((o["subsets"] as JsonArray ?? []).SelectMany(s =>
                    (s?["addresses"] as JsonArray ?? []).SelectMany(a => (s!["ports"] as JsonArray ?? [new JsonObject()]).Select(p =>
                        p?["port"] is null ? S(a?["ip"]) : S(a?["ip"]) + ":" + S(p["port"])))).ToList())),
                age,
            ],
            ("coordination.k8s.io", "Lease") => [name, new("Holder", "string", 0, o => S(o["spec"]?["holderIdentity"])), age],
            ("", "ConfigMap") => [name, new("Data", "integer", 0, o => ((o["data"] as JsonObject)?.Count ?? 0) + ((o["binaryData"] as JsonObject)?.Count ?? 0)), age],
            ("", "Secret") =>
            [
                name, new("Type", "string", 0, o => S(o["type"]) is { Length: > 0 } t ? t : "Opaque"),
                new("Data", "integer", 0, o => (o["data"] as JsonObject)?.Count ?? 0), age,
            ],
            ("", "ServiceAccount") => [name, new("Secrets", "integer", 0, o => (o["secrets"] as JsonArray)?.Count ?? 0), age],
            ("", "Event") or ("events.k8s.io", "Event") =>
            [
                new("Last Seen", "string", 0, o => EventLastSeen(o, now)),
                new("Type", "string", 0, o => S(o["type"])),
                new("Reason", "string", 0, o => S(o["reason"])),
                new("Object", "string", 0, o =>
                {
                    var io = o["involvedObject"] ?? o["regarding"];
                    return S(io?["kind"]).ToLowerInvariant() + "/" + S(io?["name"]);
                }),
                new("Subobject", "string", 1, o => S((o["involvedObject"] ?? o["regarding"])?["fieldPath"])),
                new("Source", "string", 1, o => S((o["source"] ?? o["deprecatedSource"])?["component"]) is { Length: > 0 } c ? c : S(o["reportingComponent"] ?? o["reportingController"])),
                new("Message", "string", 0, o => S(o["message"] ?? o["note"]).Trim()),
                new("First Seen", "string", 1, o => Age(o["firstTimestamp"] ?? o["deprecatedFirstTimestamp"] ?? o["eventTime"], now)),
                new("Count", "string", 1, o => S(o["series"]?["count"] ?? o["count"] ?? o["deprecatedCount"]) is { Length: > 0 } c ? c : "1"),
                new("Name", "string", 1, o => S(o["metadata"]?["name"])),
            ],
            ("apps", "Deployment") =>
            [
                name,
                new("Ready", "string", 0, o => (S(o["status"]?["readyReplicas"]) is { Length: > 0 } r ? r : "0") + "/" + (S(o["spec"]?["replicas"]) is { Length: > 0 } n ? n : "1")),
                new("Up-to-date", "integer", 0, o => o["status"]?["updatedReplicas"]?.DeepClone() ?? 0),
                new("Available", "integer", 0, o => o["status"]?["availableReplicas"]?.DeepClone() ?? 0),
                age,
            ],
            ("apps", "DaemonSet") =>
            [
                name,
                new("Desired", "integer", 0, o => o["status"]?["desiredNumberScheduled"]?.DeepClone() ?? 0),
                new("Current", "integer", 0, o => o["status"]?["currentNumberScheduled"]?.DeepClone() ?? 0),
                new("Ready", "integer", 0, o => o["status"]?["numberReady"]?.DeepClone() ?? 0),
                new("Up-to-date", "integer", 0, o => o["status"]?["updatedNumberScheduled"]?.DeepClone() ?? 0),
                new("Available", "integer", 0, o => o["status"]?["numberAvailable"]?.DeepClone() ?? 0),
                new("Node Selector", "string", 0, o => o["spec"]?["template"]?["spec"]?["nodeSelector"] is JsonObject ns && ns.Count > 0
                    ? string.Join(",", ns.Select(kv => kv.Key + "=" + S(kv.Value))) : "<none>"),
                age,
            ],
            ("apiextensions.k8s.io", "CustomResourceDefinition") =>
                [name, new("Created At", "date", 0, o => S(o["metadata"]?["creationTimestamp"]))],
            _ => [name, age],
        };
    }

    private static string EventLastSeen(JsonObject o, DateTimeOffset now)
    {
        var last = o["series"]?["lastObservedTime"] ?? o["lastTimestamp"] ?? o["deprecatedLastTimestamp"] ?? o["eventTime"] ?? o["metadata"]?["creationTimestamp"];
        return Age(last, now);
    }

    private static string Truncated(List<string> values)
    {
        if (values.Count == 0) return "<none>";
        if (values.Count <= 3) return string.Join(",", values);
        return string.Join(",", values.Take(3)) + string.Create(CultureInfo.InvariantCulture, $" + {values.Count - 3} more...");
    }

    private static string ServiceExternalIp(JsonObject o)
    {
        var spec = o["spec"];
        var type = S(spec?["type"]);
        var external = (spec?["externalIPs"] as JsonArray ?? []).Select(S).ToList();
        switch (type)
        {
            case "ClusterIP" or "NodePort":
                return external.Count > 0 ? string.Join(",", external) : "<none>";
            case "LoadBalancer":
                {
                    var ingress = (o["status"]?["loadBalancer"]?["ingress"] as JsonArray ?? [])
                        .Select(i => S(i?["ip"]) is { Length: > 0 } ip ? ip : S(i?["hostname"])).Where(s => s.Length > 0).ToList();
                    var all = ingress.Concat(external).ToList();
                    return all.Count > 0 ? string.Join(",", all) : "<pending>";
                }
            case "ExternalName":
                return S(spec?["externalName"]);
            default:
                return "<unknown>";
        }
    }

    private static string ServicePorts(JsonObject o)
    {
        var ports = o["spec"]?["ports"] as JsonArray ?? [];
        if (ports.Count == 0) return "<none>";
        return string.Join(",", ports.Select(p => p?["nodePort"] is { } np && S(np) != "0"
            ? $"{S(p["port"])}:{S(np)}/{S(p["protocol"])}"
            : $"{S(p?["port"])}/{S(p?["protocol"])}"));
    }

    private static string NodeStatus(JsonObject o)
    {
        var ready = (o["status"]?["conditions"] as JsonArray ?? []).FirstOrDefault(c => S(c?["type"]) == "Ready");
        var status = ready is null ? "Unknown" : S(ready["status"]) == "True" ? "Ready" : "NotReady";
        if (o["spec"]?["unschedulable"]?.GetValue<bool>() == true) status += ",SchedulingDisabled";
        return status;
    }

    private static string NodeRoles(JsonObject o)
    {
        var roles = new List<string>();
        foreach (var (k, v) in o["metadata"]?["labels"] as JsonObject ?? [])
        {
            if (k.StartsWith("node-role.kubernetes.io/", StringComparison.Ordinal)) roles.Add(k["node-role.kubernetes.io/".Length..]);
            else if (k == "kubernetes.io/role") roles.Add(S(v));
        }
        return roles.Count == 0 ? "<none>" : string.Join(",", roles.Order(StringComparer.Ordinal));
    }

    private static string NodeAddress(JsonObject o, string type)
    {
        var a = (o["status"]?["addresses"] as JsonArray ?? []).FirstOrDefault(x => S(x?["type"]) == type);
        return a is null ? "<none>" : S(a["address"]);
    }

    private static JsonNode? CrdCell(List<JsonNode?> values, string type)
    {
        if (values.Count == 0) return null;
        if (values.Count == 1)
        {
            var v = values[0];
            return type switch
            {
                "integer" or "number" or "boolean" when v is JsonValue => v.DeepClone(),
                _ => v is JsonValue ? S(v) : v?.ToJsonString(),
            };
        }
        return string.Join(",", values.Select(v => v is JsonValue ? S(v) : v?.ToJsonString()));
    }
}
