using System.Buffers;
using System.Buffers.Binary;
using System.IO.Pipelines;
using System.Net;
using System.Net.Sockets;
using System.Threading.Channels;
using LoadBalancer.Proto.Bgp;
using LoadBalancer.Speaker.Announcing;
using Microsoft.Extensions.Logging;

namespace LoadBalancer.Speaker.Bgp;

/// <summary>
/// One BGP session to one peer: dials out (MetalLB style; the peer is normally passive) unless the peer is passive
/// on our side, takes connections the peer opens (<see cref="Offer"/>, from the announcer's listener) and resolves
/// connection collisions (RFC 4271 §6.8: a second connection is kept beside the first until the peer's OPEN decides
/// which one survives), runs the pure <see cref="BgpFsm"/> on a single loop that owns all state, reads on a second
/// task per connection (System.IO.Pipelines), and keeps the peer's copy of our routes in step with the desired set
/// through an <see cref="AdjRibOut"/>.
/// Routes the peer sends are decoded (malformed ones answered as RFC 7606 says) and dropped.
/// </summary>
internal sealed partial class BgpSession : IDisposable
{
    private enum TimerKind { ConnectRetry, Hold, Keepalive, Restart }

    private abstract record Input;
    private sealed record Fsm(BgpEvent Event, int Connection) : Input;
    private sealed record TimerFired(TimerKind Kind, int Version) : Input;
    private sealed record Connected(Socket Socket, int Attempt) : Input;
    private sealed record ConnectFailed(string Reason, int Attempt) : Input;
    private sealed record RoutesChanged(Dictionary<IPNetwork, RouteAttributes> Routes) : Input;
    private sealed record RefreshRequested(int Connection) : Input;
    private sealed record StopRequested(BgpNotification? Notification, TaskCompletionSource Done) : Input;
    private sealed record Accepted(Socket Socket) : Input;

    /// <summary>A second connection to the peer, kept while a collision is pending (RFC 4271 §6.8); always one the peer opened.</summary>
    private sealed record SecondConnection(Socket Socket, NetworkStream Stream, CancellationTokenSource Cts, int Id);

    private readonly BgpPeerSpec _spec;
    private readonly BgpAnnouncerOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly BgpMetrics _metrics;
    private readonly Action<BgpSessionStatus> _statusChanged;
    private readonly Channel<Input> _inbox = Channel.CreateUnbounded<Input>(new UnboundedChannelOptions { SingleReader = true });
    private readonly AdjRibOut _rib = new();
    private readonly Random _random;
    private readonly ITimer?[] _timers = new ITimer?[4];
    private readonly int[] _timerVersions = new int[4];
    private readonly Task _loop;

    private BgpFsmState _fsm;
    private Socket? _socket;
    private NetworkStream? _stream;
    private CancellationTokenSource? _connectionCts;
    private int _connection;
    private int _connectionIds;
    private bool _outbound;
    private SecondConnection? _second;
    private BgpFsmState? _secondFsm;
    private int _attempt;
    private int _failures;
    private BgpDecodeContext _context = new(false);
    private bool _stopping;
    private volatile BgpSessionStatus _status;

    public BgpSession(BgpPeerSpec spec, BgpAnnouncerOptions options, TimeProvider time, ILogger logger, BgpMetrics metrics,
        Action<BgpSessionStatus> statusChanged, Dictionary<IPNetwork, RouteAttributes> routes)
    {
        _spec = spec;
        _options = options;
        _time = time;
        _logger = logger;
        _metrics = metrics;
        _statusChanged = statusChanged;
        _random = options.JitterSeed is { } seed ? new Random(seed ^ spec.Name.GetHashCode(StringComparison.Ordinal)) : new Random();
        _rib.SetDesired(routes);
        _fsm = BgpFsmState.Initial(new BgpFsmConfig(spec.MyAsn, spec.PeerAsn, ResolveRouterId(null), spec.HoldTime, spec.KeepaliveTime,
            // The TCP connect gives up after connectTime; the FSM's ConnectRetryTimer dials again a second later, so a
            // timed-out attempt is always reported before the next one starts.
            (spec.ConnectTime > TimeSpan.Zero ? spec.ConnectTime : TimeSpan.FromSeconds(5)) + TimeSpan.FromSeconds(1), spec.Passive));
        _status = new BgpSessionStatus(spec.Name, nameof(BgpState.Idle), null, 0, null);
        _metrics.SetSession(spec.Name, false, 0);
        _inbox.Writer.TryWrite(new Fsm(new BgpEvent.Start(), 0));
        _loop = Task.Run(RunAsync);
    }

