using System.Collections.Immutable;
using System.Diagnostics.Metrics;
using System.Net;
using LoadBalancer.Proto.Bgp;
using LoadBalancer.Speaker.Announcing;
using Microsoft.Extensions.Logging;

namespace LoadBalancer.Speaker.Bgp;

/// <summary>
/// The BGP back end: one <see cref="BgpSession"/> per peer, each with its own Adj-RIB-Out.
/// <see cref="ShutdownAsync"/> sends CEASE / Administrative Shutdown with an RFC 8203 message so peers withdraw at
/// once; <see cref="DisposeAsync"/> only closes the connections, so peers with graceful restart keep our routes
/// (and keep forwarding) while the speaker restarts.
/// </summary>
public sealed partial class BgpAnnouncer : IBgpAnnouncer, IAsyncDisposable
{
    private readonly object _gate = new();
    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    private readonly BgpMetrics _metrics;
    private readonly BgpAnnouncerOptions _options;
    private readonly Meter? _ownedMeter;
    private readonly Dictionary<string, BgpSession> _sessions = new(StringComparer.Ordinal);
    private readonly BgpListener _listener;
    private Dictionary<string, Dictionary<IPNetwork, RouteAttributes>> _routes = new(StringComparer.Ordinal);
    private bool _shutDown;

    public BgpAnnouncer(ILoggerFactory loggerFactory, TimeProvider timeProvider, IMeterFactory meterFactory, BgpAnnouncerOptions? options = null)
        : this(loggerFactory.CreateLogger<BgpAnnouncer>(), timeProvider, meterFactory.Create(BgpMetrics.MeterName), options, ownsMeter: false)
    {
    }

    public BgpAnnouncer(ILogger<BgpAnnouncer> logger, TimeProvider timeProvider, Meter meter, BgpAnnouncerOptions? options = null)
        : this(logger, timeProvider, meter, options, ownsMeter: false)
    {
    }

    private BgpAnnouncer(ILogger logger, TimeProvider timeProvider, Meter meter, BgpAnnouncerOptions? options, bool ownsMeter)
    {
        _logger = logger;
        _time = timeProvider;
        _options = options ?? new BgpAnnouncerOptions();
        _metrics = new BgpMetrics(meter);
        _ownedMeter = ownsMeter ? meter : null;
        _listener = new BgpListener(_options, timeProvider, logger, SessionFor);
    }

    /// <summary>The session of the peer at <paramref name="remote"/>, for a connection the peer opened.</summary>
    private BgpSession? SessionFor(IPAddress remote)
    {
        lock (_gate) return _sessions.Values.FirstOrDefault(s => s.Spec.PeerAddress.Equals(remote));
    }

    public event Action<BgpSessionStatus>? SessionChanged;

    public IReadOnlyCollection<BgpSessionStatus> Sessions
    {
        get { lock (_gate) return [.. _sessions.Values.Select(s => s.Status)]; }
    }

    public async ValueTask SetPeersAsync(IReadOnlyCollection<BgpPeerSpec> peers, CancellationToken cancellationToken)
    {
        var stops = new List<(BgpSession Session, BgpNotification Notification)>();
        lock (_gate)
        {
            if (_shutDown) return;
            var wanted = new Dictionary<string, BgpPeerSpec>(StringComparer.Ordinal);
            foreach (var p in peers)
            {
                if ((Validate(p) ?? (p.Passive && _options.ListenPort == 0 ? "passive needs the BGP listener, which ListenPort 0 turns off" : null)) is { } problem)
                {
                    LogInvalidPeer(_logger, p.Name, problem);
                    continue;
                }
                wanted[p.Name] = p;
            }
            foreach (var (name, session) in _sessions.ToArray())
            {
                if (wanted.TryGetValue(name, out var spec) && spec == session.Spec) continue;
                _sessions.Remove(name);
                stops.Add((session, wanted.ContainsKey(name)
                    ? BgpNotification.Shutdown("peer configuration changed", BgpCeaseSubcode.OtherConfigurationChange)
                    : BgpNotification.Cease(BgpCeaseSubcode.PeerDeconfigured)));
            }
            foreach (var (name, spec) in wanted)
            {
                if (_sessions.ContainsKey(name)) continue;
                _sessions[name] = new BgpSession(spec, _options, _time, _logger, _metrics, OnStatus, RoutesFor(name));
                LogPeerAdded(_logger, name, spec.PeerAddress, spec.PeerAsn);
            }
            _listener.Update([.. wanted.Values]);
        }
        foreach (var (session, notification) in stops)
        {
            await session.StopAsync(notification, cancellationToken).ConfigureAwait(false);
            session.Dispose();
        }
    }

