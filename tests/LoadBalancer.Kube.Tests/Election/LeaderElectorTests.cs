using LoadBalancer.Kube.Api;
using LoadBalancer.Kube.Tests.Fakes;
using LoadBalancer.TestKit.Time;

namespace LoadBalancer.Kube.Tests.Election;

public class LeaderElectorTests
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(10);
    private static readonly TimeSpan Retry = TimeSpan.FromSeconds(2);

    private sealed class Candidate
    {
        public required LeaderElector Elector { get; init; }
        public CancellationTokenSource Stop { get; } = new();
        public Task? Run { get; set; }
        public CancellationToken WorkToken { get; set; }
        public int Started;
        public int Stopped;
        public long Idle => Elector.IdleCount;
    }

    private static Candidate Make(IKubeClient client, ManualTimeProvider time, string id, bool release = false)
    {
        Candidate? c = null;
        var elector = new LeaderElector(client, new LeaderElectionOptions
        {
            LeaseNamespace = "lb-system",
            LeaseName = "controller",
            Identity = id,
            LeaseDuration = TimeSpan.FromSeconds(15),
            RenewDeadline = TimeSpan.FromSeconds(10),
            RetryPeriod = Retry,
            JitterFactor = 0,
            ReleaseOnCancel = release,
            OnStartedLeading = async token =>
            {
                c!.WorkToken = token;
                Interlocked.Increment(ref c.Started);
                await Task.Delay(Timeout.Infinite, token);
            },
            OnStoppedLeading = () => Interlocked.Increment(ref c!.Stopped),
        }, time);
        c = new Candidate { Elector = elector };
        return c;
    }

    private static async Task StartAndSettle(Candidate c)
    {
        var idle = c.Idle;
        c.Run = c.Elector.RunAsync(c.Stop.Token);
        await c.Elector.WaitIdleAsync(idle + 1).WaitAsync(Bound);
    }

    // Moves the clock one retry period and waits until every running candidate has made its attempt and waits again.
    private static async Task Step(ManualTimeProvider time, params Candidate[] running)
    {
        var before = running.Select(c => c.Idle).ToArray();
        time.Advance(Retry);
        for (var i = 0; i < running.Length; i++) await running[i].Elector.WaitIdleAsync(before[i] + 1).WaitAsync(Bound);
    }

    [Fact]
    public async Task Second_candidate_takes_over_only_after_the_lease_duration_when_the_leader_dies()
    {
        var time = new ManualTimeProvider();
        var fake = new FakeKubeClient();
        var a = Make(fake, time, "a");
        var b = Make(fake, time, "b");
        await StartAndSettle(a);
        Assert.True(a.Elector.IsLeader);
        await Eventually.True(() => a.Started == 1, "a's work started");
        await StartAndSettle(b);
        Assert.False(b.Elector.IsLeader);
        Assert.Equal("a", b.Elector.CurrentLeader);

        // a dies without releasing (a crash: nobody renews any more).
        await a.Stop.CancelAsync();
        await a.Run!.WaitAsync(Bound);
        Assert.True(a.WorkToken.IsCancellationRequested);
        Assert.Equal("a", (await fake.GetAsync(KubeResources.Leases, "lb-system", "controller")).Spec!.HolderIdentity);

        for (var t = 2; t <= 14; t += 2)
        {
            await Step(time, b);
            Assert.False(b.Elector.IsLeader, $"b must not lead {t}s after a's last renew");
        }
        await Step(time, b); // t = 16 > 15
        Assert.True(b.Elector.IsLeader);
        await Eventually.True(() => b.Started == 1, "b's work started");
        var lease = await fake.GetAsync(KubeResources.Leases, "lb-system", "controller");
        Assert.Equal("b", lease.Spec!.HolderIdentity);
        Assert.Equal(1, lease.Spec.LeaseTransitions);
        Assert.Equal(15, lease.Spec.LeaseDurationSeconds);
        await b.Stop.CancelAsync();
        await b.Run!.WaitAsync(Bound);
    }

    [Fact]
    public async Task Leader_renews_so_a_waiting_candidate_never_takes_over()
    {
        var time = new ManualTimeProvider();
        var fake = new FakeKubeClient();
        var a = Make(fake, time, "a");
        var b = Make(fake, time, "b");
        await StartAndSettle(a);
        await StartAndSettle(b);
        for (var i = 0; i < 30; i++) await Step(time, a, b);
        Assert.True(a.Elector.IsLeader);
        Assert.False(b.Elector.IsLeader);
        Assert.Equal(0, b.Started);
        await a.Stop.CancelAsync();
        await b.Stop.CancelAsync();
        await Task.WhenAll(a.Run!, b.Run!).WaitAsync(Bound);
    }

    [Fact]
    public async Task Failing_renewals_cancel_the_work_at_the_renew_deadline_before_the_lease_expires()
    {
        var time = new ManualTimeProvider();
        var fake = new FakeKubeClient();
        var a = Make(fake, time, "a");
        await StartAndSettle(a);
        await Eventually.True(() => a.Started == 1, "work started");
        var token = a.WorkToken;
        fake.Fault = (_, resource) => resource == "leases" ? KubeClient.Error(500, null, "etcd down") : null;
        for (var t = 2; t <= 8; t += 2)
        {
            await Step(time, a);
            Assert.True(a.Elector.IsLeader);
            Assert.False(token.IsCancellationRequested);
        }
        time.Advance(Retry); // t = 10: the renew deadline timer fires inside Advance
        Assert.True(token.IsCancellationRequested, "work is cancelled at once");
        Assert.False(a.Elector.IsLeader);
        await Eventually.True(() => a.Stopped == 1, "OnStoppedLeading ran");
        await a.Stop.CancelAsync();
        await a.Run!.WaitAsync(Bound);
    }

    [Fact]
    public async Task Lease_taken_by_someone_else_stops_leading_at_the_next_renew()
    {
        var time = new ManualTimeProvider();
        var fake = new FakeKubeClient();
        var a = Make(fake, time, "a");
        await StartAndSettle(a);
        var lease = await fake.GetAsync(KubeResources.Leases, "lb-system", "controller");
        lease.Spec!.HolderIdentity = "intruder";
        await fake.ReplaceAsync(KubeResources.Leases, lease);
        await Step(time, a);
        Assert.False(a.Elector.IsLeader);
        Assert.Equal("intruder", a.Elector.CurrentLeader);
        Assert.True(a.WorkToken.IsCancellationRequested);
        await a.Stop.CancelAsync();
        await a.Run!.WaitAsync(Bound);
    }

    [Fact]
    public async Task Clean_stop_releases_the_lease_so_the_other_candidate_takes_over_at_its_next_attempt()
    {
        var time = new ManualTimeProvider();
        var fake = new FakeKubeClient();
        var a = Make(fake, time, "a", release: true);
        var b = Make(fake, time, "b");
        await StartAndSettle(a);
        await StartAndSettle(b);
        await a.Stop.CancelAsync();
        await a.Run!.WaitAsync(Bound);
        Assert.Equal(1, a.Stopped);
        var released = await fake.GetAsync(KubeResources.Leases, "lb-system", "controller");
        Assert.Null(released.Spec!.HolderIdentity);
        await Step(time, b);
        Assert.True(b.Elector.IsLeader);
        await b.Stop.CancelAsync();
        await b.Run!.WaitAsync(Bound);
    }

    [Theory]
    [InlineData(10, 10, 2)]
    [InlineData(15, 10, 10)]
    [InlineData(15, 0, 0)]
    public void Invalid_timings_are_rejected(int lease, int renew, int retry)
        => Assert.Throws<ArgumentException>(() => new LeaderElector(new FakeKubeClient(), new LeaderElectionOptions
        {
            LeaseNamespace = "n",
            LeaseName = "l",
            Identity = "i",
            LeaseDuration = TimeSpan.FromSeconds(lease),
            RenewDeadline = TimeSpan.FromSeconds(renew),
            RetryPeriod = TimeSpan.FromSeconds(retry),
        }));
}