    public BgpPeerSpec Spec => _spec;

    /// <summary>Only for a session whose loop has ended (after <see cref="StopAsync"/>).</summary>
    public void Dispose()
    {
        _connectionCts?.Dispose();
        _stream?.Dispose();
    }

    public BgpSessionStatus Status => _status;

    public void SetRoutes(Dictionary<IPNetwork, RouteAttributes> routes) => _inbox.Writer.TryWrite(new RoutesChanged(routes));

    /// <summary>A TCP connection the peer opened to our listener; the session takes ownership of the socket.</summary>
    public void Offer(Socket socket)
    {
        if (!_inbox.Writer.TryWrite(new Accepted(socket))) socket.Dispose();
    }

    /// <summary>Stops the session: with a NOTIFICATION when given, else by closing the connection (graceful restart keeps our routes at the peer).</summary>
    public async Task StopAsync(BgpNotification? notification, CancellationToken cancellationToken)
    {
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        if (!_inbox.Writer.TryWrite(new StopRequested(notification, done))) return;
        try
        {
            await _loop.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            // The loop is stuck in a write to a peer that does not read: cut the connection.
            _connectionCts?.Cancel();
            _socket?.Dispose();
        }
    }

    private async Task RunAsync()
    {
        try
        {
            await foreach (var input in _inbox.Reader.ReadAllAsync().ConfigureAwait(false))
            {
                if (await HandleAsync(input).ConfigureAwait(false)) break;
            }
        }
        catch (Exception ex)
        {
            LogLoopFailed(_logger, ex, _spec.Name);
        }
        finally
        {
            CloseSecond();
            CloseConnection();
            foreach (var t in _timers) t?.Dispose();
            _metrics.RemoveSession(_spec.Name);
        }
    }

    /// <summary>Handles one input; true when the session is finished.</summary>
    private async Task<bool> HandleAsync(Input input)
    {
        switch (input)
        {
            case Fsm f when _second is not null && f.Connection == _second.Id:
                await StepSecondAsync(f.Event).ConfigureAwait(false);
                break;
            case Fsm { Event: BgpEvent.OpenReceived open } f when f.Connection == _connection && _second is not null:
                // The peer's OPEN on our first connection while it has a second one open: RFC 4271 §6.8.
                if (await CollideAsync(open.Open, onSecond: false).ConfigureAwait(false)) await StepAsync(f.Event).ConfigureAwait(false);
                break;
            case Fsm f when (f.Connection == _connection && f.Connection != 0) || f.Event is BgpEvent.Start:
                await StepAsync(f.Event).ConfigureAwait(false);
                break;
            case TimerFired t when t.Version == _timerVersions[(int)t.Kind]:
                await StepAsync(t.Kind switch
                {
                    TimerKind.ConnectRetry => new BgpEvent.ConnectRetryTimerExpires(),
                    TimerKind.Hold => new BgpEvent.HoldTimerExpires(),
                    TimerKind.Keepalive => new BgpEvent.KeepaliveTimerExpires(),
                    _ => new BgpEvent.Start(),
                }).ConfigureAwait(false);
                break;
            case Connected c:
                if (c.Attempt != _attempt || _fsm.State is not (BgpState.Connect or BgpState.Active) || _stopping)
                {
                    c.Socket.Dispose();
                    break;
                }
                LogConnected(_logger, _spec.Name, c.Socket.LocalEndPoint, c.Socket.RemoteEndPoint);
                AttachConnection(c.Socket);
                _outbound = true;
                _fsm = _fsm with { Config = _fsm.Config with { LocalBgpId = ResolveRouterId(c.Socket.LocalEndPoint as IPEndPoint) } };
                await StepAsync(new BgpEvent.TcpConnected(true)).ConfigureAwait(false);
                break;
            case ConnectFailed f when f.Attempt == _attempt:
                LogConnectFailed(_logger, _spec.Name, _spec.PeerAddress, _spec.PeerPort, f.Reason);
                await StepAsync(new BgpEvent.TcpConnectionFails(f.Reason)).ConfigureAwait(false);
                break;
            case RoutesChanged r:
                _rib.SetDesired(r.Routes);
                if (_fsm.State == BgpState.Established) await FlushAsync().ConfigureAwait(false);
                break;
            case RefreshRequested r when r.Connection == _connection && _fsm.State == BgpState.Established:
                // ROUTE-REFRESH: the peer wants everything again.
                _rib.PeerLost();
                await FlushAsync().ConfigureAwait(false);
                break;
            case Accepted a:
                await AcceptAsync(a.Socket).ConfigureAwait(false);
                break;
            case StopRequested s:
                _stopping = true;
                CloseSecond();
                if (s.Notification is not null) await StepAsync(new BgpEvent.Stop(s.Notification)).ConfigureAwait(false);
                CloseConnection();
                _fsm = _fsm with { State = BgpState.Idle };
                Publish("stopped");
                s.Done.TrySetResult();
                return true;
        }
        return false;
    }

