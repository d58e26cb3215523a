using LoadBalancer.Model.Config;

namespace LoadBalancer.Model.Tests.Config;

public class KubeDurationTests
{
    [Theory]
    [InlineData("90s", 90_000)]
    [InlineData("1m30s", 90_000)]
    [InlineData("300ms", 300)]
    [InlineData("1.5s", 1_500)]
    [InlineData("1h", 3_600_000)]
    [InlineData("2h45m", 9_900_000)]
    [InlineData("0", 0)]
    [InlineData("0s", 0)]
    [InlineData("1500us", 1.5)]
    public void Parse_Valid(string text, double milliseconds)
    {
        Assert.True(KubeDuration.TryParse(text, out var value, out var error), error);
        Assert.Equal(TimeSpan.FromMilliseconds(milliseconds), value);
    }

    [Theory]
    [InlineData("", "empty")]
    [InlineData("90", "missing unit")]
    [InlineData("-5s", "negative")]
    [InlineData("5d", "unknown unit")]
    [InlineData("s", "expected a number")]
    [InlineData("1.2.3s", "bad number")]
    public void Parse_Invalid(string text, string expected)
    {
        Assert.False(KubeDuration.TryParse(text, out _, out var error));
        Assert.Contains(expected, error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(90_000, "1m30s")]
    [InlineData(300, "300ms")]
    [InlineData(0, "0s")]
    [InlineData(3_600_000, "1h0m0s")]
    [InlineData(1_500, "1.5s")]
    public void Format_LikeGo(double milliseconds, string expected)
    {
        var text = KubeDuration.Format(TimeSpan.FromMilliseconds(milliseconds));
        Assert.Equal(expected, text);
        Assert.Equal(TimeSpan.FromMilliseconds(milliseconds), KubeDuration.Parse(text));
    }
}
