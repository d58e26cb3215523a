using System.Text.Json;
using System.Text.Json.Serialization;
using LoadBalancer.Kube.Api;

namespace LoadBalancer.Kube.Tests.Http;

/// <summary>A custom resource defined outside LoadBalancer.Kube, with its own JSON context: the generic CRD path.</summary>
public sealed class Widget : IKubeObjectWithStatus<WidgetStatus>
{
    public string? ApiVersion { get; set; } = "test.example.com/v1";
    public string? Kind { get; set; } = "Widget";
    public ObjectMeta Metadata { get; set; } = new();
    public WidgetSpec? Spec { get; set; }
    public WidgetStatus? Status { get; set; }
    [JsonExtensionData] public Dictionary<string, JsonElement>? Extra { get; set; }
}

public sealed class WidgetSpec
{
    public int Size { get; set; }
    public string? Color { get; set; }
}

public sealed class WidgetStatus
{
    public string? Phase { get; set; }
}

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(Widget))]
[JsonSerializable(typeof(KubeList<Widget>))]
[JsonSerializable(typeof(WatchEvent<Widget>))]
internal sealed partial class WidgetJsonContext : JsonSerializerContext;

internal static class Widgets
{
    public static readonly ResourceType<Widget> Type = new("test.example.com", "v1", "widgets", "Widget", namespaced: true,
        WidgetJsonContext.Default.Widget, WidgetJsonContext.Default.KubeListWidget, WidgetJsonContext.Default.WatchEventWidget);

    public const string Crd = """
        apiVersion: apiextensions.k8s.io/v1
        kind: CustomResourceDefinition
        metadata:
          name: widgets.test.example.com
        spec:
          group: test.example.com
          scope: Namespaced
          names: {plural: widgets, singular: widget, kind: Widget, listKind: WidgetList}
          versions:
          - name: v1
            served: true
            storage: true
            subresources: {status: {}}
            schema:
              openAPIV3Schema:
                type: object
                x-kubernetes-preserve-unknown-fields: true
        """;
}