    private async Task StepAsync(BgpEvent e)
    {
        var before = _fsm.State;
        var transition = BgpFsm.Step(_fsm, e);
        _fsm = transition.State;
        foreach (var action in transition.Actions)
            await ExecuteAsync(action).ConfigureAwait(false);
        if (_fsm.State is BgpState.Idle or BgpState.Connect or BgpState.Active && _second is not null && !_stopping)
        {
            // The first connection failed while the peer's second one is still opening: carry on with that one.
            SetTimer(TimerKind.Restart, TimeSpan.Zero);
            SetTimer(TimerKind.ConnectRetry, TimeSpan.Zero);
            PromoteSecond();
        }
        if (_fsm.State != before) Publish(_fsm.LastError);
    }

    /// <summary>A connection the peer opened: it replaces a connection attempt, waits beside an opening connection for the collision decision, or is refused.</summary>
    private async Task AcceptAsync(Socket socket)
    {
        LogAccepted(_logger, _spec.Name, socket.RemoteEndPoint, socket.LocalEndPoint, _fsm.State);
        if (_stopping)
        {
            socket.Dispose();
            return;
        }
        try
        {
            ConfigureSocket(socket);
        }
        catch (SocketException)
        {
            socket.Dispose();
            return;
        }
        if (_fsm.State == BgpState.Idle)
        {
            // Waiting out the restart backoff: the peer is ready now, so start at once.
            SetTimer(TimerKind.Restart, TimeSpan.Zero);
            await StepAsync(new BgpEvent.Start()).ConfigureAwait(false);
        }
        switch (_fsm.State)
        {
            case BgpState.Connect or BgpState.Active:
                _attempt++; // a dial still in flight is dropped when it completes
                AttachConnection(socket);
                _outbound = false;
                _fsm = _fsm with { Config = _fsm.Config with { LocalBgpId = ResolveRouterId(socket.LocalEndPoint as IPEndPoint) } };
                await StepAsync(new BgpEvent.TcpConnected(false)).ConfigureAwait(false);
                break;
            case BgpState.OpenSent or BgpState.OpenConfirm when _second is null && _outbound:
                var stream = new NetworkStream(socket, ownsSocket: true);
                _second = new SecondConnection(socket, stream, new CancellationTokenSource(), ++_connectionIds);
                _ = ReadLoopAsync(stream, _second.Id, _second.Cts.Token);
                var config = _fsm.Config with { LocalBgpId = ResolveRouterId(socket.LocalEndPoint as IPEndPoint) };
                _secondFsm = new BgpFsmState(BgpState.Active, config);
                await StepSecondAsync(new BgpEvent.TcpConnected(false)).ConfigureAwait(false);
                break;
            default:
                // Established (RFC 4271 §6.8: the new connection is closed), or a second connection is already pending.
                LogNotificationSent(_logger, _spec.Name, BgpNotification.Cease(BgpCeaseSubcode.ConnectionCollisionResolution).ToString());
                using (var stream2 = new NetworkStream(socket, ownsSocket: true))
                {
                    await WriteQuietlyAsync(stream2, BgpNotification.Cease(BgpCeaseSubcode.ConnectionCollisionResolution).ToArray(), default).ConfigureAwait(false);
                }
                break;
        }
    }

    /// <summary>The FSM of the second connection; it only gets as far as OpenSent: the peer's OPEN on either connection decides the collision.</summary>
    private async Task StepSecondAsync(BgpEvent e)
    {
        if (_second is null || _secondFsm is null) return;
        if (e is BgpEvent.OpenReceived open)
        {
            if (await CollideAsync(open.Open, onSecond: true).ConfigureAwait(false)) await StepAsync(e).ConfigureAwait(false);
            return;
        }
        var transition = BgpFsm.Step(_secondFsm, e);
        _secondFsm = transition.State;
        foreach (var action in transition.Actions)
        {
            switch (action)
            {
                case BgpAction.SendOpen:
                    await WriteQuietlyAsync(_second.Stream, BuildOpen(_secondFsm.Config.LocalBgpId).ToArray(), _second.Cts.Token).ConfigureAwait(false);
                    break;
                case BgpAction.SendNotification n:
                    LogNotificationSent(_logger, _spec.Name, n.Notification.ToString());
                    await WriteQuietlyAsync(_second.Stream, n.Notification.ToArray(), _second.Cts.Token).ConfigureAwait(false);
                    break;
            }
            if (_second is null) return;
        }
        if (_secondFsm.State == BgpState.Idle) CloseSecond();
    }

