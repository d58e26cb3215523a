using System.Text.Json.Nodes;

namespace LoadBalancer.Kube.Tests.Emulator;

/// <summary>A CRD like the project's own (group lb.baremetal.dev), for emulator tests.</summary>
internal static class Crds
{
    public const string PoolYaml = """
        apiVersion: apiextensions.k8s.io/v1
        kind: CustomResourceDefinition
        metadata:
          name: ipaddresspools.lb.baremetal.dev
        spec:
          group: lb.baremetal.dev
          scope: Cluster
          names: {plural: ipaddresspools, singular: ipaddresspool, kind: IPAddressPool, listKind: IPAddressPoolList, shortNames: [ipp], categories: [loadbalancer]}
          versions:
          - name: v1alpha1
            served: true
            storage: true
            subresources: {status: {}}
            additionalPrinterColumns:
            - {name: Addresses, type: string, jsonPath: .spec.addresses}
            - {name: Auto Assign, type: boolean, jsonPath: .spec.autoAssign}
            - {name: Free, type: integer, jsonPath: .status.free, priority: 1}
            - {name: Age, type: date, jsonPath: .metadata.creationTimestamp}
            schema:
              openAPIV3Schema:
                type: object
                properties:
                  spec:
                    type: object
                    required: [addresses]
                    properties:
                      addresses:
                        type: array
                        minItems: 1
                        maxItems: 4
                        items: {type: string, format: cidr}
                      autoAssign: {type: boolean, default: true}
                      mode: {type: string, enum: [L2, BGP]}
                      name: {type: string, pattern: '^[a-z]+$', minLength: 2, maxLength: 8}
                      priority: {type: integer, minimum: 0, maximum: 10}
                      gateway: {type: string, format: ipv4}
                      labels: {type: object, additionalProperties: {type: string}}
                      extra: {type: object, x-kubernetes-preserve-unknown-fields: true}
                      port: {x-kubernetes-int-or-string: true}
                  status:
                    type: object
                    properties:
                      free: {type: integer, minimum: 0}
        """;

    public const string NamespacedYaml = """
        apiVersion: apiextensions.k8s.io/v1
        kind: CustomResourceDefinition
        metadata:
          name: widgets.example.dev
        spec:
          group: example.dev
          scope: Namespaced
          names: {plural: widgets, singular: widget, kind: Widget}
          versions:
          - name: v1
            served: true
            storage: true
            schema:
              openAPIV3Schema: {type: object, x-kubernetes-preserve-unknown-fields: true}
          - name: v1beta1
            served: true
            storage: false
            schema:
              openAPIV3Schema: {type: object, x-kubernetes-preserve-unknown-fields: true}
        """;

    public static JsonObject Pool(string name, JsonObject spec) => new()
    {
        ["apiVersion"] = "lb.baremetal.dev/v1alpha1",
        ["kind"] = "IPAddressPool",
        ["metadata"] = new JsonObject { ["name"] = name },
        ["spec"] = spec,
    };
}
