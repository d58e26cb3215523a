using LoadBalancer.Proto.Primitives;

namespace LoadBalancer.Proto.Tests.Ethernet;

public class MacAddressTests
{
    [Theory]
    [InlineData("02:00:00:00:00:0a", 0x02_00_00_00_00_0AUL)]
    [InlineData("ff:ff:ff:ff:ff:ff", 0xFFFF_FFFF_FFFFUL)]
    [InlineData("33-33-FF-00-00-0B", 0x3333_FF00_000BUL)]
    public void Parse_Valid_RoundTrips(string text, ulong value)
    {
        var mac = MacAddress.Parse(text);
        Assert.Equal(value, mac.Value);
        Assert.Equal(text.Replace('-', ':').ToLowerInvariant(), mac.ToString());
        Assert.True(MacAddress.TryRead(mac.ToArray(), out var read));
        Assert.Equal(mac, read);
    }

    [Theory]
    [InlineData("")]
    [InlineData("02:00:00:00:00")]
    [InlineData("02:00:00:00:00:0g")]
    [InlineData("02:00:00:00:00:0a:01")]
    [InlineData("02.00.00.00.00.0a")]
    public void TryParse_Invalid_ReturnsFalse(string text) => Assert.False(MacAddress.TryParse(text, null, out _));

    [Fact]
    public void Flags_AreFromTheFirstOctet()
    {
        Assert.True(MacAddress.Broadcast.IsBroadcast);
        Assert.True(MacAddress.Parse("33:33:00:00:00:01").IsMulticast);
        Assert.False(MacAddress.Parse("02:00:00:00:00:01").IsMulticast);
        Assert.True(MacAddress.Zero.IsZero);
    }

    [Fact]
    public void TryRead_Short_ReturnsFalse() => Assert.False(MacAddress.TryRead(new byte[5], out _));

    [Fact]
    public void ForIPv6Multicast_UsesLow32Bits()
    {
        var group = IpAddressBits.SolicitedNodeMulticast(IpAddressBits.ToUInt128(System.Net.IPAddress.Parse("2001:db8::1:200")));
        Assert.Equal(System.Net.IPAddress.Parse("ff02::1:ff01:200"), IpAddressBits.ToIPAddress(group));
        Assert.Equal("33:33:ff:01:02:00", MacAddress.ForIPv6Multicast(group).ToString());
    }
}
