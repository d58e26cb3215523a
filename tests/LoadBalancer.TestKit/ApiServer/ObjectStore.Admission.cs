using System.Text.Json.Nodes;

namespace LoadBalancer.TestKit.ApiServer;

internal sealed partial class ObjectStore
{
    /// <summary>Per-kind defaults and validation of a create or update (under the lock, before the commit).</summary>
    private void Admit(ResourceType type, JsonObject obj, JsonObject? old, string? fieldValidation)
    {
        if (type.Group.Length == 0 && type.Kind == "Service")
        {
            Services.Admit(type, obj, old);
        }
        else if (type.Group.Length == 0 && type.Kind == "Namespace")
        {
            obj["spec"] ??= new JsonObject { ["finalizers"] = new JsonArray("kubernetes") };
            if (old is null) obj["status"] = new JsonObject { ["phase"] = "Active" };
            var labels = ApiJson.Metadata(obj)["labels"] as JsonObject;
            if (labels is null) ApiJson.Metadata(obj)["labels"] = labels = new JsonObject();
            labels["kubernetes.io/metadata.name"] = ApiJson.Str(obj["metadata"]?["name"]);
        }
        else if (type.StorageKey == CrdStorage)
        {
            AdmitCrd(type, obj);
        }
        if (type.Schema is not null)
        {
            var unknown = new List<string>();
            var errors = SchemaValidator.Apply(type.Schema, obj, unknown);
            if (unknown.Count > 0 && fieldValidation == "Strict")
            {
                throw ApiException.BadRequest(
                    $"{type.Kind} in version \"{type.Version}\" cannot be handled as a {type.Kind}: strict decoding error: " +
                    string.Join(", ", unknown.Select(u => $"unknown field \"{u}\"")));
            }
            if (errors.Count > 0) throw ApiException.Invalid(type, ApiJson.Str(obj["metadata"]?["name"]) ?? "", errors);
        }
    }

    private static void AdmitStatus(ResourceType type, JsonObject obj, JsonObject old)
    {
        _ = old;
        if (type.Schema is not null)
        {
            var errors = SchemaValidator.Apply(type.Schema, obj);
            if (errors.Count > 0) throw ApiException.Invalid(type, ApiJson.Str(obj["metadata"]?["name"]) ?? "", errors);
        }
    }

    private void AdmitCrd(ResourceType type, JsonObject crd)
    {
        var name = ApiJson.Str(crd["metadata"]?["name"]) ?? "";
        var errors = new List<FieldError>();
        var spec = crd["spec"] as JsonObject;
        var group = ApiJson.Str(spec?["group"]) ?? "";
        var plural = ApiJson.Str(spec?["names"]?["plural"]) ?? "";
        var kind = ApiJson.Str(spec?["names"]?["kind"]) ?? "";
        if (group.Length == 0) errors.Add(FieldError.Required("spec.group"));
        if (plural.Length == 0) errors.Add(FieldError.Required("spec.names.plural"));
        if (kind.Length == 0) errors.Add(FieldError.Required("spec.names.kind"));
        if (plural.Length > 0 && group.Length > 0 && name != plural + "." + group)
            errors.Add(FieldError.Invalid("metadata.name", "\"" + name + "\"", "must be spec.names.plural+\".\"+spec.group"));
        var scope = ApiJson.Str(spec?["scope"]);
        if (scope is not ("Namespaced" or "Cluster")) errors.Add(FieldError.NotSupported("spec.scope", "\"" + scope + "\"", ["Cluster", "Namespaced"]));
        var versions = spec?["versions"] as JsonArray ?? [];
        if (versions.Count == 0) errors.Add(FieldError.Required("spec.versions"));
        if (versions.Count(v => v?["storage"]?.GetValue<bool>() == true) != 1)
            errors.Add(FieldError.Invalid("spec.versions", "[]apiextensions.CustomResourceDefinitionVersion{...}", "must have exactly one version marked as storage version"));
        for (var i = 0; i < versions.Count; i++)
        {
            if (versions[i]?["schema"]?["openAPIV3Schema"] is null)
                errors.Add(FieldError.Required($"spec.versions[{i}].schema.openAPIV3Schema"));
        }
        if (errors.Count > 0) throw ApiException.Invalid(type, name, errors);
        // The group, version and resource must not collide with a built-in.
        foreach (var t in ResourceRegistry.TypesFromCrd(crd))
        {
            var existing = Registry.Find(t.Group, t.Version, t.Plural);
            if (existing is not null && existing.CrdName != name)
                throw ApiException.Invalid(type, name, [FieldError.Invalid("spec.names.plural", "\"" + plural + "\"", "is already in use")]);
        }
    }
}
