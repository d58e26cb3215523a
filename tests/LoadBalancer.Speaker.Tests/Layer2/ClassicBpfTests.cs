using System.Runtime.CompilerServices;
using LoadBalancer.Speaker.Interop;

namespace LoadBalancer.Speaker.Tests.Layer2;

/// <summary>The kernel filters, run by a small classic-BPF interpreter over the captured golden frames.</summary>
public class ClassicBpfTests
{
    private static byte[] Frame(string name, [CallerFilePath] string here = "")
        => Convert.FromHexString(File.ReadAllText(Path.Combine(Path.GetDirectoryName(here)!, "..", "..", "LoadBalancer.Proto.Tests", "Ethernet", "Fixtures", name + ".hex")).Trim());

    private const byte Host = 0, Broadcast = 1, Multicast = 2, Outgoing = 4;

    [Theory]
    [InlineData("arp-request-arping", Broadcast, true)]
    [InlineData("arp-reply-kernel", Host, true)]
    [InlineData("arp-gratuitous-arping", Broadcast, true)]
    [InlineData("arp-request-arping", Outgoing, false)]
    [InlineData("ndp-ns-ndisc6", Multicast, false)]
    public void ArpProgram(string fixture, byte packetType, bool accepted)
        => Assert.Equal(accepted, ClassicBpf.Run(ClassicBpf.ArpProgram(), Frame(fixture), packetType) > 0);

    [Theory]
    [InlineData("ndp-ns-ndisc6", Multicast, true)]
    [InlineData("ndp-na-kernel", Host, true)]
    [InlineData("ndp-ns-ndisc6", Outgoing, false)]
    [InlineData("icmpv6-rs-kernel", Multicast, false)]
    [InlineData("mld-report-kernel", Multicast, false)]
    [InlineData("arp-request-arping", Broadcast, false)]
    public void NdpProgram(string fixture, byte packetType, bool accepted)
        => Assert.Equal(accepted, ClassicBpf.Run(ClassicBpf.NdpProgram(), Frame(fixture), packetType) > 0);

    [Fact]
    public void NdpProgram_DropsHopLimitBelow255()
    {
        var frame = Frame("ndp-ns-ndisc6");
        frame[21] = 64;
        Assert.Equal(0u, ClassicBpf.Run(ClassicBpf.NdpProgram(), frame, Multicast));
    }

    [Fact]
    public void Programs_NeverJumpOutOfBounds()
    {
        foreach (var program in new[] { ClassicBpf.ArpProgram(), ClassicBpf.NdpProgram() })
            for (var i = 0; i < program.Length; i++)
                if (program[i].Code == 0x15)
                {
                    Assert.True(i + 1 + program[i].JumpTrue < program.Length);
                    Assert.True(i + 1 + program[i].JumpFalse < program.Length);
                }
    }
}
