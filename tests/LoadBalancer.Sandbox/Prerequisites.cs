using LoadBalancer.TestKit.Net;

namespace LoadBalancer.Sandbox;

/// <summary>Checks what the sandbox needs before touching anything, with one line saying what to install.</summary>
public static class Prerequisites
{
    public static IReadOnlyList<string> Missing(SandboxOptions options)
    {
        var missing = new List<string>();
        if (!Environment.IsPrivilegedProcess) missing.Add("run as root (the sandbox creates network namespaces): sudo -E <the same command>");
        var tools = new List<(string Tool, string Package)>
        {
            ("ip", "iproute2"), ("nft", "nftables"), ("socat", "socat"), ("curl", "curl"), ("sysctl", "procps"), ("setsid", "util-linux"),
            ("kubectl", "kubectl (https://kubernetes.io/docs/tasks/tools/)"), ("dotnet", "the .NET 10 SDK"),
        };
        tools.Add(options.Router switch
        {
            RouterKind.Bird => ("bird", "bird2"),
            RouterKind.Frr => ("/usr/lib/frr/bgpd", "frr"),
            _ => ("gobgpd", "gobgpd"),
        });
        if (options.Router == RouterKind.Frr) tools.Add(("vtysh", "frr"));
        if (options.Router == RouterKind.GoBgp) tools.Add(("gobgp", "gobgpd"));
        if (options.Router == RouterKind.Bird) tools.Add(("birdc", "bird2"));
        foreach (var (tool, package) in tools)
        {
            try { ProcessRunner.Require(tool); }
            catch (InvalidOperationException)
            {
                var line = $"needs `{Path.GetFileName(tool)}`: apt-get install {package}";
                if (!missing.Any(m => m.EndsWith("apt-get install " + package, StringComparison.Ordinal))) missing.Add(line); // bird and birdc: one line for bird2
            }
        }
        return missing;
    }
}
