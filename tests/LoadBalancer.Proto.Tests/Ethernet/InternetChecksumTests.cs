using LoadBalancer.Proto.Primitives;

namespace LoadBalancer.Proto.Tests.Ethernet;

public class InternetChecksumTests
{
    [Fact]
    public void Compute_Rfc1071Example()
    {
        // RFC 1071 §3: 00 01 f2 03 f4 f5 f6 f7 sums to ddf2, checksum = ~ddf2 = 220d.
        Assert.Equal(0x220D, InternetChecksum.Compute([0x00, 0x01, 0xF2, 0x03, 0xF4, 0xF5, 0xF6, 0xF7]));
    }

    [Fact]
    public void Compute_OddLength_PadsWithZero()
        => Assert.Equal(InternetChecksum.Compute([0x12, 0x34, 0x56, 0x00]), InternetChecksum.Compute([0x12, 0x34, 0x56]));

    [Fact]
    public void Compute_DataWithItsChecksum_IsZero()
    {
        byte[] data = [0x45, 0x00, 0x00, 0x1C, 0x12, 0x34, 0x00, 0x00, 0x40, 0x11, 0x00, 0x00, 0xC0, 0x00, 0x02, 0x01, 0xC0, 0x00, 0x02, 0x02];
        var sum = InternetChecksum.Compute(data);
        data[10] = (byte)(sum >> 8);
        data[11] = (byte)sum;
        Assert.Equal(0, InternetChecksum.Compute(data));
    }
}
