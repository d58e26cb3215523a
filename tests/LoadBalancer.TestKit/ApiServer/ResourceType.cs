using System.Text.Json.Nodes;

namespace LoadBalancer.TestKit.ApiServer;

/// <summary>A printer column of a resource (CRD additionalPrinterColumns or a built-in's table columns).</summary>
internal sealed record PrinterColumn(string Name, string Type, string JsonPath, string Description = "", int Priority = 0, string Format = "");

/// <summary>
/// One served group/version/resource. Several types can share a storage (all served versions of a CRD;
/// core/v1 and events.k8s.io/v1 Events), converted on the way in and out.
/// </summary>
internal sealed class ResourceType
{
    public required string Group { get; init; }

    public required string Version { get; init; }

    public required string Kind { get; init; }

    public required string Plural { get; init; }

    public required bool Namespaced { get; init; }

    public string Singular { get; init; } = "";

    public IReadOnlyList<string> ShortNames { get; init; } = [];

    public IReadOnlyList<string> Categories { get; init; } = [];

    public bool HasStatus { get; init; }

    /// <summary>Status is cleared on create (Services, CRDs with a status subresource); kept for Nodes and Pods.</summary>
    public bool ResetStatusOnCreate { get; init; }

    /// <summary>Storage shared by every type with the same key.</summary>
    public required string StorageKey { get; init; }

    /// <summary>metadata.generation is kept (bumped when anything but metadata and status changes).</summary>
    public bool TracksGeneration { get; init; } = true;

    public IReadOnlyList<PrinterColumn> PrinterColumns { get; init; } = [];

    /// <summary>OpenAPI v3 schema of a CRD version; null for built-ins (not validated beyond what admission does).</summary>
    public JsonObject? Schema { get; init; }

    /// <summary>Set for CRD-backed types; the name of the CRD.</summary>
    public string? CrdName { get; init; }

    /// <summary>Converts the stored form to this type's form (events.k8s.io/v1 from core/v1); null when identical but for apiVersion.</summary>
    public Func<JsonObject, JsonObject>? FromStorage { get; init; }

    /// <summary>Converts this type's form to the stored form.</summary>
    public Func<JsonObject, JsonObject>? ToStorage { get; init; }

    /// <summary>The list merge keys used by strategic merge patch, by JSON path of the list (e.g. "spec.ports" -> "port").</summary>
    public bool SupportsStrategicMerge { get; init; }

    public string ApiVersion => Group.Length == 0 ? Version : Group + "/" + Version;

    public string ListKind => Kind + "List";

    public string QualifiedPlural => Group.Length == 0 ? Plural : Plural + "." + Group;

    public string SingularName => Singular.Length > 0 ? Singular : Kind.ToLowerInvariant();

    public IReadOnlyList<string> Verbs =>
        ["create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"];

    public override string ToString() => ApiVersion + "/" + Plural;
}
