using LoadBalancer.Kube.Api;
using LoadBalancer.Kube.Tests.Fakes;
using LoadBalancer.TestKit.Time;

namespace LoadBalancer.Kube.Tests.Http;

public class ElectionAndEventsOverHttpTests : ApiServerTest
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(20);

    private LeaderElector Elector(ManualTimeProvider time, string id, Action<CancellationToken> started) => new(Client, new LeaderElectionOptions
    {
        LeaseNamespace = "kube-system",
        LeaseName = "lb-controller",
        Identity = id,
        JitterFactor = 0,
        ReleaseOnCancel = false,
        OnStartedLeading = async token =>
        {
            started(token);
            await Task.Delay(Timeout.Infinite, token);
        },
    }, time);

    [Fact]
    public async Task Two_electors_over_http_one_dies_the_other_takes_over_after_the_lease_duration()
    {
        var time = new ManualTimeProvider();
        CancellationToken aWork = default;
        var a = Elector(time, "a", t => aWork = t);
        var b = Elector(time, "b", _ => { });
        using var stopA = new CancellationTokenSource();
        using var stopB = new CancellationTokenSource();
        var runA = a.RunAsync(stopA.Token);
        await a.WaitIdleAsync(1).WaitAsync(Bound);
        var runB = b.RunAsync(stopB.Token);
        await b.WaitIdleAsync(1).WaitAsync(Bound);
        Assert.True(a.IsLeader);
        Assert.False(b.IsLeader);

        await stopA.CancelAsync(); // a dies: no release
        await runA.WaitAsync(Bound);
        Assert.True(aWork.IsCancellationRequested);
        var steps = 0;
        while (!b.IsLeader)
        {
            var idle = b.IdleCount;
            time.Advance(TimeSpan.FromSeconds(2));
            await b.WaitIdleAsync(idle + 1).WaitAsync(Bound);
            steps++;
            Assert.True(steps <= 8, "b took over within the lease duration plus one retry");
        }
        Assert.Equal(8, steps); // 16 s: the first retry after 15 s without a renew
        var lease = await Client.GetAsync(KubeResources.Leases, "kube-system", "lb-controller");
        Assert.Equal("b", lease.Spec!.HolderIdentity);
        Assert.Equal(1, lease.Spec.LeaseTransitions);
        await stopB.CancelAsync();
        await runB.WaitAsync(Bound);
    }

    [Fact]
    public async Task Thousand_repeats_over_http_make_one_event_with_series_count()
    {
        var svc = await Client.CreateAsync(KubeResources.Services, Objects.Service("default", "web"));
        var time = new ManualTimeProvider(DateTimeOffset.UtcNow);
        await using (var rec = new EventRecorder(Client, new EventRecorderOptions { ReportingController = "lb.baremetal.dev/controller", ReportingInstance = "c-0" }, time))
        {
            for (var i = 0; i < 1000; i++) rec.Record(svc, EventRecorder.Warning, "AllocationFailed", "Allocate", "no available IPs");
            await rec.FlushAsync().WaitAsync(Bound);
        }
        var events = await Client.ListAsync(KubeResources.Events, new ListOptions { Namespace = "default" });
        var ev = Assert.Single(events.Items);
        Assert.Equal(1000, ev.Series!.Count);
        Assert.Equal(svc.Metadata.Uid, ev.Regarding!.Uid);
        Assert.Equal("Allocate", ev.Action);
        Assert.Equal("c-0", ev.ReportingInstance);
    }
}
