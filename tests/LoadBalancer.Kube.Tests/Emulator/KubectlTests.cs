using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using LoadBalancer.TestKit.ApiServer;
using LoadBalancer.TestKit.Net;

namespace LoadBalancer.Kube.Tests.Emulator;

/// <summary>The kubectl installed on the machine (v1.32) against the emulator, asserting on kubectl's own output.</summary>
public sealed class KubectlTests : EmulatorTest
{
    private const string ServiceYaml = """
        apiVersion: v1
        kind: Service
        metadata:
          name: web
          labels: {app: web}
        spec:
          type: LoadBalancer
          selector: {app: web}
          ports:
          - {name: http, port: 80}
          - {name: https, port: 443, targetPort: 8443}
        """;

    private Kubectl? _kubectl;

    private Kubectl K => _kubectl ??= new Kubectl(Server);

    protected override void Dispose(bool disposing)
    {
        if (disposing) _kubectl?.Dispose();
        base.Dispose(disposing);
    }

    private static string[] Lines(string text) => text.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => l.TrimEnd()).ToArray();

    [Fact]
    public async Task Create_reapply_get_describe_with_events_and_delete()
    {
        var file = K.Write("svc.yaml", ServiceYaml);
        Assert.Equal("service/web created", (await K.OkAsync("apply", "-f", file)).Trim());
        Assert.Equal("service/web unchanged", (await K.OkAsync("apply", "-f", file)).Trim());

        K.Write("svc.yaml", ServiceYaml.Replace("8443", "9443", StringComparison.Ordinal));
        Assert.Equal("service/web configured", (await K.OkAsync("apply", "-f", file)).Trim());
        var live = Server.Get("v1", "Service", "default", "web")!;
        Assert.Equal(9443, live["spec"]!["ports"]![1]!["targetPort"]!.GetValue<int>());
        Assert.Contains("last-applied-configuration", live["metadata"]!["annotations"]!.ToJsonString(), StringComparison.Ordinal);

        var get = Lines(await K.OkAsync("get", "svc"));
        Assert.Matches(@"^NAME\s+TYPE\s+CLUSTER-IP\s+EXTERNAL-IP\s+PORT\(S\)\s+AGE$", get[0]);
        Assert.Matches(@"^web\s+LoadBalancer\s+10\.96\.\d+\.\d+\s+<pending>\s+80:3\d{4}/TCP,443:3\d{4}/TCP\s+\d+s$", get[1]);
        var wide = Lines(await K.OkAsync("get", "svc", "-o", "wide"));
        Assert.EndsWith("SELECTOR", wide[0], StringComparison.Ordinal);
        Assert.EndsWith("app=web", wide[1], StringComparison.Ordinal);
        var yaml = await K.OkAsync("get", "svc", "web", "-o", "yaml");
        Assert.Contains("  clusterIP: 10.96.", yaml, StringComparison.Ordinal);
        Assert.Contains("    targetPort: 9443", yaml, StringComparison.Ordinal);
        Assert.Contains("  ipFamilyPolicy: SingleStack", yaml, StringComparison.Ordinal);

        var uid = live["metadata"]!["uid"]!.GetValue<string>();
        var now = DateTimeOffset.UtcNow;
        Server.Create(Event("web.allocated", uid, "Normal", "IPAllocated", "Assigned IP [\"192.0.2.10\"]", now, count: null));
        Server.Create(Event("web.failed", uid, "Warning", "AnnounceFailed", "no healthy speaker on node-a", now, count: 3));
        Server.Create(Event("other.event", Guid.NewGuid().ToString(), "Normal", "Unrelated", "not about web", now, count: null));

        var describe = Lines(await K.OkAsync("describe", "svc", "web"));
        Assert.Contains("Name:                     web", describe);
        Assert.Contains("Type:                     LoadBalancer", describe);
        Assert.Contains("TargetPort:               9443/TCP", describe);
        Assert.Contains("External Traffic Policy:  Cluster", describe);
        var events = Array.IndexOf(describe, "Events:");
        Assert.True(events > 0, string.Join('\n', describe));
        Assert.Matches(@"^  Type\s+Reason\s+Age\s+From\s+Message$", describe[events + 1]);
        Assert.Matches(@"^  ----\s+------\s+----\s+----\s+-------$", describe[events + 2]);
        var rows = describe[(events + 3)..];
        Assert.Equal(2, rows.Length);
        Assert.Contains(rows, r => Regex.IsMatch(r, @"^  Normal\s+IPAllocated\s+\d+s\s+lb\.baremetal\.dev/controller\s+Assigned IP \[""192\.0\.2\.10""\]$"));
        Assert.Contains(rows, r => Regex.IsMatch(r, @"^  Warning\s+AnnounceFailed\s+\d+s \(x3 over \d+s\)\s+lb\.baremetal\.dev/controller\s+no healthy speaker on node-a$"));

        var eventsTable = Lines(await K.OkAsync("get", "events"));
        Assert.Matches(@"^LAST SEEN\s+TYPE\s+REASON\s+OBJECT\s+MESSAGE$", eventsTable[0]);
        Assert.Contains(eventsTable, l => Regex.IsMatch(l, @"Warning\s+AnnounceFailed\s+service/web\s+no healthy speaker on node-a$"));

        Assert.Equal("service \"web\" deleted", (await K.OkAsync("delete", "-f", file)).Trim());
        Assert.Null(Server.Get("v1", "Service", "default", "web"));
        var missing = await K.RunAsync("get", "svc", "web");
        Assert.NotEqual(0, missing.ExitCode);
        Assert.Contains("Error from server (NotFound): services \"web\" not found", missing.StandardError, StringComparison.Ordinal);
    }

    private static JsonObject Event(string name, string uid, string type, string reason, string note, DateTimeOffset at, int? count)
    {
        var e = new JsonObject
        {
            ["apiVersion"] = "events.k8s.io/v1", ["kind"] = "Event",
            ["metadata"] = new JsonObject { ["name"] = name, ["namespace"] = "default" },
            ["eventTime"] = at.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.ffffff'Z'", System.Globalization.CultureInfo.InvariantCulture),
            ["reportingController"] = "lb.baremetal.dev/controller", ["reportingInstance"] = "controller-0",
            ["action"] = "Reconcile", ["reason"] = reason, ["note"] = note, ["type"] = type,
            ["regarding"] = new JsonObject { ["apiVersion"] = "v1", ["kind"] = "Service", ["namespace"] = "default", ["name"] = name.Split('.')[0], ["uid"] = uid },
        };
        if (count is { } c)
            e["series"] = new JsonObject { ["count"] = c, ["lastObservedTime"] = e["eventTime"]!.DeepClone() };
        return e;
    }

    [Fact]
    public async Task Crds_printer_columns_patch_label_annotate_and_server_side_apply()
    {
        Assert.Contains("customresourcedefinition.apiextensions.k8s.io/ipaddresspools.lb.baremetal.dev created",
            await K.OkAsync("apply", "-f", K.Write("crd.yaml", Crds.PoolYaml)), StringComparison.Ordinal);
        var pool = K.Write("pool.yaml", """
            apiVersion: lb.baremetal.dev/v1alpha1
            kind: IPAddressPool
            metadata: {name: pool-a}
            spec:
              addresses: [192.0.2.0/28]
            """);
        Assert.Equal("ipaddresspool.lb.baremetal.dev/pool-a created", (await K.OkAsync("apply", "-f", pool)).Trim());
        var get = Lines(await K.OkAsync("get", "ipaddresspools"));
        Assert.Matches(@"^NAME\s+ADDRESSES\s+AUTO ASSIGN\s+AGE$", get[0]);
        Assert.Matches(@"^pool-a\s+\[""192\.0\.2\.0/28""\]\s+true\s+\d+s$", get[1]);
        Assert.Matches(@"^NAME\s+ADDRESSES\s+AUTO ASSIGN\s+FREE\s+AGE$", Lines(await K.OkAsync("get", "ipp", "-o", "wide"))[0]);

        Assert.Equal("ipaddresspool.lb.baremetal.dev/pool-a patched",
            (await K.OkAsync("patch", "ipp", "pool-a", "--type", "merge", "-p", """{"spec":{"mode":"L2"}}""")).Trim());
        Assert.Equal("ipaddresspool.lb.baremetal.dev/pool-a labeled", (await K.OkAsync("label", "ipp", "pool-a", "team=net")).Trim());
        Assert.Equal("ipaddresspool.lb.baremetal.dev/pool-a annotated", (await K.OkAsync("annotate", "ipp", "pool-a", "note=hello")).Trim());
        var live = Server.Get("lb.baremetal.dev/v1alpha1", "IPAddressPool", null, "pool-a")!;
        Assert.Equal("L2", live["spec"]!["mode"]!.GetValue<string>());
        Assert.Equal("net", live["metadata"]!["labels"]!["team"]!.GetValue<string>());
        Assert.Equal("hello", live["metadata"]!["annotations"]!["note"]!.GetValue<string>());

        // Re-apply a changed file: a merge patch for a CRD, keeping what kubectl patch added.
        K.Write("pool.yaml", "apiVersion: lb.baremetal.dev/v1alpha1\nkind: IPAddressPool\nmetadata: {name: pool-a}\nspec:\n  addresses: [192.0.2.0/28, 198.51.100.0/28]\n");
        Assert.Equal("ipaddresspool.lb.baremetal.dev/pool-a configured", (await K.OkAsync("apply", "-f", pool)).Trim());
        live = Server.Get("lb.baremetal.dev/v1alpha1", "IPAddressPool", null, "pool-a")!;
        Assert.Equal(2, live["spec"]!["addresses"]!.AsArray().Count);
        Assert.Equal("L2", live["spec"]!["mode"]!.GetValue<string>());

        var invalid = await K.RunAsync("apply", "-f", K.Write("bad.yaml", "apiVersion: lb.baremetal.dev/v1alpha1\nkind: IPAddressPool\nmetadata: {name: bad}\nspec:\n  addresses: []\n  mode: L3\n"));
        Assert.NotEqual(0, invalid.ExitCode);
        Assert.Contains("The IPAddressPool \"bad\" is invalid", invalid.StandardError, StringComparison.Ordinal);
        Assert.Contains("spec.mode: Unsupported value: \"L3\": supported values: \"L2\", \"BGP\"", invalid.StandardError, StringComparison.Ordinal);

        var unknown = await K.RunAsync("apply", "-f", K.Write("unknown.yaml", "apiVersion: lb.baremetal.dev/v1alpha1\nkind: IPAddressPool\nmetadata: {name: typo}\nspec:\n  addresses: [192.0.2.0/28]\n  adresses: []\n"));
        Assert.NotEqual(0, unknown.ExitCode);
        Assert.Contains("unknown field \"spec.adresses\"", unknown.StandardError, StringComparison.Ordinal);

        var ssa = K.Write("ssa.yaml", ServiceYaml);
        Assert.Equal("service/web serverside-applied", (await K.OkAsync("apply", "--server-side", "-f", ssa)).Trim());
        K.Write("ssa.yaml", ServiceYaml.Replace("8443", "7443", StringComparison.Ordinal));
        Assert.Equal("service/web serverside-applied", (await K.OkAsync("apply", "--server-side", "-f", ssa)).Trim());
        Assert.Equal(7443, Server.Get("v1", "Service", "default", "web")!["spec"]!["ports"]![1]!["targetPort"]!.GetValue<int>());

        Assert.Contains("ipaddresspool.lb.baremetal.dev \"pool-a\" deleted", await K.OkAsync("delete", "ipp", "pool-a"), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Apply_a_kustomization()
    {
        K.Write("kust/svc.yaml", ServiceYaml);
        K.Write("kust/cm.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: settings}\ndata: {mode: l2}\n");
        K.Write("kust/ns.yaml", "apiVersion: v1\nkind: Namespace\nmetadata: {name: lb-demo}\n");
        var dir = Path.GetDirectoryName(K.Write("kust/kustomization.yaml", "namespace: lb-demo\nlabels:\n- pairs: {team: lb}\nresources: [ns.yaml, svc.yaml, cm.yaml]\n"))!;
        var output = Lines(await K.OkAsync("apply", "-k", dir));
        Assert.Equal(["namespace/lb-demo created", "configmap/settings created", "service/web created"], output);
        var svc = Server.Get("v1", "Service", "lb-demo", "web")!;
        Assert.Equal("lb", svc["metadata"]!["labels"]!["team"]!.GetValue<string>());
        Assert.Equal(["namespace/lb-demo unchanged", "configmap/settings unchanged", "service/web unchanged"], Lines(await K.OkAsync("apply", "-k", dir)));
    }

    [Fact]
    public async Task Get_watch_prints_changes_as_they_happen()
    {
        Server.Create(RawApi.Service("first"));
        // The watch ends by itself: kubectl turns --request-timeout into the watch's timeout.
        var watching = ProcessRunner.RunAsync("kubectl",
            ["--kubeconfig", K.KubeconfigPath, "--cache-dir", Path.Combine(Path.GetDirectoryName(K.KubeconfigPath)!, "cache"),
             "get", "svc", "--watch", "--request-timeout=4s"], TimeSpan.FromSeconds(30));
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (Server.OpenWatchCount == 0 && DateTime.UtcNow < deadline) await Task.Delay(50);
        Assert.Equal(1, Server.OpenWatchCount);
        Server.Create(RawApi.Service("second"));
        var result = await watching;
        var lines = Lines(result.StandardOutput);
        Assert.Matches(@"^NAME\s+TYPE\s+CLUSTER-IP", lines[0]);
        Assert.Matches(@"^first\s+ClusterIP", lines[1]);
        Assert.Contains(lines, l => Regex.IsMatch(l, @"^second\s+ClusterIP\s+10\.96\."));
    }

    [Fact]
    public async Task Kubectl_over_https_with_a_client_certificate()
    {
        await using var secure = await KubeApiServer.StartAsync(new KubeApiServerOptions { Https = true, RequireClientCertificate = true });
        using var k = new Kubectl(secure);
        var ns = Lines(await k.OkAsync("get", "namespaces"));
        Assert.Contains(ns, l => l.StartsWith("loadbalancer-system ", StringComparison.Ordinal));
        Assert.Contains("Kubernetes control plane is running at " + secure.BaseAddress.ToString().TrimEnd('/'), await k.OkAsync("cluster-info"), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Kubectl_over_https_with_a_token()
    {
        await using var secure = await KubeApiServer.StartAsync(new KubeApiServerOptions { Https = true, BearerToken = "tok-123" });
        using var k = new Kubectl(secure);
        // kubectl's generators (create configmap ...) send protobuf, which the emulator does not decode; apply sends JSON.
        var cm = k.Write("cm.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\ndata: {a: b}\n");
        Assert.Equal("configmap/c created", (await k.OkAsync("apply", "-f", cm)).Trim());
        Assert.Equal("b", (await k.OkAsync("get", "cm", "c", "-o", "jsonpath={.data.a}")).Trim());
    }
}
