namespace LoadBalancer.Kube.Tests.Fakes;

/// <summary>Polls a condition of an asynchronous system until it holds or a deadline passes (then fails with a description).</summary>
internal static class Eventually
{
    public static async Task True(Func<bool> condition, string what, TimeSpan? within = null)
    {
        var deadline = DateTime.UtcNow + (within ?? TimeSpan.FromSeconds(20));
        while (!condition())
        {
            if (DateTime.UtcNow > deadline) Assert.Fail($"timed out waiting for: {what}");
            await Task.Delay(10);
        }
    }
}
