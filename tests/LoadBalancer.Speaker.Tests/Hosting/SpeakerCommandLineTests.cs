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

    [Theory]
    [InlineData(null, 179)]
    [InlineData("1179", 1179)]
    [InlineData("0", 0)]
    public void Parse_BgpListenPort_DefaultsTo179_ZeroTurnsItOff(string? value, int expected)
    {
        string[] args = value is null ? ["--node-name", "n1"] : ["--node-name", "n1", "--bgp-listen-port", value];
        var result = SpeakerCommandLine.Parse(args, NoEnv);
        Assert.Empty(result.Errors);
        Assert.Equal(expected, result.Options!.BgpListenPort);
    }

    [Fact]
    public void Parse_BadBgpListenPort_NamesTheFlag()
        => Assert.Contains(SpeakerCommandLine.Parse(["--node-name", "n1", "--bgp-listen-port", "70000"], NoEnv).Errors,
            e => e.Contains("--bgp-listen-port", StringComparison.Ordinal) && e.Contains("70000", StringComparison.Ordinal));
}
