using System.Text.Json.Nodes;
using LoadBalancer.Manifests.Tests.Support;

namespace LoadBalancer.Manifests.Tests;

public sealed class ManifestParseTests
{
    public static TheoryData<string> AllFiles()
    {
        var data = new TheoryData<string>();
        foreach (var f in ManifestSet.YamlFiles(Repo.Manifests)) data.Add(Path.GetRelativePath(Repo.Manifests, f));
        return data;
    }

    [Theory]
    [MemberData(nameof(AllFiles))]
    public void Every_manifest_parses_and_every_object_has_apiVersion_kind_and_name(string relative)
    {
        var objects = ManifestSet.Load(Path.Combine(Repo.Manifests, relative));
        Assert.NotEmpty(objects);
        if (relative == "kustomization.yaml") return;
        foreach (var o in objects)
        {
            Assert.False(string.IsNullOrEmpty(o.Body["apiVersion"].Str()), $"{o}: apiVersion");
            Assert.False(string.IsNullOrEmpty(o.Kind), $"{o}: kind");
            Assert.False(string.IsNullOrEmpty(o.Name), $"{o}: metadata.name");
        }
    }

    [Fact]
    public void Kustomization_lists_every_manifest_outside_samples_and_install_yaml()
    {
        var listed = ManifestSet.KustomizationResources().Select(p => p.Replace('\\', '/')).Order(StringComparer.Ordinal).ToList();
        var onDisk = ManifestSet.YamlFiles(Repo.Manifests)
            .Select(f => Path.GetRelativePath(Repo.Manifests, f).Replace('\\', '/'))
            .Where(p => !p.StartsWith("samples/", StringComparison.Ordinal) && p is not ("install.yaml" or "kustomization.yaml"))
            .Order(StringComparer.Ordinal).ToList();
        Assert.Equal(onDisk, listed);
    }

    [Fact]
    public void Every_namespaced_object_is_in_the_install_namespace()
    {
        string[] clusterScoped = ["Namespace", "CustomResourceDefinition", "ClusterRole", "ClusterRoleBinding"];
        foreach (var o in ManifestSet.Installed())
        {
            if (clusterScoped.Contains(o.Kind)) Assert.Null(o.Namespace);
            else Assert.Equal("loadbalancer-system", o.Namespace);
        }
        foreach (var file in ManifestSet.YamlFiles(Path.Combine(Repo.Manifests, "samples")))
            foreach (var o in ManifestSet.Load(file).Where(o => o.Body["apiVersion"].Str().StartsWith("lb.baremetal.dev/", StringComparison.Ordinal)))
                Assert.Equal("loadbalancer-system", o.Namespace);
    }

    [Fact]
    public void Yaml_reader_types_plain_scalars_and_keeps_quoted_ones_as_strings()
    {
        var o = ManifestSet.Load(Path.Combine(Repo.Manifests, "samples", "bgp.yaml")).Single(x => x.Kind == "BGPPeer").Body;
        Assert.Equal(64512L, o["spec"]!["myASN"]!.GetValue<long>());
        var community = ManifestSet.Load(Path.Combine(Repo.Manifests, "samples", "bgp.yaml")).Single(x => x.Kind == "Community").Body;
        Assert.Equal("65535:65281", ((JsonArray)community["spec"]!["communities"]!)[0]!["value"].Str());
    }
}
