using System.Net;
using LoadBalancer.Model.Net;

namespace LoadBalancer.Model.Tests.Net;

public class IPRangeTests
{
    [Theory]
    [InlineData("192.0.2.0/24", "192.0.2.0", "192.0.2.255", "256", 24)]
    [InlineData("192.0.2.7/24", "192.0.2.0", "192.0.2.255", "256", 24)] // host bits are masked, as Go's ParseCIDR
    [InlineData(" 192.0.2.10 - 192.0.2.20 ", "192.0.2.10", "192.0.2.20", "11", null)]
    [InlineData("192.0.2.5", "192.0.2.5", "192.0.2.5", "1", 32)]
    [InlineData("192.0.2.5/32", "192.0.2.5", "192.0.2.5", "1", 32)]
    [InlineData("10.0.0.0/8", "10.0.0.0", "10.255.255.255", "16777216", 8)]
    [InlineData("0.0.0.0/0", "0.0.0.0", "255.255.255.255", "4294967296", 0)]
    [InlineData("2001:db8::/64", "2001:db8::", "2001:db8::ffff:ffff:ffff:ffff", "18446744073709551616", 64)]
    [InlineData("2001:db8::1-2001:db8::ff", "2001:db8::1", "2001:db8::ff", "255", null)]
    [InlineData("2001:db8::/128", "2001:db8::", "2001:db8::", "1", 128)]
    [InlineData("::/0", "::", "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", "340282366920938463463374607431768211455", 0)]
    public void Parse_Valid(string text, string first, string last, string count, int? prefix)
    {
        Assert.True(IPRange.TryParse(text, out var r, out var error), error);
        Assert.Equal(IPAddress.Parse(first), r.First.ToAddress());
        Assert.Equal(IPAddress.Parse(last), r.Last.ToAddress());
        Assert.Equal(UInt128.Parse(count, System.Globalization.CultureInfo.InvariantCulture), r.Count);
        Assert.Equal(prefix, r.PrefixLength);
    }

    [Theory]
    [InlineData("", "empty")]
    [InlineData("192.0.2.0/33", "prefix length")]
    [InlineData("192.0.2.0/", "prefix length")]
    [InlineData("192.0.2.0/-1", "is not an IP address")] // the dash makes it a range
    [InlineData("192.0.2/24", "not an IP address")]
    [InlineData("2001:db8::/129", "prefix length")]
    [InlineData("192.0.2.20-192.0.2.10", "is after end")]
    [InlineData("192.0.2.1-2001:db8::1", "different IP families")]
    [InlineData("banana", "not an IP address")]
    [InlineData("fe80::1%eth0/64", "not an IP address")]
    [InlineData("192.0.2.010", "not an IP address")]
    [InlineData("0xc0.0.2.1", "not an IP address")]
    [InlineData("192.0.2.0/2a", "prefix length")]
    public void Parse_Invalid_ExplainsWhy(string text, string expected)
    {
        Assert.False(IPRange.TryParse(text, out _, out var error));
        Assert.Contains(expected, error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("192.0.2.10-192.0.2.20", "192.0.2.10/31,192.0.2.12/30,192.0.2.16/30,192.0.2.20/32")]
    [InlineData("192.0.2.0-192.0.2.255", "192.0.2.0/24")]
    [InlineData("0.0.0.0-255.255.255.255", "0.0.0.0/0")]
    [InlineData("::-ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", "::/0")]
    [InlineData("2001:db8::1-2001:db8::3", "2001:db8::1/128,2001:db8::2/127")]
    public void ToCidrs_Summarises(string text, string expected)
    {
        var cidrs = IPRange.Parse(text).ToCidrs();
        Assert.Equal(expected, string.Join(",", cidrs));
    }

    [Fact]
    public void ToCidrs_CoversExactly_Property()
    {
        var rng = new Random(42);
        for (var i = 0; i < 2000; i++)
        {
            var a = (uint)rng.NextInt64(0, uint.MaxValue);
            var b = (uint)rng.NextInt64(0, uint.MaxValue);
            var r = new IPRange(IPFamily.IPv4, Math.Min(a, b), Math.Max(a, b));
            var cidrs = r.ToCidrs();
            Assert.Equal(r.Start, cidrs[0].Start);
            Assert.Equal(r.End, cidrs[^1].End);
            for (var j = 1; j < cidrs.Count; j++) Assert.Equal(cidrs[j - 1].End + 1, cidrs[j].Start);
            Assert.All(cidrs, c => Assert.NotNull(c.PrefixLength));
            Assert.True(cidrs.Count <= 62);
        }
    }

    [Fact]
    public void Overlaps_And_Contains()
    {
        var a = IPRange.Parse("192.0.2.0/25");
        Assert.True(a.Overlaps(IPRange.Parse("192.0.2.127-192.0.2.200")));
        Assert.False(a.Overlaps(IPRange.Parse("192.0.2.128/25")));
        Assert.False(a.Overlaps(IPRange.Parse("::/0")));
        Assert.True(a.Contains(IPAddress.Parse("192.0.2.100")));
        Assert.False(a.Contains(IPAddress.Parse("192.0.2.128")));
        Assert.False(a.Contains(IPAddress.Parse("::ffff:192.0.2.1")));
    }

    [Theory]
    [InlineData("192.0.2.0", true)]
    [InlineData("192.0.2.255", true)]
    [InlineData("192.0.2.1", false)]
    [InlineData("2001:db8::ff", false)]
    public void IsBuggy(string ip, bool buggy) => Assert.Equal(buggy, IPKey.FromAddress(IPAddress.Parse(ip)).IsBuggy);

    [Fact]
    public void IPKey_OrdersV4BeforeV6_ThenNumerically()
    {
        var keys = new[] { "2001:db8::1", "192.0.2.10", "192.0.2.9", "::1" }.Select(s => IPKey.FromAddress(IPAddress.Parse(s))).ToList();
        keys.Sort();
        Assert.Equal("192.0.2.9,192.0.2.10,::1,2001:db8::1", string.Join(",", keys));
    }
}
