using System.Collections.Frozen;
using System.Text.Json.Nodes;

namespace LoadBalancer.TestKit.ApiServer;

/// <summary>The served resources: the built-in table plus whatever CustomResourceDefinitions register. Copy on write.</summary>
internal sealed class ResourceRegistry
{
    private readonly Lock _gate = new();
    private Snapshot _snapshot;

    public ResourceRegistry()
    {
        _snapshot = new Snapshot(BuiltIns());
    }

    private sealed class Snapshot
    {
        public Snapshot(IReadOnlyList<ResourceType> types)
        {
            Types = types;
            ByPath = types.ToFrozenDictionary(t => Key(t.Group, t.Version, t.Plural));
            ByKind = types.GroupBy(t => t.ApiVersion + "|" + t.Kind).ToFrozenDictionary(g => g.Key, g => g.First());
        }

        public IReadOnlyList<ResourceType> Types { get; }

        public FrozenDictionary<string, ResourceType> ByPath { get; }

        public FrozenDictionary<string, ResourceType> ByKind { get; }
    }

    private static string Key(string group, string version, string plural) => group + "/" + version + "/" + plural;

    public IReadOnlyList<ResourceType> All => Volatile.Read(ref _snapshot).Types;

    public ResourceType? Find(string group, string version, string plural) =>
        Volatile.Read(ref _snapshot).ByPath.GetValueOrDefault(Key(group, version, plural));

    public ResourceType? FindKind(string apiVersion, string kind) =>
        Volatile.Read(ref _snapshot).ByKind.GetValueOrDefault(apiVersion + "|" + kind);

    /// <summary>All types sharing a storage (every served version of a CRD, both Event APIs).</summary>
    public IEnumerable<ResourceType> SharingStorage(string storageKey) => All.Where(t => t.StorageKey == storageKey);

    /// <summary>Registers (or re-registers) the types a CRD serves; returns the storage key.</summary>
    public void RegisterCrd(string crdName, IReadOnlyList<ResourceType> types)
    {
        lock (_gate)
        {
            var rest = _snapshot.Types.Where(t => t.CrdName != crdName).ToList();
            rest.AddRange(types);
            Volatile.Write(ref _snapshot, new Snapshot(rest));
        }
    }

    public void UnregisterCrd(string crdName)
    {
        lock (_gate)
        {
            Volatile.Write(ref _snapshot, new Snapshot(_snapshot.Types.Where(t => t.CrdName != crdName).ToList()));
        }
    }

    /// <summary>Builds the served types of a CRD object; throws 422 for an unusable CRD.</summary>
    public static IReadOnlyList<ResourceType> TypesFromCrd(JsonObject crd)
    {
        var name = crd["metadata"]?["name"]?.GetValue<string>() ?? "";
        var spec = crd["spec"] as JsonObject ?? throw new ApiException(422, "Invalid", $"CustomResourceDefinition \"{name}\" is invalid: spec: Required value");
        var group = spec["group"]?.GetValue<string>() ?? "";
        var names = spec["names"] as JsonObject ?? new JsonObject();
        var plural = names["plural"]?.GetValue<string>() ?? "";
        var kind = names["kind"]?.GetValue<string>() ?? "";
        var scope = spec["scope"]?.GetValue<string>() ?? "Namespaced";
        var shortNames = (names["shortNames"] as JsonArray)?.Select(n => n!.GetValue<string>()).ToList() ?? [];
        var categories = (names["categories"] as JsonArray)?.Select(n => n!.GetValue<string>()).ToList() ?? [];
        var singular = names["singular"]?.GetValue<string>() ?? kind.ToLowerInvariant();
        var result = new List<ResourceType>();
        foreach (var v in spec["versions"] as JsonArray ?? [])
        {
            if (v is not JsonObject version) continue;
            if (version["served"]?.GetValue<bool>() == false) continue;
            var columns = new List<PrinterColumn>();
            foreach (var c in version["additionalPrinterColumns"] as JsonArray ?? [])
            {
                if (c is not JsonObject col) continue;
                columns.Add(new PrinterColumn(
                    col["name"]?.GetValue<string>() ?? "",
                    col["type"]?.GetValue<string>() ?? "string",
                    col["jsonPath"]?.GetValue<string>() ?? "",
                    col["description"]?.GetValue<string>() ?? "",
                    (int)(ApiJson.Int(col["priority"]) ?? 0),
                    col["format"]?.GetValue<string>() ?? ""));
            }
            if (columns.Count == 0)
                columns.Add(new PrinterColumn("Age", "date", ".metadata.creationTimestamp"));
            var hasStatus = version["subresources"]?["status"] is not null;
            result.Add(new ResourceType
            {
                Group = group,
                Version = version["name"]?.GetValue<string>() ?? "",
                Kind = kind,
                Plural = plural,
                Singular = singular,
                Namespaced = scope != "Cluster",
                ShortNames = shortNames,
                Categories = categories,
                HasStatus = hasStatus,
                ResetStatusOnCreate = hasStatus,
                StorageKey = group + "/" + plural,
                PrinterColumns = columns,
                Schema = version["schema"]?["openAPIV3Schema"]?.DeepClone() as JsonObject,
                CrdName = name,
            });
        }
        return result;
    }

