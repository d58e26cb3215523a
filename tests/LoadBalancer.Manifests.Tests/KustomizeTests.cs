using LoadBalancer.Manifests.Tests.Support;
using LoadBalancer.TestKit.Net;

namespace LoadBalancer.Manifests.Tests;

public sealed class KustomizeTests
{
    /// <summary>install.yaml = header comment lines + `kubectl kustomize manifests`. LB_UPDATE_INSTALL_YAML=1 rewrites it.</summary>
    [Fact]
    public async Task Kubectl_kustomize_succeeds_and_equals_install_yaml()
    {
        var result = await ProcessRunner.RunAsync("kubectl", ["kustomize", Repo.Manifests], TimeSpan.FromSeconds(60));
        result.EnsureSuccess();
        var installPath = Path.Combine(Repo.Manifests, "install.yaml");
        var installed = File.ReadAllLines(installPath);
        var header = installed.TakeWhile(l => l.StartsWith('#')).ToList();
        if (Environment.GetEnvironmentVariable("LB_UPDATE_INSTALL_YAML") == "1")
        {
            File.WriteAllText(installPath, string.Join('\n', header) + "\n" + result.StandardOutput.ReplaceLineEndings("\n"));
            installed = File.ReadAllLines(installPath);
        }
        var body = string.Join('\n', installed.Skip(header.Count));
        Assert.True(header.Count > 0, "install.yaml starts with a comment saying how it is rendered");
        Assert.True(body.TrimEnd() == result.StandardOutput.ReplaceLineEndings("\n").TrimEnd(),
            "manifests/install.yaml is out of step with `kubectl kustomize manifests`; rerun the Manifests tests with LB_UPDATE_INSTALL_YAML=1");
    }
}
