using System.Text.Json.Nodes;

namespace LoadBalancer.TestKit.ApiServer;

/// <summary>
/// A field selector (<c>metadata.name=x,involvedObject.kind!=Pod</c>): only <c>=</c>, <c>==</c> and <c>!=</c>, on
/// metadata.name, metadata.namespace and the fields the real server indexes per kind (events: involvedObject.*,
/// regarding.*, reason, type, source...; pods: spec.nodeName, status.phase; secrets: type).
/// </summary>
internal sealed class FieldSelector
{
    private sealed record Requirement(string Field, bool Negate, string Value);

    private readonly List<Requirement> _requirements;

    private FieldSelector(List<Requirement> requirements) => _requirements = requirements;

    public static FieldSelector Everything { get; } = new([]);

    public bool IsEmpty => _requirements.Count == 0;

    /// <summary>True when the selector only looks at metadata.name / metadata.namespace (no parse of the object needed).</summary>
    public bool OnlyMetadata => _requirements.All(r => r.Field is "metadata.name" or "metadata.namespace");

    public static FieldSelector Parse(string? text, ResourceType type)
    {
        if (string.IsNullOrWhiteSpace(text)) return Everything;
        var list = new List<Requirement>();
        foreach (var raw in text.Split(','))
        {
            var p = raw.Trim();
            if (p.Length == 0) continue;
            string field, value;
            var negate = false;
            int i;
            if ((i = p.IndexOf("!=", StringComparison.Ordinal)) > 0) { field = p[..i]; value = p[(i + 2)..]; negate = true; }
            else if ((i = p.IndexOf("==", StringComparison.Ordinal)) > 0) { field = p[..i]; value = p[(i + 2)..]; }
            else if ((i = p.IndexOf('=', StringComparison.Ordinal)) > 0) { field = p[..i]; value = p[(i + 1)..]; }
            else throw ApiException.BadRequest($"invalid selector: '{text}'; can't understand '{p}'");
            field = field.Trim();
            if (!Supported(field, type))
                throw ApiException.BadRequest($"field label not supported: {field}");
            list.Add(new Requirement(field, negate, value.Trim()));
        }
        return new FieldSelector(list);
    }

    private static bool Supported(string field, ResourceType type)
    {
        if (field is "metadata.name" or "metadata.namespace") return true;
        if (type.Kind == "Event")
        {
            return field.StartsWith("involvedObject.", StringComparison.Ordinal) || field.StartsWith("regarding.", StringComparison.Ordinal) ||
                field is "reason" or "type" or "source" or "reportingComponent" or "reportingController" or "deprecatedSource";
        }
        if (type.Kind == "Pod") return field is "spec.nodeName" or "status.phase" or "spec.restartPolicy" or "spec.schedulerName" or "spec.serviceAccountName" or "status.podIP" or "status.nominatedNodeName" or "spec.hostNetwork";
        if (type.Kind == "Secret") return field == "type";
        if (type.Kind == "Node") return field == "spec.unschedulable";
        if (type.Kind == "Namespace") return field == "status.phase";
        return type.CrdName is null ? false : false;
    }

    public bool Matches(string ns, string name, Func<JsonObject> objectFactory)
    {
        JsonObject? obj = null;
        foreach (var r in _requirements)
        {
            string actual;
            if (r.Field == "metadata.name") actual = name;
            else if (r.Field == "metadata.namespace") actual = ns;
            else
            {
                obj ??= objectFactory();
                actual = Lookup(obj, r.Field);
            }
            if ((actual == r.Value) == r.Negate) return false;
        }
        return true;
    }

    private static string Lookup(JsonObject obj, string field)
    {
        // Events are stored in core form; selectors on regarding.* / reportingController map onto it.
        if (field.StartsWith("regarding.", StringComparison.Ordinal)) field = "involvedObject." + field["regarding.".Length..];
        if (field == "reportingController") field = "reportingComponent";
        if (field is "source" or "deprecatedSource") field = "source.component";
        JsonNode? node = obj;
        foreach (var part in field.Split('.'))
        {
            node = node is JsonObject o ? o[part] : null;
            if (node is null) return "";
        }
        return node switch
        {
            JsonValue v when v.TryGetValue<string>(out var s) => s,
            JsonValue v => v.ToJsonString(),
            _ => "",
        };
    }
}
