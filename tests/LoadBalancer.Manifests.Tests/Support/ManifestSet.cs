using System.Text.Json;
using System.Text.Json.Nodes;
using LoadBalancer.Yaml;

namespace LoadBalancer.Manifests.Tests.Support;

/// <summary>One object from a manifest file.</summary>
internal sealed record ManifestObject(string File, int Index, JsonObject Body)
{
    public string Kind => Body["kind"]?.GetValue<string>() ?? "";
    public string Name => Body["metadata"]?["name"]?.GetValue<string>() ?? "";
    public string? Namespace => Body["metadata"]?["namespace"]?.GetValue<string>();
    public override string ToString() => $"{System.IO.Path.GetFileName(File)}#{Index} {Kind}/{Name}";
}

/// <summary>Loads manifest YAML (multi-document) into JSON trees typed like the API server would read them.</summary>
internal static class ManifestSet
{
    public static IReadOnlyList<ManifestObject> Load(string file)
    {
        if (!YamlJson.TryParse(File.ReadAllText(file), out var docs, out var error))
            throw new InvalidOperationException($"{file}: {error}");
        var result = new List<ManifestObject>();
        var i = 0;
        foreach (var doc in docs)
        {
            i++;
            if (doc is null) continue;
            result.Add(new ManifestObject(file, i, doc as JsonObject ?? throw new InvalidOperationException($"{file} document {i} is not a mapping")));
        }
        return result;
    }

    public static IEnumerable<string> YamlFiles(string dir)
        => Directory.EnumerateFiles(dir, "*.yaml", SearchOption.AllDirectories).Order(StringComparer.Ordinal);

    /// <summary>Every object the kustomization installs (CRDs, RBAC, workloads), read from the source files.</summary>
    public static IReadOnlyList<ManifestObject> Installed()
        => [.. KustomizationResources().SelectMany(f => Load(Path.Combine(Repo.Manifests, f)))];

    public static IReadOnlyList<string> KustomizationResources()
    {
        var k = Load(Path.Combine(Repo.Manifests, "kustomization.yaml")).Single().Body;
        return [.. (k["resources"] as JsonArray ?? []).Select(n => n!.GetValue<string>())];
    }

    public static IReadOnlyList<ManifestObject> Crds() => [.. Installed().Where(o => o.Kind == "CustomResourceDefinition")];

    public static string Str(this JsonNode? node) => node is JsonValue v && v.GetValueKind() == JsonValueKind.String ? v.GetValue<string>() : "";
}
