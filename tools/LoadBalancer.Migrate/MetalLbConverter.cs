using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace LoadBalancer.Migrate;

/// <summary>
/// Rewrites MetalLB (<c>metallb.io</c> v1beta1/v1beta2) configuration objects into LoadBalancer's
/// (<c>lb.baremetal.dev/v1beta1</c>), field by field. Pure: no I/O. Every field that cannot be carried over, or is
/// carried over differently, becomes a <see cref="MigrationNote"/>; nothing is dropped silently.
/// </summary>
internal static class MetalLbConverter
{
    public const string TargetApiVersion = "lb.baremetal.dev/v1beta1";

    private static readonly HashSet<string> MetadataKept = ["name", "namespace", "labels", "annotations"];

    /// <summary>Metadata the API server writes; dropped without a note.</summary>
    private static readonly HashSet<string> MetadataServerOwned =
        ["uid", "resourceVersion", "generation", "creationTimestamp", "managedFields", "selfLink", "deletionTimestamp", "deletionGracePeriodSeconds"];

    /// <summary>Our spec fields per kind (same names and meaning as MetalLB's); the rest of MetalLB's fields are listed with the reason they are not carried.</summary>
    private static readonly Dictionary<string, (string[] Same, Dictionary<string, string> Unsupported)> Kinds = new(StringComparer.Ordinal)
    {
        ["IPAddressPool"] = (["addresses", "autoAssign", "avoidBuggyIPs", "serviceAllocation"], new()),
        ["L2Advertisement"] = (["ipAddressPools", "ipAddressPoolSelectors", "nodeSelectors", "interfaces", "serviceSelectors"], new()
        {
            ["preferredNodeSelectors"] = "preferred nodes are not supported; the elected node is chosen by hash among the nodeSelectors' nodes",
        }),
        ["BGPAdvertisement"] = (["aggregationLength", "aggregationLengthV6", "localPref", "communities", "ipAddressPools",
            "ipAddressPoolSelectors", "nodeSelectors", "peers", "serviceSelectors"], new()),
        ["BGPPeer"] = (["myASN", "peerASN", "peerAddress", "peerPort", "sourceAddress", "holdTime", "keepaliveTime", "connectTime",
            "routerID", "nodeSelectors", "password", "passwordSecret", "ebgpMultiHop", "bfdProfile", "enableGracefulRestart", "dualStackAddressFamily"], new()
        {
            ["dynamicASN"] = "dynamic ASN (internal/external) is not supported; set peerASN to the router's AS number",
            ["localASN"] = "local-as rewriting is not supported; set myASN to the AS the router expects",
            ["interface"] = "BGP unnumbered (interface peering) is not supported; set peerAddress",
            ["vrf"] = "VRF sessions are not supported; the session uses the node's main routing table",
            ["disableMP"] = "not needed: sessions always use MP-BGP for IPv4 and IPv6",
        }),
        ["BFDProfile"] = (["receiveInterval", "transmitInterval", "detectMultiplier", "echoInterval", "echoMode", "passiveMode", "minimumTtl"], new()),
        ["Community"] = (["communities"], new()),
    };

    /// <summary>MetalLB kinds written by MetalLB itself; ours are written by the speaker and controller.</summary>
    private static readonly Dictionary<string, string> StatusKinds = new(StringComparer.Ordinal)
    {
        ["ServiceL2Status"] = "written by MetalLB's speaker; LoadBalancer's speaker writes ServiceAnnouncements instead",
        ["ServiceBGPStatus"] = "written by MetalLB's speaker; LoadBalancer's speaker writes ServiceAnnouncements instead",
        ["ConfigurationState"] = "written by MetalLB; LoadBalancer reports validity in each object's Valid condition",
        ["AddressPool"] = "the pre-0.13 AddressPool kind: convert it to IPAddressPool with MetalLB's own tooling first",
    };

    public static MigrationResult Convert(IEnumerable<JsonNode?> documents, string targetNamespace)
    {
        var objects = new List<JsonObject>();
        var notes = new List<MigrationNote>();
        var index = 0;
        foreach (var doc in documents)
        {
            index++;
            foreach (var item in Expand(doc, index, notes))
            {
                var converted = ConvertOne(item.Object, item.Where, targetNamespace, notes);
                if (converted is not null) objects.Add(converted);
            }
        }
        return new MigrationResult(objects, notes);
    }

