using LoadBalancer.Kube.Api;
using LoadBalancer.Speaker.Hosting;
using LoadBalancer.TestKit.Time;

namespace LoadBalancer.Speaker.Tests.Hosting;

/// <summary>
/// The Lease expiry rule, on a manual clock: a peer is live for one duration after this node last <em>saw</em> its Lease
/// record change, whatever the holder wrote in renewTime (skew, write latency), and this node counts itself from the
/// start of its last successful renewal.
/// </summary>
public class SpeakerLivenessTests
{
    private static readonly TimeSpan Duration = TimeSpan.FromSeconds(2);

    private static V1Lease Lease(string node, DateTimeOffset? renewTime, string rv, string? holder = "", int? seconds = 2) => new()
    {
        Metadata = new ObjectMeta { Name = SpeakerLiveness.LeaseName(node), ResourceVersion = rv },
        Spec = new LeaseSpec { HolderIdentity = holder == "" ? node : holder, RenewTime = renewTime, LeaseDurationSeconds = seconds },
    };

    [Theory]
    // holder, seen ms ago, duration s -> live
    [InlineData("n2", 0, 2, true)]
    [InlineData("n2", 1999, 2, true)]
    [InlineData("n2", 2000, 2, false)]
    [InlineData("n2", 5000, 2, false)]
    [InlineData("n2", 14999, 15, true)]
    [InlineData(null, 0, 2, false)]
    [InlineData("", 0, 2, false)]
    public void Expiry_rule(string? holder, int seenMsAgo, int durationSeconds, bool live)
    {
        var clock = new ManualTimeProvider();
        var observedAt = clock.GetUtcNow();
        clock.Advance(TimeSpan.FromMilliseconds(seenMsAgo));
        Assert.Equal(live, SpeakerLiveness.IsLive(holder, observedAt, TimeSpan.FromSeconds(durationSeconds), clock.GetUtcNow()));
    }

    [Theory]
    // The holder's renewTime relative to this node's clock when first seen: behind (skew or a slow write), equal, ahead.
    [InlineData(-3_600_000)]
    [InlineData(-60_000)]
    [InlineData(-1_900)]
    [InlineData(-500)]
    [InlineData(0)]
    [InlineData(800)]
    [InlineData(60_000)]
    public void A_lease_seen_for_the_first_time_lives_one_duration_from_that_moment_whatever_its_renew_time(int renewOffsetMs)
    {
        var clock = new ManualTimeProvider();
        var l = new SpeakerLiveness("n1", Duration);
        l.OwnRenewed(clock.GetUtcNow());
        var lease = Lease("n2", clock.GetUtcNow() + TimeSpan.FromMilliseconds(renewOffsetMs), "7");
        l.Observe([lease], clock.GetUtcNow());
        Assert.Contains("n2", l.Live(clock.GetUtcNow()));
        Assert.Equal(clock.GetUtcNow() + Duration, l.NextExpiry(clock.GetUtcNow()));

        clock.Advance(Duration - TimeSpan.FromMilliseconds(1));
        l.OwnRenewed(clock.GetUtcNow());
        l.Observe([lease], clock.GetUtcNow()); // the same record again (a resync): no renewal seen
        Assert.Contains("n2", l.Live(clock.GetUtcNow()));
        clock.Advance(TimeSpan.FromMilliseconds(1));
        Assert.DoesNotContain("n2", l.Live(clock.GetUtcNow()));
        Assert.Contains("n1", l.Live(clock.GetUtcNow()));
    }

    [Fact]
    public void Observers_that_first_saw_a_lease_at_different_moments_agree_once_it_changes()
    {
        var clock = new ManualTimeProvider();
        var early = new SpeakerLiveness("n1", Duration);
        var late = new SpeakerLiveness("n2", Duration);
        var written = clock.GetUtcNow();
        early.OwnRenewed(written);
        early.Observe([Lease("n3", written, "1")], clock.GetUtcNow());
        clock.Advance(TimeSpan.FromMilliseconds(700)); // n2 starts later and sees the same record for the first time
        late.OwnRenewed(clock.GetUtcNow());
        late.Observe([Lease("n3", written, "1")], clock.GetUtcNow());
        clock.Advance(TimeSpan.FromMilliseconds(300)); // n3 renews (its last renewal: it dies now); both see it at once
        early.OwnRenewed(clock.GetUtcNow());
        late.OwnRenewed(clock.GetUtcNow());
        early.Observe([Lease("n3", clock.GetUtcNow(), "2")], clock.GetUtcNow());
        late.Observe([Lease("n3", clock.GetUtcNow(), "2")], clock.GetUtcNow());
        Assert.Equal(early.NextExpiry(clock.GetUtcNow()), late.NextExpiry(clock.GetUtcNow()));
    }

