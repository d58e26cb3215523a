using System.Net;
using LoadBalancer.Speaker.Hosting;

namespace LoadBalancer.Speaker.Tests.Hosting;

public class SpeakerCommandLineTests
{
    private static string? NoEnv(string _) => null;

    [Fact]
    public void Parse_PodCidrsAndNodeIps_ReachTheOptions()
    {
        var result = SpeakerCommandLine.Parse(["--node-name", "n1", "--pod-cidrs", "198.51.100.0/25, 2001:db8:1::/64", "--node-ips", "192.0.2.11,2001:db8::11"], NoEnv);

        Assert.Empty(result.Errors);
        Assert.Equal([IPNetwork.Parse("198.51.100.0/25"), IPNetwork.Parse("2001:db8:1::/64")], result.Options!.PodCidrs);
        Assert.Equal([IPAddress.Parse("192.0.2.11"), IPAddress.Parse("2001:db8::11")], result.Options.NodeIps);
    }

    [Fact]
    public void Parse_BadPodCidr_NamesTheFlagAndTheValue()
    {
        var result = SpeakerCommandLine.Parse(["--node-name", "n1", "--pod-cidrs", "198.51.100.0/99", "--node-ips", "nope"], NoEnv);

        Assert.Null(result.Options);
        Assert.Contains(result.Errors, e => e.Contains("--pod-cidrs", StringComparison.Ordinal) && e.Contains("198.51.100.0/99", StringComparison.Ordinal));
        Assert.Contains(result.Errors, e => e.Contains("--node-ips", StringComparison.Ordinal) && e.Contains("nope", StringComparison.Ordinal));
    }
}
