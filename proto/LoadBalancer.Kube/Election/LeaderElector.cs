using LoadBalancer.Kube.Api;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace LoadBalancer.Kube;

/// <summary>
/// Leader election on a coordination.k8s.io/v1 Lease, with client-go's algorithm: acquire when the lease is free or
/// has not changed for its duration (judged on this process's clock), renew every retry period with optimistic
/// concurrency, and give up leading when no renew succeeded within the renew deadline. Loss cancels the
/// <see cref="LeaderElectionOptions.OnStartedLeading"/> token at once (a timer fires at the deadline even while a
/// renew request hangs). After a loss the elector campaigns again; <see cref="RunAsync"/> returns when its token is
/// cancelled, releasing the lease if <see cref="LeaderElectionOptions.ReleaseOnCancel"/>.
/// </summary>
public sealed partial class LeaderElector
{
    private readonly IKubeClient _client;
    private readonly LeaderElectionOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly Random _random;
    private readonly Lock _gate = new();
    private readonly List<(long Target, TaskCompletionSource Tcs)> _idleWaiters = [];
    private long _idle;
    private (string? Holder, DateTimeOffset? RenewTime, string? ResourceVersion)? _observed;
    private DateTimeOffset _observedTime;
    private int _observedDurationSeconds;
    private volatile bool _isLeader;
    private volatile string? _leader;

    public LeaderElector(IKubeClient client, LeaderElectionOptions options, TimeProvider? timeProvider = null, ILogger? logger = null)
    {
        ArgumentNullException.ThrowIfNull(client);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        _client = client;
        _options = options;
        _time = timeProvider ?? TimeProvider.System;
        _logger = logger ?? NullLogger.Instance;
        _random = options.RandomSeed is int seed ? new Random(seed) : new Random();
    }

    /// <summary>True while this candidate leads (false from the instant leadership is lost).</summary>
    public bool IsLeader => _isLeader;

    /// <summary>The holder last observed on the lease (null when none).</summary>
    public string? CurrentLeader => _leader;

    public string Identity => _options.Identity;