    /// <summary>Flattens <c>kind: List</c> (what <c>kubectl get -o yaml</c> prints) and skips empty documents.</summary>
    private static IEnumerable<(JsonObject Object, string Where)> Expand(JsonNode? doc, int index, List<MigrationNote> notes)
    {
        if (doc is null) yield break;
        if (doc is not JsonObject obj)
        {
            notes.Add(new(NoteKind.Dropped, $"document {index}", "", "not a Kubernetes object (expected a mapping with apiVersion and kind)"));
            yield break;
        }
        if (Str(obj, "kind") is "List" || (Str(obj, "kind")?.EndsWith("List", StringComparison.Ordinal) == true && obj["items"] is JsonArray))
        {
            var i = 0;
            foreach (var item in obj["items"] as JsonArray ?? [])
            {
                if (item is JsonObject o) yield return (o, $"document {index} item {i}");
                else notes.Add(new(NoteKind.Dropped, $"document {index} item {i}", "", "not a Kubernetes object"));
                i++;
            }
            yield break;
        }
        yield return (obj, $"document {index}");
    }

    private static JsonObject? ConvertOne(JsonObject source, string where, string targetNamespace, List<MigrationNote> notes)
    {
        var apiVersion = Str(source, "apiVersion") ?? "";
        var kind = Str(source, "kind") ?? "";
        var meta = source["metadata"] as JsonObject;
        var name = meta is null ? null : Str(meta, "name");
        var ns = meta is null ? null : Str(meta, "namespace");
        var label = $"{(kind.Length > 0 ? kind : "object")} {(ns is null ? "" : ns + "/")}{name ?? "(" + where + ")"}";

        if (kind == "Secret" && apiVersion == "v1") return ConvertSecret(source, label, targetNamespace, notes);
        if (kind == "Service" && apiVersion == "v1")
        {
            notes.Add(new(NoteKind.Dropped, label, "", "Services need no migration: their metallb.io/ and metallb.universe.tf/ annotations are honoured as they are"));
            return null;
        }
        if (!apiVersion.StartsWith("metallb.io/", StringComparison.Ordinal))
        {
            notes.Add(new(NoteKind.Dropped, label, "", $"apiVersion \"{apiVersion}\" is not a MetalLB resource; left out"));
            return null;
        }
        var version = apiVersion["metallb.io/".Length..];
        if (version is not ("v1beta1" or "v1beta2"))
        {
            notes.Add(new(NoteKind.Dropped, label, "apiVersion", $"metallb.io/{version} is not supported (v1beta1 and v1beta2 are)"));
            return null;
        }
        if (StatusKinds.TryGetValue(kind, out var why))
        {
            notes.Add(new(NoteKind.Dropped, label, "", why));
            return null;
        }
        if (!Kinds.TryGetValue(kind, out var fields))
        {
            notes.Add(new(NoteKind.Dropped, label, "kind", $"kind \"{kind}\" has no LoadBalancer equivalent"));
            return null;
        }
        if (name is null)
        {
            notes.Add(new(NoteKind.Dropped, label, "metadata.name", "the object has no name; left out"));
            return null;
        }

        var result = new JsonObject
        {
            ["apiVersion"] = TargetApiVersion,
            ["kind"] = kind,
            ["metadata"] = ConvertMetadata(meta!, label, targetNamespace, notes),
        };
        var spec = source["spec"] as JsonObject;
        var newSpec = new JsonObject();
        if (spec is not null)
        {
            foreach (var (field, value) in spec)
            {
                if (fields.Same.Contains(field)) newSpec[field] = value?.DeepClone();
                else if (fields.Unsupported.TryGetValue(field, out var reason)) notes.Add(new(NoteKind.Dropped, label, "spec." + field, reason));
                else notes.Add(new(NoteKind.Dropped, label, "spec." + field, "unknown field"));
            }
        }
        else if (source["spec"] is not null) notes.Add(new(NoteKind.Dropped, label, "spec", "spec is not a mapping"));

        if (kind == "BGPPeer") AdjustPeer(newSpec, label, targetNamespace, notes);
        result["spec"] = newSpec;

        foreach (var (field, _) in source)
            if (field is not ("apiVersion" or "kind" or "metadata" or "spec" or "status"))
                notes.Add(new(NoteKind.Dropped, label, field, "unknown top-level field"));
        return result;
    }

