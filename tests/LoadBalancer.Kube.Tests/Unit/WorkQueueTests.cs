using LoadBalancer.TestKit.Time;

namespace LoadBalancer.Kube.Tests.Unit;

public class WorkQueueTests
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(5);

    [Fact]
    public async Task Dedupes_keys_added_while_queued()
    {
        using var q = new WorkQueue<string>(new ManualTimeProvider());
        q.Add("a");
        q.Add("b");
        q.Add("a");
        Assert.Equal(2, q.Count);
        var first = await q.GetAsync().AsTask().WaitAsync(Bound);
        var second = await q.GetAsync().AsTask().WaitAsync(Bound);
        Assert.Equal(["a", "b"], new[] { first.Key, second.Key });
        Assert.Equal(0, q.Count);
    }

    [Fact]
    public async Task Key_added_while_processing_is_handed_out_only_after_Done()
    {
        using var q = new WorkQueue<string>(new ManualTimeProvider());
        q.Add("a");
        var item = await q.GetAsync().AsTask().WaitAsync(Bound);
        q.Add("a");
        q.Add("a");
        Assert.Equal(0, q.Count); // dirty, not queued: a second worker cannot get it
        var pending = q.GetAsync().AsTask();
        Assert.False(pending.IsCompleted);
        q.Done(item.Key);
        var again = await pending.WaitAsync(Bound);
        Assert.Equal("a", again.Key);
        q.Done("a");
        Assert.Equal(0, q.Count);
    }

    [Fact]
    public async Task Never_processes_a_key_twice_at_once_under_concurrent_workers()
    {
        using var q = new WorkQueue<int>(TimeProvider.System);
        var inFlight = new int[8];
        var violations = 0;
        var processed = 0;
        var workers = Enumerable.Range(0, 4).Select(_ => Task.Run(async () =>
        {
            while (true)
            {
                var item = await q.GetAsync();
                if (item.IsShutdown) return;
                if (Interlocked.Increment(ref inFlight[item.Key]) != 1) Interlocked.Increment(ref violations);
                await Task.Yield();
                Interlocked.Decrement(ref inFlight[item.Key]);
                Interlocked.Increment(ref processed);
                q.Done(item.Key);
            }
        })).ToArray();
        var random = new Random(7);
        for (var i = 0; i < 20_000; i++) q.Add(random.Next(8));
        q.ShutDown();
        await Task.WhenAll(workers).WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Equal(0, violations);
        Assert.True(processed >= 8, $"processed {processed}");
        Assert.Equal(0, q.Count);
    }

    [Fact]
    public async Task Rate_limited_retries_back_off_exponentially_per_key_and_Forget_resets()
    {
        var time = new ManualTimeProvider();
        using var q = new WorkQueue<string>(time, new WorkQueueOptions { BaseDelay = TimeSpan.FromMilliseconds(5), MaxDelay = TimeSpan.FromMilliseconds(40) });
        Assert.Equal(TimeSpan.FromMilliseconds(5), q.NextDelay("x"));
        Assert.Equal(TimeSpan.FromMilliseconds(10), q.NextDelay("x"));
        Assert.Equal(TimeSpan.FromMilliseconds(20), q.NextDelay("x"));
        Assert.Equal(TimeSpan.FromMilliseconds(40), q.NextDelay("x"));
        Assert.Equal(TimeSpan.FromMilliseconds(40), q.NextDelay("x")); // capped
        Assert.Equal(TimeSpan.FromMilliseconds(5), q.NextDelay("y"));  // per key
        Assert.Equal(5, q.NumRequeues("x"));
        q.Forget("x");
        Assert.Equal(0, q.NumRequeues("x"));

        q.AddRateLimited("x"); // first failure after Forget: 5 ms
        Assert.Equal(0, q.Count);
        Assert.Equal(1, q.DelayedCount);
        time.Advance(TimeSpan.FromMilliseconds(4));
        Assert.Equal(0, q.Count);
        time.Advance(TimeSpan.FromMilliseconds(1));
        Assert.Equal(1, q.Count);
        var item = await q.GetAsync().AsTask().WaitAsync(Bound);
        Assert.Equal("x", item.Key);
        q.Done("x");
        q.AddRateLimited("x"); // second failure: 10 ms
        time.Advance(TimeSpan.FromMilliseconds(9));
        Assert.Equal(0, q.Count);
        time.Advance(TimeSpan.FromMilliseconds(1));
        Assert.Equal(1, q.Count);
    }

    [Fact]
    public void AddAfter_keeps_the_earliest_due_time_and_dedupes()
    {
        var time = new ManualTimeProvider();
        using var q = new WorkQueue<string>(time);
        q.AddAfter("a", TimeSpan.FromSeconds(10));
        q.AddAfter("a", TimeSpan.FromSeconds(3));
        q.AddAfter("a", TimeSpan.FromSeconds(20));
        q.AddAfter("b", TimeSpan.FromSeconds(5));
        time.Advance(TimeSpan.FromSeconds(3));
        Assert.Equal(1, q.Count);
        time.Advance(TimeSpan.FromSeconds(2));
        Assert.Equal(2, q.Count);
        time.Advance(TimeSpan.FromSeconds(30));
        Assert.Equal(2, q.Count);
        Assert.Equal(0, q.DelayedCount);
    }

    [Fact]
    public async Task ShutDown_drains_queued_keys_then_reports_shutdown_and_ignores_new_adds()
    {
        using var q = new WorkQueue<string>(new ManualTimeProvider());
        var waiting = q.GetAsync().AsTask();
        q.Add("a");
        Assert.Equal("a", (await waiting.WaitAsync(Bound)).Key);
        q.Add("b");
        q.ShutDown();
        q.Add("c");
        var b = await q.GetAsync().AsTask().WaitAsync(Bound);
        Assert.Equal("b", b.Key);
        Assert.False(b.IsShutdown);
        var end = await q.GetAsync().AsTask().WaitAsync(Bound);
        Assert.True(end.IsShutdown);
        Assert.True(q.IsShuttingDown);
    }

    [Fact]
    public async Task ShutDown_wakes_a_blocked_worker()
    {
        using var q = new WorkQueue<string>(new ManualTimeProvider());
        var waiting = q.GetAsync().AsTask();
        q.ShutDown();
        Assert.True((await waiting.WaitAsync(Bound)).IsShutdown);
    }

    [Fact]
    public async Task GetAsync_honours_cancellation()
    {
        using var q = new WorkQueue<string>(new ManualTimeProvider());
        using var cts = new CancellationTokenSource();
        var waiting = q.GetAsync(cts.Token).AsTask();
        await cts.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => waiting.WaitAsync(Bound));
        q.Add("a");
        Assert.Equal("a", (await q.GetAsync().AsTask().WaitAsync(Bound)).Key);
    }
}
