using System.Net;
using System.Net.Sockets;
using LoadBalancer.Speaker.Announcing;
using Microsoft.Extensions.Logging;

namespace LoadBalancer.Speaker.Bgp;

/// <summary>
/// Takes the BGP connections peers open (passive peers, and the peer's half of a connection collision): one listening
/// socket per address family that has peers, on <see cref="BgpAnnouncerOptions.ListenPort"/> of every local address,
/// with the TCP MD5 keys of the peers that have a password. A connection is handed to the session of the peer with
/// the remote address; a connection from any other address is closed at once.
/// </summary>
internal sealed partial class BgpListener : IDisposable
{
    private static readonly TimeSpan BindRetry = TimeSpan.FromSeconds(5);

    private readonly BgpAnnouncerOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly Func<IPAddress, BgpSession?> _route;
    private readonly Dictionary<AddressFamily, Listening> _listening = [];

    private sealed class Listening(CancellationTokenSource cts)
    {
        public CancellationTokenSource Cts { get; } = cts;
        public Socket? Socket { get; set; }
        public Dictionary<IPAddress, string> Keys { get; set; } = [];
        public Dictionary<IPAddress, string> WantedKeys { get; set; } = [];
    }

    public BgpListener(BgpAnnouncerOptions options, TimeProvider time, ILogger logger, Func<IPAddress, BgpSession?> route)
    {
        _options = options;
        _time = time;
        _logger = logger;
        _route = route;
    }

    /// <summary>Listens for the families of <paramref name="peers"/> (none: stops listening) with their MD5 keys.</summary>
    public void Update(IReadOnlyCollection<BgpPeerSpec> peers)
    {
        lock (_listening)
        {
            foreach (var family in (AddressFamily[])[AddressFamily.InterNetwork, AddressFamily.InterNetworkV6])
            {
                var mine = peers.Where(p => p.PeerAddress.AddressFamily == family).ToList();
                if (mine.Count == 0 || _options.ListenPort == 0)
                {
                    if (_listening.Remove(family, out var gone)) Close(gone);
                    continue;
                }
                if (!_listening.TryGetValue(family, out var l))
                {
                    _listening[family] = l = new Listening(new CancellationTokenSource());
                    _ = ListenAsync(family, l);
                }
                l.WantedKeys = mine.Where(p => !string.IsNullOrEmpty(p.Password)).ToDictionary(p => p.PeerAddress, p => p.Password!);
                if (l.Socket is not null) ApplyKeys(l);
            }
        }
    }

    public void Dispose()
    {
        lock (_listening)
        {
            foreach (var l in _listening.Values) Close(l);
            _listening.Clear();
        }
    }

    private static void Close(Listening l)
    {
        l.Cts.Cancel();
        l.Socket?.Dispose();
    }

    /// <summary>Sets the keys of new or changed peers and deletes the keys of peers that no longer have one.</summary>
    private void ApplyKeys(Listening l)
    {
        foreach (var (address, _) in l.Keys.Where(k => !l.WantedKeys.ContainsKey(k.Key)).ToList())
        {
            try { TcpMd5.TrySet(l.Socket!, address, ""); } catch (SocketException) { }
        }
        foreach (var (address, password) in l.WantedKeys.Where(k => !l.Keys.TryGetValue(k.Key, out var old) || old != k.Value))
        {
            try { TcpMd5.TrySet(l.Socket!, address, password); }
            catch (SocketException ex) { LogListenFailed(_logger, address.AddressFamily.ToString(), _options.ListenPort, $"TCP MD5 key for {address}: {ex.Message}"); }
        }
        l.Keys = new Dictionary<IPAddress, string>(l.WantedKeys);
    }

    private async Task ListenAsync(AddressFamily family, Listening l)
    {
        var token = l.Cts.Token;
        var reported = false;
        while (!token.IsCancellationRequested)
        {
            Socket socket;
            try
            {
                socket = _options.SocketFactory?.Invoke(family) ?? new Socket(family, SocketType.Stream, ProtocolType.Tcp);
            }
            catch (Exception ex) when (ex is SocketException or InvalidOperationException)
            {
                LogListenFailed(_logger, (family == AddressFamily.InterNetwork ? "IPv4" : "IPv6"), _options.ListenPort, ex.Message);
                return;
            }
            try
            {
                if (family == AddressFamily.InterNetworkV6) socket.DualMode = false;
                socket.Bind(new IPEndPoint(family == AddressFamily.InterNetwork ? IPAddress.Any : IPAddress.IPv6Any, _options.ListenPort));
                socket.Listen(64);
                lock (_listening)
                {
                    if (token.IsCancellationRequested)
                    {
                        socket.Dispose();
                        return;
                    }
                    l.Socket = socket;
                    l.Keys = [];
                    ApplyKeys(l);
                }
                LogListening(_logger, family == AddressFamily.InterNetwork ? "IPv4" : "IPv6", _options.ListenPort);
                break;
            }
            catch (SocketException ex)
            {
                socket.Dispose();
                // Typically another BGP daemon on the node, or connections of a previous run in TIME_WAIT: dialling still works.
                if (!reported) LogListenFailed(_logger, (family == AddressFamily.InterNetwork ? "IPv4" : "IPv6"), _options.ListenPort, ex.Message + "; retrying every 5 s (sessions still dial out)");
                reported = true;
                try { await Task.Delay(BindRetry, _time, token).ConfigureAwait(false); } catch (OperationCanceledException) { return; }
            }
        }
        while (!token.IsCancellationRequested)
        {
            Socket accepted;
            try
            {
                accepted = await l.Socket!.AcceptAsync(token).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is OperationCanceledException or ObjectDisposedException or SocketException)
            {
                if (token.IsCancellationRequested) return;
                continue;
            }
            var remote = (accepted.RemoteEndPoint as IPEndPoint)?.Address;
            if (remote is { IsIPv4MappedToIPv6: true }) remote = remote.MapToIPv4();
            var session = remote is null ? null : _route(remote);
            if (session is null)
            {
                LogRefused(_logger, accepted.RemoteEndPoint);
                accepted.Dispose();
                continue;
            }
            session.Offer(accepted);
        }
    }

    [LoggerMessage(EventId = 5016, EventName = "BgpListenFailed", Level = LogLevel.Warning, Message = "BGP listener ({Family}, port {Port}): {Reason}")]
    private static partial void LogListenFailed(ILogger logger, string family, int port, string reason);

    [LoggerMessage(EventId = 5017, EventName = "BgpConnectionRefused", Level = LogLevel.Information, Message = "BGP listener: closed a connection from {Remote}, which is not a configured peer")]
    private static partial void LogRefused(ILogger logger, EndPoint? remote);

    [LoggerMessage(EventId = 5018, EventName = "BgpListening", Level = LogLevel.Information, Message = "BGP listener ({Family}) on port {Port}")]
    private static partial void LogListening(ILogger logger, string family, int port);
}