    private static void AdjustPeer(JsonObject spec, string label, string targetNamespace, List<MigrationNote> notes)
    {
        // MetalLB derives a missing hold time as 3 x keepalive; ours defaults to 90s, so write MetalLB's value.
        if (spec["keepaliveTime"] is JsonValue ka && spec["holdTime"] is null && TryParseDuration(Str(spec, "keepaliveTime"), out var keepalive))
        {
            var hold = FormatDuration(keepalive * 3);
            spec["holdTime"] = hold;
            notes.Add(new(NoteKind.Changed, label, "spec.holdTime", $"set to {hold} (3 x keepaliveTime {ka}), the value MetalLB derived"));
        }
        if (spec["passwordSecret"] is JsonObject secret && Str(secret, "namespace") is { } secretNs && secretNs != targetNamespace)
        {
            secret["namespace"] = targetNamespace;
            notes.Add(new(NoteKind.Changed, label, "spec.passwordSecret.namespace",
                $"\"{secretNs}\" -> \"{targetNamespace}\": the Secret must live in the install namespace (this tool migrates Secrets given to it)"));
        }
    }

    private static JsonObject ConvertSecret(JsonObject source, string label, string targetNamespace, List<MigrationNote> notes)
    {
        var copy = (JsonObject)source.DeepClone();
        copy["metadata"] = ConvertMetadata(source["metadata"] as JsonObject ?? [], label, targetNamespace, notes);
        return copy;
    }

    private static JsonObject ConvertMetadata(JsonObject meta, string label, string targetNamespace, List<MigrationNote> notes)
    {
        var result = new JsonObject();
        foreach (var (field, value) in meta)
        {
            if (field == "namespace")
            {
                var ns = value?.ToString();
                if (ns != targetNamespace && ns != "metallb-system")
                    notes.Add(new(NoteKind.Changed, label, "metadata.namespace", $"\"{ns}\" -> \"{targetNamespace}\": every object lives in the install namespace"));
                continue;
            }
            if (field == "annotations" && value is JsonObject annotations)
            {
                var kept = new JsonObject();
                foreach (var (key, v) in annotations)
                {
                    if (key == "kubectl.kubernetes.io/last-applied-configuration") continue;
                    kept[key] = v?.DeepClone();
                }
                if (kept.Count > 0) result["annotations"] = kept;
                continue;
            }
            if (MetadataKept.Contains(field)) result[field] = value?.DeepClone();
            else if (!MetadataServerOwned.Contains(field))
                notes.Add(new(NoteKind.Dropped, label, "metadata." + field, "not carried over (owner references and finalizers point at MetalLB's objects)"));
        }
        result["namespace"] = targetNamespace;
        // Keep name first for readability.
        var ordered = new JsonObject();
        foreach (var key in (string[])["name", "namespace", "labels", "annotations"])
            if (result[key] is { } v) ordered[key] = v.DeepClone();
        return ordered;
    }

    private static string? Str(JsonObject obj, string key)
        => obj[key] is JsonValue v && v.GetValueKind() == JsonValueKind.String ? v.GetValue<string>() : null;

    /// <summary>Parses a Go duration ("90s", "1m30s", "500ms").</summary>
    internal static bool TryParseDuration(string? text, out TimeSpan value)
    {
        value = TimeSpan.Zero;
        if (string.IsNullOrEmpty(text)) return false;
        var total = 0.0;
        var i = 0;
        while (i < text.Length)
        {
            var start = i;
            while (i < text.Length && (char.IsAsciiDigit(text[i]) || text[i] == '.')) i++;
            if (start == i || !double.TryParse(text.AsSpan(start, i - start), NumberStyles.Float, CultureInfo.InvariantCulture, out var n)) return false;
            var unitStart = i;
            while (i < text.Length && !char.IsAsciiDigit(text[i]) && text[i] != '.') i++;
            var ms = text[unitStart..i] switch
            {
                "h" => 3_600_000.0, "m" => 60_000.0, "s" => 1000.0, "ms" => 1.0, "us" or "µs" => 0.001, "ns" => 0.000001, _ => double.NaN,
            };
            if (double.IsNaN(ms)) return false;
            total += n * ms;
        }
        value = TimeSpan.FromMilliseconds(total);
        return true;
    }

    internal static string FormatDuration(TimeSpan value)
        => value.TotalMilliseconds % 1000 == 0
            ? ((long)value.TotalSeconds).ToString(CultureInfo.InvariantCulture) + "s"
            : ((long)value.TotalMilliseconds).ToString(CultureInfo.InvariantCulture) + "ms";
}