    private static List<ResourceType> BuiltIns()
    {
        var list = new List<ResourceType>();

        void Add(string group, string version, string kind, string plural, bool namespaced, string[]? shortNames = null,
            bool status = false, bool resetStatus = false, string[]? categories = null, bool generation = true, string? storage = null,
            Func<JsonObject, JsonObject>? from = null, Func<JsonObject, JsonObject>? to = null, bool strategic = true)
        {
            list.Add(new ResourceType
            {
                Group = group,
                Version = version,
                Kind = kind,
                Plural = plural,
                Namespaced = namespaced,
                ShortNames = shortNames ?? [],
                HasStatus = status,
                ResetStatusOnCreate = resetStatus,
                Categories = categories ?? [],
                TracksGeneration = generation,
                StorageKey = storage ?? group + "/" + plural,
                FromStorage = from,
                ToStorage = to,
                SupportsStrategicMerge = strategic,
            });
        }

        string[] all = ["all"];
        Add("", "v1", "Service", "services", true, ["svc"], status: true, resetStatus: true, categories: all, generation: false);
        Add("", "v1", "Endpoints", "endpoints", true, ["ep"], generation: false);
        Add("", "v1", "Node", "nodes", false, ["no"], status: true, generation: false);
        Add("", "v1", "Namespace", "namespaces", false, ["ns"], status: true, generation: false);
        Add("", "v1", "Secret", "secrets", true, generation: false);
        Add("", "v1", "Pod", "pods", true, ["po"], status: true, categories: all, generation: false);
        Add("", "v1", "ConfigMap", "configmaps", true, ["cm"], generation: false);
        Add("", "v1", "ServiceAccount", "serviceaccounts", true, ["sa"], generation: false);
        Add("", "v1", "Event", "events", true, ["ev"], generation: false, storage: "/events");
        Add("discovery.k8s.io", "v1", "EndpointSlice", "endpointslices", true, generation: false);
        Add("coordination.k8s.io", "v1", "Lease", "leases", true, generation: false);
        Add("events.k8s.io", "v1", "Event", "events", true, generation: false, storage: "/events",
            from: EventConversion.CoreToEvents, to: EventConversion.EventsToCore);
        Add("apiextensions.k8s.io", "v1", "CustomResourceDefinition", "customresourcedefinitions", false, ["crd", "crds"],
            status: true, resetStatus: true, categories: ["api-extensions"]);
        Add("rbac.authorization.k8s.io", "v1", "Role", "roles", true, generation: false);
        Add("rbac.authorization.k8s.io", "v1", "RoleBinding", "rolebindings", true, generation: false);
        Add("rbac.authorization.k8s.io", "v1", "ClusterRole", "clusterroles", false, generation: false);
        Add("rbac.authorization.k8s.io", "v1", "ClusterRoleBinding", "clusterrolebindings", false, generation: false);
        Add("apps", "v1", "Deployment", "deployments", true, ["deploy"], status: true, resetStatus: true, categories: all);
        Add("apps", "v1", "DaemonSet", "daemonsets", true, ["ds"], status: true, resetStatus: true, categories: all);
        Add("policy", "v1", "PodDisruptionBudget", "poddisruptionbudgets", true, ["pdb"], status: true, resetStatus: true);
        return list;
    }
}