    [Fact]
    public void An_unchanged_record_does_not_extend_the_lease_a_changed_one_does()
    {
        var clock = new ManualTimeProvider();
        var l = new SpeakerLiveness("n1", Duration);
        var renew = clock.GetUtcNow();
        l.OwnRenewed(renew);
        l.Observe([Lease("n2", renew, "1")], clock.GetUtcNow());
        clock.Advance(TimeSpan.FromMilliseconds(1500));
        l.OwnRenewed(clock.GetUtcNow());
        l.Observe([Lease("n2", renew, "1")], clock.GetUtcNow()); // a relist: same record
        clock.Advance(TimeSpan.FromMilliseconds(500));
        Assert.DoesNotContain("n2", l.Live(clock.GetUtcNow()));

        l.Observe([Lease("n2", renew, "2")], clock.GetUtcNow()); // renewed (even with the same renewTime)
        Assert.Contains("n2", l.Live(clock.GetUtcNow()));
        clock.Advance(TimeSpan.FromMilliseconds(1000));
        l.OwnRenewed(clock.GetUtcNow());
        Assert.Contains("n2", l.Live(clock.GetUtcNow()));
    }

    [Fact]
    public void The_lease_duration_written_by_the_holder_wins_over_the_default()
    {
        var clock = new ManualTimeProvider();
        var l = new SpeakerLiveness("n1", Duration);
        l.OwnRenewed(clock.GetUtcNow());
        l.Observe([Lease("n2", clock.GetUtcNow(), "1", seconds: 5), Lease("n3", clock.GetUtcNow(), "1", seconds: null)], clock.GetUtcNow());
        clock.Advance(TimeSpan.FromSeconds(3));
        l.OwnRenewed(clock.GetUtcNow());
        Assert.Equal(["n1", "n2"], l.Live(clock.GetUtcNow()).Order(StringComparer.Ordinal));
    }

    [Fact]
    public void Released_or_deleted_leases_are_not_live()
    {
        var clock = new ManualTimeProvider();
        var l = new SpeakerLiveness("n1", Duration);
        l.OwnRenewed(clock.GetUtcNow());
        l.Observe([Lease("n2", clock.GetUtcNow(), "1", holder: null), Lease("n3", clock.GetUtcNow(), "1")], clock.GetUtcNow());
        Assert.Equal(["n1", "n3"], l.Live(clock.GetUtcNow()).Order(StringComparer.Ordinal));
        l.Observe([], clock.GetUtcNow());
        Assert.Equal(["n1"], l.Live(clock.GetUtcNow()));
    }

    [Fact]
    public void Own_liveness_counts_from_the_start_of_the_last_successful_renewal_and_ends_with_the_release()
    {
        var clock = new ManualTimeProvider();
        var l = new SpeakerLiveness("n1", Duration);
        Assert.Empty(l.Live(clock.GetUtcNow()));
        var attempt = clock.GetUtcNow();
        clock.Advance(TimeSpan.FromMilliseconds(600)); // the write took 600 ms
        l.OwnRenewed(attempt);
        Assert.Equal(attempt + Duration, l.NextExpiry(clock.GetUtcNow()));
        l.OwnRenewed(attempt - TimeSpan.FromSeconds(1)); // a late answer to an older attempt does not move it back
        Assert.Equal(attempt + Duration, l.NextExpiry(clock.GetUtcNow()));
        clock.Advance(TimeSpan.FromMilliseconds(1400));
        Assert.True(l.IsFresh(clock.GetUtcNow()));
        clock.Advance(TimeSpan.FromMilliseconds(1));
        Assert.False(l.IsFresh(clock.GetUtcNow()));

        l.OwnRenewed(clock.GetUtcNow());
        l.OwnReleased();
        l.OwnRenewed(clock.GetUtcNow()); // a renewal that was in flight at shutdown
        Assert.False(l.IsFresh(clock.GetUtcNow()));
        Assert.DoesNotContain("n1", l.Live(clock.GetUtcNow()));
    }

    [Fact]
    public void Without_its_own_renewals_a_speaker_freezes_its_view_instead_of_expiring_the_others()
    {
        var clock = new ManualTimeProvider();
        var l = new SpeakerLiveness("n1", Duration);
        l.OwnRenewed(clock.GetUtcNow());
        l.Observe([Lease("n2", clock.GetUtcNow(), "1")], clock.GetUtcNow());
        Assert.Equal(["n1", "n2"], l.Live(clock.GetUtcNow()).Order(StringComparer.Ordinal));
        clock.Advance(TimeSpan.FromSeconds(30)); // API server unreachable: no own renewal, no peer renewal seen
        Assert.Equal(["n1", "n2"], l.Live(clock.GetUtcNow()).Order(StringComparer.Ordinal));
        l.OwnRenewed(clock.GetUtcNow()); // back: the peer that did not renew meanwhile is now expired
        Assert.Equal(["n1"], l.Live(clock.GetUtcNow()));
    }
}