    /// <summary>
    /// The peer's OPEN arrived on one of two connections: RFC 4271 §6.8 picks the survivor, the other is closed with
    /// CEASE / Connection Collision Resolution. True when the OPEN is to be processed on the (then only) connection.
    /// </summary>
    private async Task<bool> CollideAsync(BgpOpen open, bool onSecond)
    {
        var local = onSecond ? _secondFsm!.Config.LocalBgpId : _fsm.Config.LocalBgpId;
        var outcome = BgpFsm.ResolveCollision(local, open.BgpIdentifier, _fsm.State, _outbound, newOutbound: false);
        var collisionCease = BgpNotification.Cease(BgpCeaseSubcode.ConnectionCollisionResolution);
        if (outcome == BgpCollision.CloseExisting)
        {
            LogCollision(_logger, _spec.Name, new BgpId(local), new BgpId(open.BgpIdentifier), "the peer opened");
            LogNotificationSent(_logger, _spec.Name, collisionCease.ToString());
            if (_stream is not null) await WriteQuietlyAsync(_stream, collisionCease.ToArray(), _connectionCts?.Token ?? default).ConfigureAwait(false);
            CloseConnection();
            SetTimer(TimerKind.Hold, TimeSpan.Zero);
            SetTimer(TimerKind.Keepalive, TimeSpan.Zero);
            SetTimer(TimerKind.ConnectRetry, TimeSpan.Zero);
            PromoteSecond();
            Publish(null);
            return onSecond;
        }
        // CloseNew (or None, which cannot happen while the first connection is open): the second connection goes.
        LogCollision(_logger, _spec.Name, new BgpId(local), new BgpId(open.BgpIdentifier), _outbound ? "we opened" : "the peer opened first");
        LogNotificationSent(_logger, _spec.Name, collisionCease.ToString());
        await WriteQuietlyAsync(_second!.Stream, collisionCease.ToArray(), _second.Cts.Token).ConfigureAwait(false);
        CloseSecond();
        return !onSecond;
    }

    /// <summary>A BGP Identifier that logs as a dotted quad.</summary>
    private readonly record struct BgpId(uint Value)
    {
        public override string ToString() => $"{Value >> 24}.{(Value >> 16) & 0xff}.{(Value >> 8) & 0xff}.{Value & 0xff}";
    }

    /// <summary>The second connection becomes the session's connection, in OpenSent.</summary>
    private void PromoteSecond()
    {
        var second = _second!;
        CloseConnection();
        _socket = second.Socket;
        _stream = second.Stream;
        _connectionCts = second.Cts;
        _connection = second.Id;
        _outbound = false;
        _fsm = _secondFsm! with { Config = _secondFsm.Config with { Passive = _spec.Passive } };
        _second = null;
        _secondFsm = null;
        SetTimer(TimerKind.Hold, BgpFsmConfig.LargeHoldTime);
    }

    private void CloseSecond()
    {
        if (_second is null) return;
        try { _second.Cts.Cancel(); } catch (ObjectDisposedException) { }
        _second.Cts.Dispose();
        try { _second.Socket.Shutdown(SocketShutdown.Both); } catch (Exception ex) when (ex is SocketException or ObjectDisposedException) { }
        _second.Stream.Dispose();
        _second = null;
        _secondFsm = null;
    }