    /// <summary>Campaigns, leads, and campaigns again after a loss, until <paramref name="cancellationToken"/>.</summary>
    public async Task RunAsync(CancellationToken cancellationToken)
    {
        try
        {
            while (!cancellationToken.IsCancellationRequested)
            {
                while (!await TryAcquireOrRenewAsync(cancellationToken).ConfigureAwait(false))
                {
                    var wait = _options.RetryPeriod + _options.RetryPeriod * (_options.JitterFactor * _random.NextDouble());
                    await IdleAsync(wait, cancellationToken).ConfigureAwait(false);
                }
                await LeadAsync(cancellationToken).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
        }
    }

    private async Task LeadAsync(CancellationToken cancellationToken)
    {
        using var term = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        _isLeader = true;
        Log.StartedLeading(_logger, _options.Identity, _options.LeaseNamespace, _options.LeaseName);
        // The renew deadline runs on a timer so that loss is immediate even when a renew request hangs.
        await using var deadline = _time.CreateTimer(_ => Lose(term, "renew deadline passed"), null, _options.RenewDeadline, Timeout.InfiniteTimeSpan);
        var work = Task.Run(async () =>
        {
            if (_options.OnStartedLeading is null) return;
            try
            {
                await _options.OnStartedLeading(term.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (term.IsCancellationRequested)
            {
            }
            catch (Exception ex)
            {
                Log.WorkFailed(_logger, _options.Identity, ex);
            }
        }, CancellationToken.None);
        try
        {
            while (!term.IsCancellationRequested)
            {
                await IdleAsync(_options.RetryPeriod, term.Token).ConfigureAwait(false);
                var renewed = await TryAcquireOrRenewAsync(term.Token).ConfigureAwait(false);
                if (renewed)
                {
                    deadline.Change(_options.RenewDeadline, Timeout.InfiniteTimeSpan);
                }
                else if (_leader is { } other && other != _options.Identity)
                {
                    Lose(term, $"lease is now held by {other}");
                }
            }
        }
        catch (OperationCanceledException) when (term.IsCancellationRequested)
        {
        }
        finally
        {
            Lose(term, cancellationToken.IsCancellationRequested ? "stopping" : "lost");
            deadline.Change(Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
            try
            {
                await work.WaitAsync(_options.RenewDeadline, _time, CancellationToken.None).ConfigureAwait(false);
            }
            catch (TimeoutException)
            {
                Log.WorkSlowToStop(_logger, _options.Identity);
            }
            if (cancellationToken.IsCancellationRequested && _options.ReleaseOnCancel) await ReleaseAsync().ConfigureAwait(false);
            try
            {
                _options.OnStoppedLeading?.Invoke();
            }
            catch (Exception ex)
            {
                Log.WorkFailed(_logger, _options.Identity, ex);
            }
        }
    }

    private void Lose(CancellationTokenSource term, string why)
    {
        if (!_isLeader) return;
        _isLeader = false;
        Log.StoppedLeading(_logger, _options.Identity, why);
        try
        {
            term.Cancel();
        }
        catch (ObjectDisposedException)
        {
        }
    }

    /// <summary>One acquire-or-renew round; true if this candidate holds the lease afterwards.</summary>
    internal async Task<bool> TryAcquireOrRenewAsync(CancellationToken cancellationToken)
    {
        var now = _time.GetUtcNow();
        try
        {
            V1Lease? lease;
            try
            {
                lease = await _client.GetAsync(KubeResources.Leases, _options.LeaseNamespace, _options.LeaseName, cancellationToken).ConfigureAwait(false);
            }
            catch (KubeNotFoundException)
            {
                lease = null;
            }
            if (lease is null)
            {
                var created = await _client.CreateAsync(KubeResources.Leases, new V1Lease
                {
                    Metadata = new ObjectMeta { Name = _options.LeaseName, Namespace = _options.LeaseNamespace },
                    Spec = new LeaseSpec
                    {
                        HolderIdentity = _options.Identity,
                        LeaseDurationSeconds = DurationSeconds,
                        AcquireTime = now,
                        RenewTime = now,
                        LeaseTransitions = 0,
                    },
                }, cancellationToken).ConfigureAwait(false);
                Observe(created, now);
                return true;
            }
            Observe(lease, now);
            var spec = lease.Spec ??= new LeaseSpec();
            var holder = spec.HolderIdentity;
            if (!string.IsNullOrEmpty(holder) && holder != _options.Identity
                && _observedTime + TimeSpan.FromSeconds(_observedDurationSeconds) > now)
                return false;
            if (holder != _options.Identity)
            {
                spec.AcquireTime = now;
                spec.LeaseTransitions = (spec.LeaseTransitions ?? 0) + 1;
            }
            spec.HolderIdentity = _options.Identity;
            spec.LeaseDurationSeconds = DurationSeconds;
            spec.RenewTime = now;
            var updated = await _client.ReplaceAsync(KubeResources.Leases, lease, cancellationToken).ConfigureAwait(false);
            Observe(updated, now);
            return true;
        }
        catch (KubeApiException ex)
        {
            Log.AttemptFailed(_logger, _options.Identity, ex.StatusCode, ex.Message);
            return false;
        }
    }

    private int DurationSeconds => (int)Math.Ceiling(_options.LeaseDuration.TotalSeconds);

    private void Observe(V1Lease lease, DateTimeOffset now)
    {
        var record = (lease.Spec?.HolderIdentity, lease.Spec?.RenewTime, lease.Metadata.ResourceVersion);
        if (_observed is { } old && old == record) return;
        var holderChanged = _observed is not { } prev || prev.Holder != record.HolderIdentity;
        _observed = record;
        _observedTime = now;
        _observedDurationSeconds = lease.Spec?.LeaseDurationSeconds ?? DurationSeconds;
        _leader = string.IsNullOrEmpty(record.HolderIdentity) ? null : record.HolderIdentity;
        if (holderChanged && _leader is { } leader)
        {
            Log.NewLeader(_logger, _options.Identity, leader);
            try
            {
                _options.OnNewLeader?.Invoke(leader);
            }
            catch (Exception ex)
            {
                Log.WorkFailed(_logger, _options.Identity, ex);
            }
        }
    }

    private async Task ReleaseAsync()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));
        try
        {
            var lease = await _client.GetAsync(KubeResources.Leases, _options.LeaseNamespace, _options.LeaseName, timeout.Token).ConfigureAwait(false);
            if (lease.Spec?.HolderIdentity != _options.Identity) return;
            var now = _time.GetUtcNow();
            lease.Spec.HolderIdentity = null;
            lease.Spec.LeaseDurationSeconds = 1;
            lease.Spec.RenewTime = now;
            lease.Spec.AcquireTime = now;
            await _client.ReplaceAsync(KubeResources.Leases, lease, timeout.Token).ConfigureAwait(false);
            Log.Released(_logger, _options.Identity, _options.LeaseNamespace, _options.LeaseName);
        }
        catch (Exception ex) when (ex is KubeApiException or OperationCanceledException)
        {
            Log.ReleaseFailed(_logger, _options.Identity, ex.Message);
        }
    }

    // Waits on the clock; counts "idle" once the timer exists so a test can step a manual clock deterministically.
    private async Task IdleAsync(TimeSpan delay, CancellationToken cancellationToken)
    {
        var wait = Task.Delay(delay, _time, cancellationToken);
        List<TaskCompletionSource>? ready = null;
        lock (_gate)
        {
            _idle++;
            for (var i = _idleWaiters.Count - 1; i >= 0; i--)
            {
                if (_idleWaiters[i].Target <= _idle)
                {
                    (ready ??= []).Add(_idleWaiters[i].Tcs);
                    _idleWaiters.RemoveAt(i);
                }
            }
        }
        if (ready is not null) foreach (var t in ready) t.TrySetResult();
        await wait.ConfigureAwait(false);
    }

    /// <summary>How many times the elector has started waiting on its clock (test hook).</summary>
    internal long IdleCount
    {
        get { lock (_gate) return _idle; }
    }

    /// <summary>Completes when the elector has started waiting on its clock at least <paramref name="count"/> times.</summary>
    internal Task WaitIdleAsync(long count)
    {
        lock (_gate)
        {
            if (_idle >= count) return Task.CompletedTask;
            var tcs = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            _idleWaiters.Add((count, tcs));
            return tcs.Task;
        }
    }
}
