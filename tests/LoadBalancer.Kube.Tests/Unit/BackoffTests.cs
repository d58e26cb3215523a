namespace LoadBalancer.Kube.Tests.Unit;

public class BackoffTests
{
    [Theory]
    [InlineData(0, 100)]
    [InlineData(1, 200)]
    [InlineData(3, 800)]
    [InlineData(10, 1000)]
    [InlineData(1000, 1000)]
    [InlineData(int.MaxValue, 1000)]
    public void Exponential_doubles_and_caps(int failures, int expectedMs)
        => Assert.Equal(TimeSpan.FromMilliseconds(expectedMs), Backoff.Exponential(TimeSpan.FromMilliseconds(100), TimeSpan.FromSeconds(1), failures));

    [Fact]
    public void Jittered_stays_within_base_and_base_times_one_plus_jitter()
    {
        var random = new Random(1);
        var seen = new HashSet<TimeSpan>();
        for (var i = 0; i < 1000; i++)
        {
            var d = Backoff.Jittered(TimeSpan.FromMilliseconds(800), TimeSpan.FromSeconds(30), 2, 0.5, random);
            Assert.InRange(d, TimeSpan.FromMilliseconds(3200), TimeSpan.FromMilliseconds(4800));
            seen.Add(d);
        }
        Assert.True(seen.Count > 100, "jitter spreads the delays");
    }
}
