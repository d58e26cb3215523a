using System.Globalization;
using System.Text;

namespace LoadBalancer.Sandbox;

/// <summary>The Kubernetes objects the sandbox applies with kubectl, as YAML (pure).</summary>
public static class KubeObjects
{
    public const string InstallNamespace = "loadbalancer-system";
    public const string L2Pool = "sandbox-l2";
    public const string BgpPool = "sandbox-bgp";
    public const string ManagedBy = "sandbox.lb.baremetal.dev";

    /// <summary>Pools, advertisements and the BGP peer (the router).</summary>
    public static string Configuration() => $"""
        # Layer 2: IPs on the node segment; one node answers ARP for each.
        apiVersion: lb.baremetal.dev/v1beta1
        kind: IPAddressPool
        metadata:
          name: {L2Pool}
          namespace: {InstallNamespace}
        spec:
          addresses: ["{Topology.L2PoolRange}"]
          autoAssign: false
        ---
        apiVersion: lb.baremetal.dev/v1beta1
        kind: L2Advertisement
        metadata:
          name: sandbox-l2
          namespace: {InstallNamespace}
        spec:
          ipAddressPools: [{L2Pool}]
        ---
        # BGP: IPs the router learns from the nodes (ECMP over every announcing node).
        apiVersion: lb.baremetal.dev/v1beta1
        kind: IPAddressPool
        metadata:
          name: {BgpPool}
          namespace: {InstallNamespace}
        spec:
          addresses: ["{Topology.BgpPoolCidr}"]
          autoAssign: false
          avoidBuggyIPs: true
        ---
        apiVersion: lb.baremetal.dev/v1beta1
        kind: BGPPeer
        metadata:
          name: router
          namespace: {InstallNamespace}
        spec:
          myASN: {Topology.NodeAsn}
          peerASN: {Topology.RouterAsn}
          peerAddress: {Topology.RouterSegmentAddress}
          holdTime: 9s
          keepaliveTime: 3s
        ---
        apiVersion: lb.baremetal.dev/v1beta1
        kind: BGPAdvertisement
        metadata:
          name: sandbox-bgp
          namespace: {InstallNamespace}
        spec:
          ipAddressPools: [{BgpPool}]

        """;

    /// <summary>Node objects with real names, hostname labels and InternalIP addresses (status is patched separately).</summary>
    public static string Nodes(Topology topology)
    {
        var sb = new StringBuilder();
        foreach (var n in topology.Nodes)
        {
            sb.Append(CultureInfo.InvariantCulture, $"""
                ---
                apiVersion: v1
                kind: Node
                metadata:
                  name: {n.Name}
                  labels:
                    kubernetes.io/hostname: {n.Name}
                    kubernetes.io/os: linux
                spec:
                  podCIDR: {n.PodSubnet}

                """);
        }
        return sb.ToString();
    }

    /// <summary>The status a kubelet would report: Ready, and the node's segment address.</summary>
    public static string NodeStatusPatch(NodeInfo node)
        => $$"""{"status":{"addresses":[{"type":"InternalIP","address":"{{node.Address}}"},{"type":"Hostname","address":"{{node.Name}}"}],"conditions":[{"type":"Ready","status":"True","reason":"KubeletReady","message":"sandbox node"},{"type":"NetworkUnavailable","status":"False","reason":"RouteCreated","message":"sandbox"}]} }""";

    public static string DemoNamespace() => $"""
        apiVersion: v1
        kind: Namespace
        metadata:
          name: {SandboxService.Namespace}

        """;

    public static string Service(SandboxService service) => $"""
        apiVersion: v1
        kind: Service
        metadata:
          name: {service.Name}
          namespace: {SandboxService.Namespace}
          annotations:
            lb.baremetal.dev/address-pool: {service.Pool}{(service.RequestedIp is null ? "" : "\n    lb.baremetal.dev/loadBalancerIPs: " + service.RequestedIp)}
        spec:
          type: LoadBalancer
          externalTrafficPolicy: {service.Policy}
          ipFamilyPolicy: SingleStack
          ipFamilies: [IPv4]
          selector:
            app: echo
          ports:
          - name: http
            protocol: TCP
            port: {Topology.ServicePort}
            targetPort: {Topology.PodPort}

        """;

    /// <summary>The Service's EndpointSlice: one ready endpoint per backing pod, with the pod's node name.</summary>
    public static string EndpointSlice(Topology topology, SandboxService service, IEnumerable<PodInfo>? pods = null)
    {
        var backing = (pods ?? topology.Pods.Where(p => service.PodNames is null || service.PodNames.Contains(p.Name))).ToList();
        var sb = new StringBuilder();
        sb.Append(CultureInfo.InvariantCulture, $"""
            apiVersion: discovery.k8s.io/v1
            kind: EndpointSlice
            metadata:
              name: {service.Name}-sandbox
              namespace: {SandboxService.Namespace}
              labels:
                kubernetes.io/service-name: {service.Name}
                endpointslice.kubernetes.io/managed-by: {ManagedBy}
            addressType: IPv4
            ports:
            - name: http
              protocol: TCP
              port: {Topology.PodPort}

            """);
        if (backing.Count == 0) sb.Append("endpoints: []\n");
        else
        {
            sb.Append("endpoints:\n");
            foreach (var p in backing)
                sb.Append(CultureInfo.InvariantCulture, $$"""
                    - addresses: ["{{p.Address}}"]
                      conditions: {{"{"}}ready: true, serving: true, terminating: false{{"}"}}
                      nodeName: {{p.NodeName}}
                      targetRef: {{"{"}}kind: Pod, name: {{p.Name}}, namespace: {{SandboxService.Namespace}}{{"}"}}

                    """);
        }
        return sb.ToString();
    }
}
