using System.Globalization;
using LoadBalancer.Sandbox;

namespace LoadBalancer.EndToEnd.Tests;

/// <summary>The sandbox's API side: the emulator as its own process, the kubeconfig, the relays into node namespaces, the install applied with kubectl.</summary>
[Collection("sandbox")]
public sealed class SandboxApiTests
{
    [Fact]
    public async Task Emulator_kubeconfig_works_from_the_root_and_every_node_namespace_and_the_install_is_applied()
    {
        var lab = new SandboxLab(new SandboxOptions
        {
            Prefix = "lbe" + (Environment.ProcessId % 100000).ToString(CultureInfo.InvariantCulture) + "a",
            StateDir = Path.Combine(Path.GetTempPath(), $"lbe-{Environment.ProcessId}-a"),
            ApiPort = SandboxPorts.Api(0),
            Nodes = 2, StartLoadBalancer = false, DemoServices = false,
        });
        try
        {
            await lab.UpAsync().WaitAsync(TimeSpan.FromSeconds(180));
            Assert.True(File.Exists(lab.Kubeconfig));
            var crds = await lab.Kubectl("get", "crds", "-o", "name");
            Assert.Contains("ipaddresspools.lb.baremetal.dev", crds, StringComparison.Ordinal);
            var nodes = await lab.Kubectl("get", "nodes", "-o", "name");
            Assert.Contains("node/node1", nodes, StringComparison.Ordinal);
            Assert.Contains("node/node2", nodes, StringComparison.Ordinal);
            Assert.Contains("sandbox-bgp", await lab.Kubectl("get", "ipaddresspools", "-n", KubeObjects.InstallNamespace), StringComparison.Ordinal);
            // What a speaker sees from inside its node namespace.
            foreach (var node in lab.Topology.Nodes)
            {
                var r = await Shell.TryInNs(node.Namespace, TimeSpan.FromSeconds(60), "kubectl", "--kubeconfig", lab.Kubeconfig, "get", "bgppeers", "-n", KubeObjects.InstallNamespace, "-o", "name");
                Assert.True(r.ExitCode == 0, r.StandardError);
                Assert.Contains("bgppeer.lb.baremetal.dev/router", r.StandardOutput, StringComparison.Ordinal);
            }
            // A Service and its EndpointSlice with real node names.
            var svc = new SandboxService("probe", Announce.Bgp, LocalPolicy: true);
            await lab.ApplyServiceAsync(svc);
            var slice = await lab.Kubectl("get", "endpointslices", "-n", SandboxService.Namespace, "-l", "kubernetes.io/service-name=probe", "-o", "jsonpath={.items[0].endpoints[*].nodeName}");
            Assert.Equal("node1 node1", slice.Trim());
            Assert.Null(await lab.ServiceIpAsync("probe")); // no controller in this test
        }
        finally
        {
            await lab.DownAsync().WaitAsync(TimeSpan.FromSeconds(60));
        }
        Assert.False(Directory.Exists(lab.StateDir));
    }
}