    private static async Task WriteQuietlyAsync(NetworkStream stream, ReadOnlyMemory<byte> bytes, CancellationToken cancellationToken)
    {
        try
        {
            await stream.WriteAsync(bytes, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is IOException or SocketException or ObjectDisposedException or OperationCanceledException)
        {
        }
    }

    private async Task ExecuteAsync(BgpAction action)
    {
        switch (action)
        {
            case BgpAction.Connect:
                StartConnect();
                break;
            case BgpAction.DropConnection:
                CloseConnection();
                break;
            case BgpAction.SendOpen:
                await SendAsync(BuildOpen(_fsm.Config.LocalBgpId).ToArray()).ConfigureAwait(false);
                break;
            case BgpAction.SendKeepalive:
                await SendAsync(BgpFraming.Keepalive()).ConfigureAwait(false);
                break;
            case BgpAction.SendNotification n:
                LogNotificationSent(_logger, _spec.Name, n.Notification.ToString());
                await SendAsync(n.Notification.ToArray(), flushAndIgnoreErrors: true).ConfigureAwait(false);
                break;
            case BgpAction.SetConnectRetryTimer t:
                SetTimer(TimerKind.ConnectRetry, t.Due == TimeSpan.Zero ? t.Due : Backoff(t.Due));
                break;
            case BgpAction.SetHoldTimer t:
                SetTimer(TimerKind.Hold, t.Due);
                break;
            case BgpAction.SetKeepaliveTimer t:
                SetTimer(TimerKind.Keepalive, t.Due);
                break;
            case BgpAction.SessionEstablished:
                _failures = 0;
                var peer = _fsm.PeerOpen!;
                _context = new BgpDecodeContext(peer.Find<FourOctetAsCapability>() is not null, peer.Find<ExtendedMessageCapability>() is not null);
                _rib.PeerLost();
                LogEstablished(_logger, _spec.Name, _spec.PeerAddress, peer.Asn, _fsm.NegotiatedHoldTime.TotalSeconds);
                _status = _status with { EstablishedSince = _time.GetUtcNow() };
                await FlushAsync(endOfRib: true).ConfigureAwait(false);
                break;
            case BgpAction.SessionDown d:
                var wasUp = _status.EstablishedSince is not null;
                _rib.PeerLost();
                _status = _status with { EstablishedSince = null, PrefixesAdvertised = 0 };
                if (wasUp) LogDown(_logger, _spec.Name, d.Reason);
                if (!_stopping)
                {
                    _failures++;
                    var delay = Backoff(_options.ReconnectBackoffMin);
                    LogRestartScheduled(_logger, _spec.Name, delay.TotalMilliseconds, _failures);
                    SetTimer(TimerKind.Restart, delay);
                }
                break;
        }
    }

    /// <summary>Exponential backoff from <paramref name="basis"/> per consecutive failure, capped, with ±25 % jitter.</summary>
    private TimeSpan Backoff(TimeSpan basis)
    {
        var exponent = Math.Min(Math.Max(_failures - 1, 0), 10);
        var ms = Math.Min(basis.TotalMilliseconds * (1 << exponent), Math.Max(_options.ReconnectBackoffMax.TotalMilliseconds, basis.TotalMilliseconds));
        return TimeSpan.FromMilliseconds(ms * (0.75 + 0.5 * _random.NextDouble()));
    }

    private void SetTimer(TimerKind kind, TimeSpan due)
    {
        var i = (int)kind;
        var version = ++_timerVersions[i];
        _timers[i]?.Dispose();
        _timers[i] = null;
        if (due <= TimeSpan.Zero) return;
        _timers[i] = _time.CreateTimer(_ =>
        {
            if (kind == TimerKind.Restart) _inbox.Writer.TryWrite(new Fsm(new BgpEvent.Start(), -1));
            else _inbox.Writer.TryWrite(new TimerFired(kind, version));
        }, null, due, Timeout.InfiniteTimeSpan);
    }

    private uint ResolveRouterId(IPEndPoint? local)
    {
        var candidate = _spec.RouterId ?? _options.RouterId
            ?? (_spec.SourceAddress?.AddressFamily == AddressFamily.InterNetwork ? _spec.SourceAddress : null)
            ?? (local?.Address is { AddressFamily: AddressFamily.InterNetwork } v4 ? v4 : null)
            ?? (local?.Address is { IsIPv4MappedToIPv6: true } mapped ? mapped.MapToIPv4() : null)
            ?? _options.NextHopIPv4;
        Span<byte> bytes = stackalloc byte[16];
        if (candidate is not null && candidate.TryWriteBytes(bytes, out var n))
        {
            var id = BinaryPrimitives.ReadUInt32BigEndian(bytes[(n - 4)..n]);
            if (id != 0) return id;
        }
        // IPv6-only and nothing configured: derive a stable identifier from the local address (RFC 6286 allows any non-zero value).
        var hash = (uint)(local?.Address.GetHashCode() ?? _spec.Name.GetHashCode(StringComparison.Ordinal));
        return hash == 0 ? 1 : hash;
    }

    private BgpOpen BuildOpen(uint bgpId)
    {
        List<BgpCapability> caps =
        [
            new MultiprotocolCapability(BgpAfi.IPv4, BgpSafi.Unicast),
            new MultiprotocolCapability(BgpAfi.IPv6, BgpSafi.Unicast),
            new RouteRefreshCapability(),
            new ExtendedMessageCapability(),
        ];
        if (_spec.EnableGracefulRestart)
        {
            // Forwarding state is preserved: the node's data plane keeps forwarding while the speaker restarts.
            caps.Add(new GracefulRestartCapability(false, false, (ushort)Math.Clamp(_options.GracefulRestartTime.TotalSeconds, 0, 4095),
                [new GracefulRestartFamily(BgpAfi.IPv4, BgpSafi.Unicast, true), new GracefulRestartFamily(BgpAfi.IPv6, BgpSafi.Unicast, true)]));
        }
        var hold = (ushort)Math.Clamp((int)_spec.HoldTime.TotalSeconds, 0, ushort.MaxValue);
        if (hold is 1 or 2) hold = 3;
        return BgpOpen.Create(_spec.MyAsn, hold, bgpId, caps);
    }

    private void StartConnect()
    {
        var attempt = ++_attempt;
        LogConnecting(_logger, _spec.Name, _spec.PeerAddress, _spec.PeerPort, attempt);
        var spec = _spec;
        Socket socket;
        try
        {
            socket = CreateSocket();
        }
        catch (Exception ex) when (ex is SocketException or InvalidOperationException or ArgumentException)
        {
            _inbox.Writer.TryWrite(new ConnectFailed($"socket setup failed: {ex.Message}", attempt));
            return;
        }
        var timeout = spec.ConnectTime > TimeSpan.Zero ? spec.ConnectTime : TimeSpan.FromSeconds(5);
        _ = Task.Run(async () =>
        {
            using var cts = new CancellationTokenSource(timeout, _time);
            try
            {
                await socket.ConnectAsync(new IPEndPoint(spec.PeerAddress, spec.PeerPort), cts.Token).ConfigureAwait(false);
                if (!_inbox.Writer.TryWrite(new Connected(socket, attempt))) socket.Dispose();
            }
            catch (Exception ex) when (ex is SocketException or OperationCanceledException or ObjectDisposedException)
            {
                socket.Dispose();
                var reason = ex is OperationCanceledException
                    ? $"no answer within {timeout.TotalSeconds:0.#} s" + (spec.Password is null ? "" : " (with TCP MD5: a wrong or missing password on either side looks like this)")
                    : ex.Message;
                _inbox.Writer.TryWrite(new ConnectFailed(reason, attempt));
            }
        });
    }

    private Socket CreateSocket()
    {
        var family = _spec.PeerAddress.AddressFamily;
        var socket = _options.SocketFactory?.Invoke(family) ?? new Socket(family, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            if (_spec.SourceAddress is { } source) socket.Bind(new IPEndPoint(source, 0));
            ConfigureSocket(socket);
            if (!string.IsNullOrEmpty(_spec.Password) && !TcpMd5.TrySet(socket, _spec.PeerAddress, _spec.Password))
                throw new ArgumentException("password: TCP MD5 keys are at most 80 octets");
            return socket;
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    /// <summary>Options of every session socket, dialled or accepted.</summary>
    private void ConfigureSocket(Socket socket)
    {
        socket.NoDelay = true;
        // RFC 4271 §5.1.3 practice: eBGP to a directly connected peer uses TTL 1 unless multihop is allowed.
        var ebgp = _spec.MyAsn != _spec.PeerAsn;
        socket.Ttl = (short)(ebgp && !_spec.EbgpMultiHop ? 1 : 255);
    }

    private void AttachConnection(Socket socket)
    {
        CloseConnection();
        _socket = socket;
        _stream = new NetworkStream(socket, ownsSocket: true);
        _connectionCts = new CancellationTokenSource();
        var connection = _connection = ++_connectionIds;
        _context = new BgpDecodeContext(false);
        _ = ReadLoopAsync(_stream, connection, _connectionCts.Token);
    }

    private void CloseConnection()
    {
        if (_socket is null) return;
        _connection = 0; // events of the old connection are stale from now on
        try { _connectionCts?.Cancel(); } catch (ObjectDisposedException) { }
        _connectionCts?.Dispose();
        _connectionCts = null;
        try { _socket.Shutdown(SocketShutdown.Both); } catch (Exception ex) when (ex is SocketException or ObjectDisposedException) { }
        _stream?.Dispose();
        _socket.Dispose();
        _socket = null;
        _stream = null;
    }

    private async Task SendAsync(ReadOnlyMemory<byte> bytes, bool flushAndIgnoreErrors = false)
    {
        if (_stream is null) return;
        try
        {
            await _stream.WriteAsync(bytes, _connectionCts?.Token ?? default).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is IOException or SocketException or ObjectDisposedException or OperationCanceledException)
        {
            if (flushAndIgnoreErrors) return;
            _inbox.Writer.TryWrite(new Fsm(new BgpEvent.TcpConnectionFails($"write failed: {ex.Message}"), _connection));
        }
    }

    /// <summary>Sends what the peer lacks: withdrawals first, then announcements packed per attribute set; End-of-RIB after the first sync.</summary>
    private async Task FlushAsync(bool endOfRib = false)
    {
        var peer = _fsm.PeerOpen;
        if (peer is null || _socket is null) return;
        var local = _socket.LocalEndPoint as IPEndPoint;
        var nextHop4 = local?.Address is { AddressFamily: AddressFamily.InterNetwork } a4 ? a4
            : local?.Address is { IsIPv4MappedToIPv6: true } m ? m.MapToIPv4() : _options.NextHopIPv4;
        var nextHop6 = local?.Address is { AddressFamily: AddressFamily.InterNetworkV6, IsIPv4MappedToIPv6: false } a6 ? a6 : _options.NextHopIPv6;
        bool CanCarry(BgpAfi afi) => afi == BgpAfi.IPv4
            ? nextHop4 is not null && peer.Supports(BgpAfi.IPv4, BgpSafi.Unicast)
            : nextHop6 is not null && peer.Supports(BgpAfi.IPv6, BgpSafi.Unicast);
        var delta = _rib.TakeDelta(CanCarry);
        var writer = new ArrayBufferWriter<byte>(4096);
        var messages = 0;
        messages += BgpUpdatePacker.WriteWithdrawals(writer, delta.WithdrawIPv4.ToArray(), _context);
        messages += BgpUpdatePacker.WriteWithdrawals(writer, delta.WithdrawIPv6.ToArray(), _context);
        var ebgp = _spec.MyAsn != _spec.PeerAsn;
        foreach (var group in delta.Announce)
        {
            var attributes = new BgpPathAttributes
            {
                Origin = BgpOrigin.Igp,
                AsPath = ebgp ? [new AsPathSegment(AsPathSegmentType.AsSequence, [_spec.MyAsn])] : [],
                LocalPref = ebgp ? null : group.Attributes.LocalPreference ?? 100,
                Communities = group.Attributes.Communities,
                LargeCommunities = group.Attributes.LargeCommunities,
            };
            messages += BgpUpdatePacker.WriteAnnouncements(writer, attributes, group.Afi == BgpAfi.IPv4 ? nextHop4! : nextHop6!, null,
                group.Prefixes.ToArray(), _context);
        }
        if (endOfRib)
        {
            foreach (var afi in (BgpAfi[])[BgpAfi.IPv4, BgpAfi.IPv6])
            {
                if (!peer.Supports(afi, BgpSafi.Unicast)) continue;
                var eor = BgpUpdate.EndOfRib(afi);
                var span = writer.GetSpan(64);
                eor.TryWrite(span, _context, out var n);
                writer.Advance(n);
                messages++;
            }
        }
        if (messages == 0) return;
        await SendAsync(writer.WrittenMemory).ConfigureAwait(false);
        _metrics.UpdatesSent(_spec.Name, messages);
        _metrics.SetSession(_spec.Name, true, _rib.AdvertisedCount);
        var withdrawn = delta.WithdrawIPv4.Count + delta.WithdrawIPv6.Count;
        var announced = delta.Announce.Sum(g => g.Prefixes.Count);
        LogUpdatesSent(_logger, _spec.Name, messages, announced, withdrawn);
        if (_status.PrefixesAdvertised != _rib.AdvertisedCount)
        {
            // The count is part of the BGPSession status users read (`kubectl get bgpsessions`); the host coalesces bursts.
            // The first RIB goes out while entering Established, before Publish: that Publish carries the count, so an
            // update is published here only once the published state is Established (never an old state with a new count).
            _status = _status with { PrefixesAdvertised = _rib.AdvertisedCount };
            if (_status.State == nameof(BgpState.Established)) _statusChanged(_status);
        }
        var t = BgpFsm.Step(_fsm, new BgpEvent.UpdateSent());
        _fsm = t.State;
        foreach (var action in t.Actions) await ExecuteAsync(action).ConfigureAwait(false);
    }

    private void Publish(string? error)
    {
        var state = _fsm.State;
        _status = _status with { State = state.ToString(), LastError = state == BgpState.Established ? null : error ?? _status.LastError,
            PrefixesAdvertised = _rib.AdvertisedCount, EstablishedSince = state == BgpState.Established ? _status.EstablishedSince : null };
        _metrics.SetSession(_spec.Name, state == BgpState.Established, _rib.AdvertisedCount);
        _statusChanged(_status);
    }

    /// <summary>Reads framed messages and turns them into FSM events; the peer's routes are decoded and dropped.</summary>
    private async Task ReadLoopAsync(NetworkStream stream, int connection, CancellationToken cancellationToken)
    {
        var reader = PipeReader.Create(stream, new StreamPipeReaderOptions(leaveOpen: true));
        var context = new BgpDecodeContext(false);
        var max = BgpConstants.MaxMessageLength;
        void Post(BgpEvent e) => _inbox.Writer.TryWrite(new Fsm(e, connection));
        try
        {
            while (true)
            {
                var result = await reader.ReadAsync(cancellationToken).ConfigureAwait(false);
                var buffer = result.Buffer;
                while (true)
                {
                    var span = buffer.IsSingleSegment ? buffer.FirstSpan : buffer.Slice(0, Math.Min(buffer.Length, max)).ToArray();
                    var status = BgpFraming.TryReadMessage(span, max, out var type, out var length, out var error);
                    if (status == OperationStatus.NeedMoreData) break;
                    if (status == OperationStatus.InvalidData)
                    {
                        LogBadMessage(_logger, _spec.Name, error!.ToString());
                        Post(new BgpEvent.MessageError(error));
                        return;
                    }
                    var body = span[19..length];
                    switch (type)
                    {
                        case BgpMessageType.Open:
                            if (!BgpOpen.TryDecode(body, out var open, out var openError))
                            {
                                LogBadMessage(_logger, _spec.Name, openError!.ToString());
                                Post(new BgpEvent.MessageError(openError));
                                return;
                            }
                            context = new BgpDecodeContext(open!.Find<FourOctetAsCapability>() is not null, open.Find<ExtendedMessageCapability>() is not null);
                            max = context.MaxMessageLength;
                            Post(new BgpEvent.OpenReceived(open));
                            break;
                        case BgpMessageType.Update:
                            var outcome = BgpUpdate.TryDecode(body, context, out var update, out var updateError);
                            if (outcome == BgpUpdateStatus.SessionReset)
                            {
                                LogBadMessage(_logger, _spec.Name, updateError!.ToString());
                                Post(new BgpEvent.MessageError(updateError));
                                return;
                            }
                            if (outcome == BgpUpdateStatus.TreatAsWithdraw) LogTreatAsWithdraw(_logger, _spec.Name, updateError!);
                            else if (_logger.IsEnabled(LogLevel.Trace) && !update.IsEndOfRib(out _, out _))
                            {
#pragma warning disable CA1873 // guarded by IsEnabled(Trace) just above
                                LogPeerRoutesIgnored(_logger, _spec.Name, update.AllAnnounced.Count(), update.AllWithdrawn.Count());
#pragma warning restore CA1873
                            }
                            Post(new BgpEvent.UpdateReceived());
                            break;
                        case BgpMessageType.Notification:
                            BgpNotification.TryDecode(body, out var notification);
                            LogNotificationReceived(_logger, _spec.Name, notification.ToString());
                            Post(new BgpEvent.NotificationReceived(notification));
                            return;
                        case BgpMessageType.Keepalive:
                            Post(new BgpEvent.KeepaliveReceived());
                            break;
                        case BgpMessageType.RouteRefresh:
                            Post(new BgpEvent.UpdateReceived());
                            _inbox.Writer.TryWrite(new RefreshRequested(connection));
                            break;
                    }
                    buffer = buffer.Slice(length);
                }
                reader.AdvanceTo(buffer.Start, buffer.End);
                if (result.IsCompleted)
                {
                    Post(new BgpEvent.TcpConnectionFails("the peer closed the connection"));
                    return;
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
        catch (Exception ex) when (ex is IOException or SocketException or ObjectDisposedException)
        {
            Post(new BgpEvent.TcpConnectionFails($"read failed: {ex.Message}"));
        }
        finally
        {
            await reader.CompleteAsync().ConfigureAwait(false);
        }
    }
}