    public ValueTask SetDesiredAsync(IReadOnlyCollection<BgpRoute> routes, CancellationToken cancellationToken)
    {
        var byPeer = new Dictionary<string, Dictionary<IPNetwork, RouteAttributes>>(StringComparer.Ordinal);
        foreach (var r in routes)
        {
            if (!byPeer.TryGetValue(r.Peer, out var map)) byPeer[r.Peer] = map = [];
            map[r.Prefix] = new RouteAttributes(r.Communities.IsDefault ? [] : r.Communities,
                r.LargeCommunities.IsDefault ? [] : [.. r.LargeCommunities.Select(c => new LargeCommunity(c.Global, c.Local1, c.Local2))],
                r.LocalPreference);
        }
        lock (_gate)
        {
            _routes = byPeer;
            foreach (var (name, session) in _sessions) session.SetRoutes(RoutesFor(name));
        }
        return ValueTask.CompletedTask;
    }

    public async ValueTask ShutdownAsync(string message, CancellationToken cancellationToken)
    {
        BgpSession[] sessions;
        lock (_gate)
        {
            _shutDown = true;
            sessions = [.. _sessions.Values];
            _sessions.Clear();
        }
        _listener.Dispose();
        var notification = BgpNotification.Shutdown(message);
        await Task.WhenAll(sessions.Select(s => s.StopAsync(notification, cancellationToken))).ConfigureAwait(false);
        foreach (var s in sessions) s.Dispose();
    }

    /// <summary>Closes every session without a NOTIFICATION (peers with graceful restart keep our routes for the restart time).</summary>
    public async ValueTask DisposeAsync()
    {
        BgpSession[] sessions;
        lock (_gate)
        {
            _shutDown = true;
            sessions = [.. _sessions.Values];
            _sessions.Clear();
        }
        _listener.Dispose();
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(5));
        await Task.WhenAll(sessions.Select(s => s.StopAsync(null, cts.Token))).ConfigureAwait(false);
        foreach (var s in sessions) s.Dispose();
        _ownedMeter?.Dispose();
    }

    private Dictionary<IPNetwork, RouteAttributes> RoutesFor(string peer)
        => _routes.TryGetValue(peer, out var map) ? new Dictionary<IPNetwork, RouteAttributes>(map) : [];

    private void OnStatus(BgpSessionStatus status)
    {
        try
        {
            SessionChanged?.Invoke(status);
        }
        catch (Exception ex)
        {
            LogHandlerFailed(_logger, ex, status.Peer);
        }
    }

    /// <summary>A clear reason naming the field when a peer cannot be used; null when it can.</summary>
    internal static string? Validate(BgpPeerSpec p)
    {
        if (p.PeerPort == 0) return "peerPort must not be 0";
        if (p.MyAsn == 0 || p.PeerAsn == 0) return "myASN and peerASN must not be 0";
        var hold = p.HoldTime.TotalSeconds;
        if (hold != 0 && hold < 3) return $"holdTime {hold} s: must be 0 or at least 3 s";
        if (hold > ushort.MaxValue) return $"holdTime {hold} s is too long";
        if (p.KeepaliveTime is { } k && hold != 0 && k.TotalSeconds > hold) return "keepaliveTime must not exceed holdTime";
        if (p.Password is { Length: > 80 }) return "password: TCP MD5 keys are at most 80 octets";
        if (p.MyAsn == p.PeerAsn && p.EbgpMultiHop) return "ebgpMultiHop is for eBGP peers only (myASN equals peerASN)";
        if (p.SourceAddress is { } s && s.AddressFamily != p.PeerAddress.AddressFamily) return "sourceAddress and peerAddress must be of the same family";
        return null;
    }

    [LoggerMessage(EventId = 5020, EventName = "BgpPeerAdded", Level = LogLevel.Information, Message = "BGP peer {Peer}: {PeerAddress} AS {PeerAsn}")]
    private static partial void LogPeerAdded(ILogger logger, string peer, IPAddress peerAddress, uint peerAsn);

    [LoggerMessage(EventId = 5021, EventName = "BgpPeerInvalid", Level = LogLevel.Error, Message = "BGP peer {Peer} ignored: {Problem}")]
    private static partial void LogInvalidPeer(ILogger logger, string peer, string problem);

    [LoggerMessage(EventId = 5022, EventName = "BgpSessionHandlerFailed", Level = LogLevel.Error, Message = "SessionChanged handler failed for BGP peer {Peer}")]
    private static partial void LogHandlerFailed(ILogger logger, Exception exception, string peer);
}
