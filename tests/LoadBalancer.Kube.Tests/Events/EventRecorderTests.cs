using LoadBalancer.Kube.Api;
using LoadBalancer.Kube.Tests.Fakes;
using LoadBalancer.TestKit.Time;

namespace LoadBalancer.Kube.Tests.Events;

public class EventRecorderTests
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(10);

    private static EventRecorder Make(IKubeClient client, TimeProvider time, bool deprecated = false) => new(client, new EventRecorderOptions
    {
        ReportingController = "lb.baremetal.dev/controller",
        ReportingInstance = "controller-0",
        FillDeprecatedFields = deprecated,
        Host = "node-1",
    }, time);

    private static ObjectReference Svc(string name = "web") => new() { ApiVersion = "v1", Kind = "Service", Namespace = "default", Name = name, Uid = "uid-" + name };

    [Fact]
    public async Task Thousand_repeats_make_one_event_with_a_series_count()
    {
        var time = new ManualTimeProvider();
        var fake = new FakeKubeClient();
        await using var rec = Make(fake, time);
        for (var i = 0; i < 1000; i++)
        {
            rec.Record(Svc(), EventRecorder.Warning, "AllocationFailed", "Allocate", "no available IPs in pool default");
            if (i % 100 == 0) time.Advance(TimeSpan.FromSeconds(1));
        }
        await rec.FlushAsync().WaitAsync(Bound);
        var ev = Assert.Single(fake.All(KubeResources.Events));
        Assert.Equal(1000, ev.Series!.Count);
        Assert.Equal(time.GetUtcNow(), ev.Series.LastObservedTime);
        Assert.Equal("AllocationFailed", ev.Reason);
        Assert.Equal("Warning", ev.Type);
        Assert.Equal("Allocate", ev.Action);
        Assert.Equal("lb.baremetal.dev/controller", ev.ReportingController);
        Assert.Equal("controller-0", ev.ReportingInstance);
        Assert.Equal("web", ev.Regarding!.Name);
        Assert.Equal("default", ev.Metadata.Namespace);
        Assert.StartsWith("web.", ev.Metadata.Name);
        Assert.Null(ev.DeprecatedSource);
        Assert.True(fake.Calls <= 6, $"{fake.Calls} API calls for 1000 repeats");
    }

    [Fact]
    public async Task Single_occurrence_has_no_series_and_deprecated_fields_only_when_asked()
    {
        var fake = new FakeKubeClient();
        await using var rec = Make(fake, new ManualTimeProvider(), deprecated: true);
        rec.Record(Svc(), EventRecorder.Normal, "IPAllocated", "Allocate", "Assigned IP 192.0.2.10");
        await rec.FlushAsync().WaitAsync(Bound);
        var ev = Assert.Single(fake.All(KubeResources.Events));
        Assert.Null(ev.Series);
        Assert.Equal("lb.baremetal.dev/controller", ev.DeprecatedSource!.Component);
        Assert.Equal("node-1", ev.DeprecatedSource.Host);
        Assert.Equal(1, ev.DeprecatedCount);
        Assert.NotNull(ev.EventTime);
    }

    [Fact]
    public async Task A_flapping_object_cannot_create_more_than_the_burst_then_one_per_refill()
    {
        var time = new ManualTimeProvider();
        var fake = new FakeKubeClient();
        await using var rec = Make(fake, time);
        for (var i = 0; i < 100; i++) rec.Record(Svc(), EventRecorder.Normal, "IPAllocated", "Allocate", $"Assigned IP 192.0.2.{i}");
        rec.Record(Svc("other"), EventRecorder.Normal, "IPAllocated", "Allocate", "Assigned IP 198.51.100.1"); // other objects are not starved
        await rec.FlushAsync().WaitAsync(Bound);
        Assert.Equal(26, fake.All(KubeResources.Events).Count);
        Assert.Equal(75, rec.DroppedCount);
        time.Advance(TimeSpan.FromMinutes(5));
        rec.Record(Svc(), EventRecorder.Normal, "IPAllocated", "Allocate", "Assigned IP 203.0.113.1");
        rec.Record(Svc(), EventRecorder.Normal, "IPAllocated", "Allocate", "Assigned IP 203.0.113.2");
        await rec.FlushAsync().WaitAsync(Bound);
        Assert.Equal(27, fake.All(KubeResources.Events).Count);
        Assert.Equal(76, rec.DroppedCount);
    }

    [Fact]
    public async Task Repeats_of_an_existing_series_are_never_dropped_by_the_rate_limit()
    {
        var fake = new FakeKubeClient();
        await using var rec = Make(fake, new ManualTimeProvider());
        for (var i = 0; i < 25; i++) rec.Record(Svc(), EventRecorder.Normal, "R" + i, "A", "note");
        for (var i = 0; i < 10; i++) rec.Record(Svc(), EventRecorder.Normal, "R0", "A", "note");
        await rec.FlushAsync().WaitAsync(Bound);
        Assert.Equal(0, rec.DroppedCount);
        Assert.Equal(11, fake.All(KubeResources.Events).Single(e => e.Reason == "R0").Series!.Count);
    }

    [Fact]
    public async Task A_repeat_after_the_series_window_starts_a_new_event()
    {
        var time = new ManualTimeProvider();
        var fake = new FakeKubeClient();
        await using var rec = Make(fake, time);
        rec.Record(Svc(), EventRecorder.Normal, "IPAllocated", "Allocate", "same");
        rec.Record(Svc(), EventRecorder.Normal, "IPAllocated", "Allocate", "same");
        await rec.FlushAsync().WaitAsync(Bound);
        time.Advance(TimeSpan.FromMinutes(7));
        rec.Record(Svc(), EventRecorder.Normal, "IPAllocated", "Allocate", "same");
        await rec.FlushAsync().WaitAsync(Bound);
        var events = fake.All(KubeResources.Events).OrderBy(e => e.EventTime).ToList();
        Assert.Equal(2, events.Count);
        Assert.Equal(2, events[0].Series!.Count);
        Assert.Null(events[1].Series);
    }

    [Fact]
    public async Task A_deleted_event_is_created_again_with_the_full_count()
    {
        var fake = new FakeKubeClient();
        await using var rec = Make(fake, new ManualTimeProvider());
        rec.Record(Svc(), EventRecorder.Normal, "Announce", "Announce", "n");
        await rec.FlushAsync().WaitAsync(Bound);
        var ev = Assert.Single(fake.All(KubeResources.Events));
        await fake.DeleteAsync(KubeResources.Events, "default", ev.Metadata.Name!);
        rec.Record(Svc(), EventRecorder.Normal, "Announce", "Announce", "n");
        await rec.FlushAsync().WaitAsync(Bound);
        Assert.Equal(2, Assert.Single(fake.All(KubeResources.Events)).Series!.Count);
    }

    [Fact]
    public async Task Transient_API_errors_are_retried_and_bad_input_never_throws()
    {
        var time = new ManualTimeProvider();
        var fake = new FakeKubeClient();
        var fail = 2;
        fake.Fault = (verb, _) => verb == "create" && Interlocked.Decrement(ref fail) >= 0 ? KubeClient.Error(503, null, "busy") : null;
        await using var rec = Make(fake, time);
        rec.Record(Svc(), "Bogus", "Reason", "Act", new string('x', 5000));
        rec.Record(null!, EventRecorder.Normal, "Reason", "Act", "null regarding is logged, not thrown");
        await rec.FlushAsync().WaitAsync(Bound); // first try fails
        await rec.FlushAsync().WaitAsync(Bound); // forced retry fails
        await rec.FlushAsync().WaitAsync(Bound); // succeeds
        var ev = Assert.Single(fake.All(KubeResources.Events));
        Assert.Equal("Warning", ev.Type);
        Assert.Equal(1024, ev.Note!.Length);
    }
}
