using System.Collections;
using System.Reflection;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using LoadBalancer.Manifests.Tests.Support;
using LoadBalancer.Model.Crds;

namespace LoadBalancer.Manifests.Tests;

/// <summary>
/// Every field of every CRD schema exists in the C# model (LoadBalancer.Model.Crds, by JSON property name) with a
/// compatible type, and every model property exists in the schema: both ways, recursively through spec and status.
/// </summary>
public sealed class ModelCrdTests
{
    public static TheoryData<string> Kinds() => [.. CrdTests.ApiKinds];

    private static Type ModelType(string kind)
        => typeof(ModelGroup).Assembly.GetType("LoadBalancer.Model.Crds." + kind)
           ?? throw new InvalidOperationException($"LoadBalancer.Model.Crds has no type for kind {kind}");

    [Theory]
    [MemberData(nameof(Kinds))]
    public void Crd_schema_and_model_have_the_same_fields_with_compatible_types(string kind)
    {
        var errors = new List<string>();
        var schemaProps = (JsonObject)CrdTests.Schema(kind)["properties"]!;
        var type = ModelType(kind);
        foreach (var part in (string[])["spec", "status"])
        {
            var prop = JsonProperties(type).GetValueOrDefault(part);
            var schema = schemaProps[part] as JsonObject;
            if (prop is null && schema is null) continue;
            if (prop is null) { errors.Add($"{kind}.{part}: in the CRD, not in the model"); continue; }
            if (schema is null) { errors.Add($"{kind}.{part}: in the model, not in the CRD"); continue; }
            Compare(prop.PropertyType, schema, $"{kind}.{part}", errors, 0);
        }
        Assert.True(errors.Count == 0, string.Join("\n", errors));
    }

    private static void Compare(Type type, JsonObject schema, string path, List<string> errors, int depth)
    {
        if (depth > 10) return;
        type = Nullable.GetUnderlyingType(type) ?? type;
        var schemaType = schema["type"].Str();
        if (type == typeof(string))
        {
            if (schemaType != "string") errors.Add($"{path}: model string, CRD {schemaType}");
            return;
        }
        if (type == typeof(DateTimeOffset) || type == typeof(DateTime))
        {
            if (schemaType != "string" || schema["format"].Str() != "date-time") errors.Add($"{path}: model time, CRD {schemaType}/{schema["format"].Str()}");
            return;
        }
        if (type == typeof(bool))
        {
            if (schemaType != "boolean") errors.Add($"{path}: model bool, CRD {schemaType}");
            return;
        }
        if (type == typeof(int) || type == typeof(uint) || type == typeof(long) || type == typeof(ulong) || type == typeof(short) || type == typeof(ushort))
        {
            if (schemaType != "integer") { errors.Add($"{path}: model {type.Name}, CRD {schemaType}"); return; }
            // The CRD's range must fit the model's type (a value the server accepts must deserialize).
            var (min, max) = type == typeof(int) ? (int.MinValue, (long)int.MaxValue) : type == typeof(uint) ? (0L, (long)uint.MaxValue)
                : type == typeof(ushort) ? (0L, (long)ushort.MaxValue) : type == typeof(short) ? (short.MinValue, (long)short.MaxValue) : (long.MinValue, long.MaxValue);
            if (type != typeof(long) && type != typeof(ulong) && (schema["minimum"] is not JsonValue lo || lo.GetValue<long>() < min || schema["maximum"] is not JsonValue hi || hi.GetValue<long>() > max))
                errors.Add($"{path}: model {type.Name} needs the CRD to bound it within [{min}, {max}]");
            return;
        }
        if (type.IsGenericType && type.GetGenericTypeDefinition() == typeof(Dictionary<,>))
        {
            if (schemaType != "object" || schema["additionalProperties"] is not JsonObject ap) { errors.Add($"{path}: model map, CRD {schemaType} without additionalProperties"); return; }
            Compare(type.GetGenericArguments()[1], ap, path + "{}", errors, depth + 1);
            return;
        }
        if (type != typeof(string) && typeof(IEnumerable).IsAssignableFrom(type))
        {
            var element = type.IsArray ? type.GetElementType()! : type.GetGenericArguments().Single();
            if (schemaType != "array" || schema["items"] is not JsonObject items) { errors.Add($"{path}: model list, CRD {schemaType}"); return; }
            Compare(element, items, path + "[]", errors, depth + 1);
            return;
        }
        if (schemaType != "object") { errors.Add($"{path}: model {type.Name} (object), CRD {schemaType}"); return; }
        var modelProps = JsonProperties(type);
        var crdProps = schema["properties"] as JsonObject ?? [];
        foreach (var (name, child) in crdProps)
        {
            if (!modelProps.TryGetValue(name, out var p)) errors.Add($"{path}.{name}: in the CRD, not in the model ({type.Name})");
            else Compare(p.PropertyType, (JsonObject)child!, $"{path}.{name}", errors, depth + 1);
        }
        foreach (var name in modelProps.Keys.Where(n => !crdProps.ContainsKey(n)))
            errors.Add($"{path}.{name}: in the model ({type.Name}), not in the CRD");
    }

    /// <summary>JSON name -> property, as the model's camelCase source-generated serializer sees it.</summary>
    private static Dictionary<string, PropertyInfo> JsonProperties(Type type)
        => type.GetProperties(BindingFlags.Public | BindingFlags.Instance)
            .Where(p => p.GetCustomAttribute<JsonExtensionDataAttribute>() is null && p.GetCustomAttribute<JsonIgnoreAttribute>() is null && p.GetIndexParameters().Length == 0)
            .ToDictionary(p => p.GetCustomAttribute<JsonPropertyNameAttribute>()?.Name ?? JsonNamingPolicy.CamelCase.ConvertName(p.Name), StringComparer.Ordinal);

    [Fact]
    public void The_comparison_catches_a_missing_field_both_ways()
    {
        var errors = new List<string>();
        var schema = (JsonObject)JsonNode.Parse("""{"type":"object","properties":{"name":{"type":"string"},"extra":{"type":"string"}}}""")!;
        Compare(typeof(CommunityAlias), schema, "x", errors, 0);
        Assert.Contains("x.extra: in the CRD, not in the model (CommunityAlias)", errors);
        Assert.Contains("x.value: in the model (CommunityAlias), not in the CRD", errors);
    }
}
