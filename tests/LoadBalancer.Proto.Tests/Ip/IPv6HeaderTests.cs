using System.Buffers;
using System.Net;
using LoadBalancer.Proto.Ip;
using LoadBalancer.Proto.Primitives;
using LoadBalancer.Proto.Tests.Ethernet;

namespace LoadBalancer.Proto.Tests.Ip;

public class IPv6HeaderTests
{
    private static UInt128 Ip(string s) => IpAddressBits.ToUInt128(IPAddress.Parse(s));

    [Theory]
    [InlineData((byte)0, 0u, (byte)58, (byte)255)]
    [InlineData((byte)0xFF, 0xF_FFFFu, (byte)0, (byte)1)]
    [InlineData((byte)0x2E, 0xAA97Cu, (byte)17, (byte)64)]
    public void RoundTrip(byte trafficClass, uint flowLabel, byte nextHeader, byte hopLimit)
    {
        var header = new IPv6Header(trafficClass, flowLabel, 0, nextHeader, hopLimit, Ip("2001:db8::a"), Ip("ff02::1:ff00:b"));
        var bytes = new byte[IPv6Header.Length];
        Assert.True(header.TryWrite(bytes, out _));
        Assert.Equal(OperationStatus.Done, IPv6Header.TryRead(bytes, out var read, out var consumed));
        Assert.Equal(header, read);
        Assert.Equal(40, consumed);
    }

    [Fact]
    public void Golden_Ndisc6Solicitation()
    {
        var packet = L2Fixtures.Load("ndp-ns-ndisc6")[14..];
        Assert.Equal(OperationStatus.Done, IPv6Header.TryRead(packet, out var header, out _));
        Assert.Equal(new IPv6Header(0, 0xAA97C, 32, 58, 255, Ip("fe80::ff:fe00:a"), Ip("ff02::1:ff00:b")), header);
        var written = new byte[40];
        header.TryWrite(written, out _);
        Assert.Equal(packet[..40], written);
    }

    [Fact]
    public void Truncation_EveryPrefix_NeedMoreData()
    {
        var packet = L2Fixtures.Load("ndp-na-kernel")[14..];
        for (var n = 0; n < packet.Length; n++)
            Assert.Equal(OperationStatus.NeedMoreData, IPv6Header.TryRead(packet.AsSpan(0, n), out _, out _));
    }

    [Fact]
    public void Rejects_Version4() => Assert.Equal(OperationStatus.InvalidData, IPv6Header.TryRead(new byte[] { 0x45, 0, 0, 20 }, out _, out _));

    [Fact]
    [Trait("Category", "Fuzz")]
    public void Fuzz_NeverThrows_AndAcceptedReencodes()
    {
        byte[][] seeds = [L2Fixtures.Load("ndp-ns-ndisc6")[14..], L2Fixtures.Load("mld-report-kernel")[14..]];
        MutationFuzz.Run(6003, seeds, input =>
        {
            if (IPv6Header.TryRead(input, out var header, out _) != OperationStatus.Done) return;
            var bytes = new byte[40];
            header.TryWrite(bytes, out _);
            Assert.Equal(input.AsSpan(0, 40).ToArray(), bytes);
        });
    }
}
