using System.Text.Json.Nodes;
using LoadBalancer.Manifests.Tests.Support;

namespace LoadBalancer.Manifests.Tests;

/// <summary>The RBAC in manifests/rbac against what each component's code calls (see <see cref="ApiAccessScanner"/>).</summary>
public sealed class RbacTests
{
    /// <summary>Every permission bound to <paramref name="serviceAccount"/>, with the namespace a RoleBinding limits it to (null: a ClusterRoleBinding, everywhere).</summary>
    private static IEnumerable<(Access Access, string? Namespace)> Bound(string serviceAccount)
    {
        var objects = ManifestSet.Installed();
        foreach (var binding in objects.Where(o => o.Kind is "RoleBinding" or "ClusterRoleBinding"))
        {
            if (!((JsonArray)binding.Body["subjects"]!).Any(s => s!["kind"].Str() == "ServiceAccount" && s["name"].Str() == serviceAccount)) continue;
            var roleRef = binding.Body["roleRef"]!;
            var role = objects.Single(o => o.Kind == roleRef["kind"].Str() && o.Name == roleRef["name"].Str() && (o.Kind == "ClusterRole" || o.Namespace == binding.Namespace));
            foreach (var rule in (JsonArray)role.Body["rules"]!)
                foreach (var g in (JsonArray)rule!["apiGroups"]!)
                    foreach (var r in (JsonArray)rule["resources"]!)
                        foreach (var v in (JsonArray)rule["verbs"]!)
                            yield return (new Access(g.Str(), r.Str(), v.Str()), binding.Kind == "RoleBinding" ? binding.Namespace : null);
        }
    }

    internal static IReadOnlySet<Access> Granted(string serviceAccount) => Bound(serviceAccount).Select(b => b.Access).ToHashSet();

    /// <summary>
    /// Whether the RBAC of <paramref name="serviceAccount"/> lets it do <paramref name="verb"/> on the resource in
    /// <paramref name="namespace"/> (empty: cluster-wide or a cluster-scoped resource), as the API server decides:
    /// a ClusterRole bound by a ClusterRoleBinding applies everywhere, a Role only in its own namespace.
    /// </summary>
    internal static bool Allows(string serviceAccount, string group, string resource, string verb, string @namespace)
        => Bound(serviceAccount).Any(b => b.Access == new Access(group, resource, verb) && (b.Namespace is null || b.Namespace == @namespace));

    public static TheoryData<string, string> Components() => new()
    {
        { "controller", "loadbalancer-controller" },
        { "speaker", "loadbalancer-speaker" },
    };

    [Theory]
    [MemberData(nameof(Components))]
    public void Rbac_grants_every_call_the_code_makes(string component, string serviceAccount)
    {
        var needed = ApiAccessScanner.ForComponent(Repo.Path_(component));
        var missing = needed.Except(Granted(serviceAccount)).Select(a => a.ToString()).Order(StringComparer.Ordinal).ToList();
        Assert.True(missing.Count == 0, $"{component} calls the API without a grant in manifests/rbac/{component}.yaml: {string.Join(", ", missing)}");
    }

    [Theory]
    [MemberData(nameof(Components))]
    public void Rbac_grants_nothing_the_code_does_not_call(string component, string serviceAccount)
    {
        var needed = ApiAccessScanner.ForComponent(Repo.Path_(component));
        var extra = Granted(serviceAccount).Except(needed).Select(a => a.ToString()).Order(StringComparer.Ordinal).ToList();
        Assert.True(extra.Count == 0, $"manifests/rbac/{component}.yaml grants what the code never calls (least privilege): {string.Join(", ", extra)}");
    }

    [Fact]
    public void No_wildcards_and_no_secret_access_outside_the_install_namespace()
    {
        foreach (var role in ManifestSet.Installed().Where(o => o.Kind is "Role" or "ClusterRole"))
            foreach (var rule in (JsonArray)role.Body["rules"]!)
            {
                foreach (var field in (string[])["apiGroups", "resources", "verbs"])
                    Assert.DoesNotContain("*", ((JsonArray)rule![field]!).Select(x => x.Str()));
                if (role.Kind == "ClusterRole") Assert.DoesNotContain("secrets", ((JsonArray)rule!["resources"]!).Select(x => x.Str()));
            }
    }

    [Fact]
    public void The_scanner_finds_client_calls_informers_and_status_subresources()
    {
        var access = new HashSet<Access>();
        ApiAccessScanner.Scan("""
            await client.PatchStatusAsync(KubeResources.Services, ns, name, patch, ct);
            var informer = new Informer<IPAddressPool>(client, ModelResources.IPAddressPools, options);
            await _client.DeleteAsync(ModelResources.ServiceAnnouncements, ns, n);
                await WriteOne(ModelResources.BGPPeers, peer);
            }

            private async Task WriteOne<T>(ResourceType<T> type, T obj)
            {
                await client.PatchStatusAsync(type, obj.Metadata.Namespace, obj.Metadata.Name, patch, ct);
            }
            """, access);
        Assert.Equal(
            ["delete serviceannouncements.lb.baremetal.dev", "list ipaddresspools.lb.baremetal.dev", "patch bgppeers/status.lb.baremetal.dev", "patch services/status", "watch ipaddresspools.lb.baremetal.dev"],
            access.Select(a => a.ToString()).Order(StringComparer.Ordinal));
        // A component's own descriptor holder, and a helper that builds an informer over the descriptor it is given.
        access.Clear();
        ApiAccessScanner.Scan("""
                Informer<T> Make<T>(ResourceType<T> type, InformerOptions o, bool config) where T : class, IKubeObject
                {
                    var inf = new Informer<T>(client, type, o, time, logger);
                    return inf;
                }
                _secrets = Make(KubeResources.Secrets, local, false);
                _sessions = Make(SpeakerResources.BgpSessions, local, true);
            }
            """, access);
        Assert.Equal(
            ["list bgpsessions.lb.baremetal.dev", "list secrets", "watch bgpsessions.lb.baremetal.dev", "watch secrets"],
            access.Select(a => a.ToString()).Order(StringComparer.Ordinal));
        // A component that uses the LeaderElector needs its Lease calls.
        Assert.Contains(new Access("coordination.k8s.io", "leases", "update"), ScanLibrary("LeaderElector"));
        Assert.Contains(new Access("events.k8s.io", "events", "patch"), ScanLibrary("EventRecorder"));
    }

    private static IReadOnlySet<Access> ScanLibrary(string type)
    {
        var dir = Directory.CreateTempSubdirectory("lbscan");
        try
        {
            File.WriteAllText(Path.Combine(dir.FullName, "Uses.cs"), $"var x = new {type}(client);");
            return ApiAccessScanner.ForComponent(dir.FullName);
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }
}
