using System.Buffers;
using System.Collections.Frozen;
using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Net;
using LoadBalancer.Speaker.Announcing;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace LoadBalancer.Speaker.Liveness;

/// <summary>
/// BFD-style liveness between speakers: every <see cref="PeerProberOptions.TransmitInterval"/> an authenticated UDP
/// probe goes to each peer, saying whether we hear that peer. A peer is reachable while, within the detection time
/// (interval × multiplier), a valid probe from it arrived that says it hears us; a one-way loss therefore takes
/// both directions down. A speaker that stops cleanly sends "admin down" so its peers drop it at once.
/// Nodes that fail are reported in <see cref="Unreachable"/>; see docs/layer2.md for how the planner uses it.
/// </summary>
public sealed partial class PeerProber : IPeerProber, IAsyncDisposable
{
    private readonly PeerProberOptions _options;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    private readonly IProbeTransport _transport;
    private readonly byte[] _key;
    private readonly object _gate = new();
    private readonly Dictionary<string, PeerState> _peers = new(StringComparer.Ordinal);
    private readonly Counter<long> _sent;
    private readonly Counter<long> _received;
    private readonly Counter<long> _rejected;
    private FrozenSet<string> _unreachable = FrozenSet<string>.Empty;
    private ulong _sequence;
    private ITimer? _timer;
    private int _started;
    private bool _disposed;

    public PeerProber(IOptions<PeerProberOptions> options, ILogger<PeerProber> logger, TimeProvider timeProvider, IMeterFactory meterFactory)
        : this(options.Value, logger, timeProvider, meterFactory, new UdpProbeTransport(options.Value))
    {
    }

    internal PeerProber(PeerProberOptions options, ILogger logger, TimeProvider timeProvider, IMeterFactory meterFactory, IProbeTransport transport)
    {
        if (string.IsNullOrEmpty(options.NodeName) || System.Text.Encoding.UTF8.GetByteCount(options.NodeName) > ProbePacket.MaxNameLength)
            throw new ArgumentException($"PeerProberOptions.NodeName must be 1..{ProbePacket.MaxNameLength} bytes, got '{options.NodeName}'", nameof(options));
        if (options.Key.Length < 16)
            throw new ArgumentException($"PeerProberOptions.Key must be at least 16 bytes (from the liveness Secret), got {options.Key.Length}", nameof(options));
        if (options.TransmitInterval <= TimeSpan.Zero || options.DetectMultiplier < 1)
            throw new ArgumentException("PeerProberOptions.TransmitInterval must be positive and DetectMultiplier at least 1", nameof(options));
        _options = options;
        _logger = logger;
        _time = timeProvider;
        _transport = transport;
        _key = [.. options.Key];
        var meter = meterFactory.Create("LoadBalancer.Speaker");
        _sent = meter.CreateCounter<long>("loadbalancer.liveness.probes_sent", "{probe}", "Liveness probes sent to peer speakers");
        _received = meter.CreateCounter<long>("loadbalancer.liveness.probes_received", "{probe}", "Valid liveness probes received from peer speakers");
        _rejected = meter.CreateCounter<long>("loadbalancer.liveness.probes_rejected", "{probe}", "Probes dropped: bad MAC or framing, unknown sender, wrong receiver, replay");
        meter.CreateObservableGauge("loadbalancer.liveness.peers_unreachable", () => _unreachable.Count, "{node}", "Peer speakers currently unreachable by probes");
    }

    public IReadOnlySet<string> Unreachable => Volatile.Read(ref _unreachable);

    /// <summary>Peers whose probes currently confirm they hear us (not merely inside their start-up grace).</summary>
    public IReadOnlySet<string> Confirmed
    {
        get
        {
            lock (_gate)
                return _peers.Values.Where(p => !p.AdminDown && p.LastConfirmed is { } c && _time.GetElapsedTime(c) <= _options.DetectionTime)
                    .Select(p => p.Name).ToFrozenSet(StringComparer.Ordinal);
        }
    }

    /// <summary>True when there are peers and none of them is reachable: this node is probably the one cut off.</summary>
    public bool IsIsolated
    {
        get { lock (_gate) return _peers.Count > 0 && _unreachable.Count == _peers.Count; }
    }

    public event Action? Changed;

    /// <summary>Opens the socket and starts probing (also done by the first <see cref="SetPeers"/>).</summary>
    public void Start()
    {
        if (Interlocked.Exchange(ref _started, 1) != 0) return;
        _sequence = (ulong)_time.GetUtcNow().ToUnixTimeMilliseconds() * 1000;
        _transport.Start(OnDatagram);
        _timer = _time.CreateTimer(_ => Tick(), null, _options.TransmitInterval, _options.TransmitInterval);
    }

    public void SetPeers(IReadOnlyCollection<SpeakerPeer> peers)
    {
        Start();
        lock (_gate)
        {
            var now = _time.GetTimestamp();
            var wanted = peers.Where(p => p.Node != _options.NodeName).GroupBy(p => p.Node, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.Last().Address, StringComparer.Ordinal);
            foreach (var name in _peers.Keys.Where(n => !wanted.ContainsKey(n)).ToList()) _peers.Remove(name);
            foreach (var (name, address) in wanted)
            {
                if (_peers.TryGetValue(name, out var existing)) { existing.Endpoint = new IPEndPoint(address, _options.Port); continue; }
                _peers[name] = new PeerState(name, new IPEndPoint(address, _options.Port), now);
            }
        }
        Evaluate();
    }

    private void Tick()
    {
        Span<byte> buffer = stackalloc byte[256];
        lock (_gate)
        {
            if (_disposed) return;
            foreach (var peer in _peers.Values) Send(peer, buffer, adminDown: false);
        }
        Evaluate();
    }

    private void Send(PeerState peer, Span<byte> buffer, bool adminDown)
    {
        var hear = peer.LastReceived is { } rx && _time.GetElapsedTime(rx) <= _options.DetectionTime;
        var packet = new ProbePacket(hear, adminDown, (ushort)Math.Min(ushort.MaxValue, _options.TransmitInterval.TotalMilliseconds), NextSequence(), _options.NodeName, peer.Name);
        if (!ProbePacket.TryWrite(packet, _key, buffer, out var n)) return;
        _transport.Send(buffer[..n], peer.Endpoint);
        _sent.Add(1);
    }

    private ulong NextSequence()
    {
        var clock = (ulong)_time.GetUtcNow().ToUnixTimeMilliseconds() * 1000;
        _sequence = Math.Max(_sequence + 1, clock);
        return _sequence;
    }

    private void OnDatagram(ReadOnlyMemory<byte> datagram, IPEndPoint from)
    {
        if (ProbePacket.TryRead(datagram.Span, _key, out var packet) != OperationStatus.Done) { Reject("invalid"); return; }
        lock (_gate)
        {
            if (packet.Receiver != _options.NodeName) { Reject("wrong_receiver"); return; }
            if (!_peers.TryGetValue(packet.Sender, out var peer)) { Reject("unknown_sender"); return; }
            if (packet.Sequence <= peer.LastSequence) { Reject("replay"); return; }
            peer.LastSequence = packet.Sequence;
            var now = _time.GetTimestamp();
            peer.LastReceived = now;
            peer.AdminDown = packet.AdminDown;
            if (packet.Hear && !packet.AdminDown) peer.LastConfirmed = now;
        }
        _received.Add(1);
        Evaluate();
    }

    private void Reject(string reason) => _rejected.Add(1, new KeyValuePair<string, object?>("reason", reason));

    private void Evaluate()
    {
        FrozenSet<string> next;
        lock (_gate)
        {
            var down = new List<string>();
            foreach (var peer in _peers.Values)
            {
                var confirmedFor = peer.LastConfirmed is { } c ? _time.GetElapsedTime(c) : TimeSpan.MaxValue;
                var sinceAdded = _time.GetElapsedTime(peer.AddedAt);
                var reachable = !peer.AdminDown && (confirmedFor <= _options.DetectionTime || (peer.LastConfirmed is null && sinceAdded <= _options.StartupGrace + _options.DetectionTime));
                if (!reachable) down.Add(peer.Name);
            }
            if (down.Count == _unreachable.Count && down.All(_unreachable.Contains)) return;
            foreach (var name in down.Where(n => !_unreachable.Contains(n))) Log.PeerDown(_logger, name);
            foreach (var name in _unreachable.Where(n => !down.Contains(n) && _peers.ContainsKey(n))) Log.PeerUp(_logger, name);
            next = down.ToFrozenSet(StringComparer.Ordinal);
            Volatile.Write(ref _unreachable, next);
        }
        Changed?.Invoke();
    }

    /// <summary>Stops cleanly: every peer is told "admin down" first, so it drops this node without waiting for detection.</summary>
    public ValueTask DisposeAsync() => StopAsync(graceful: true);

    /// <summary>Stops without telling anyone (tests use it to stand for a crash).</summary>
    internal ValueTask AbortAsync() => StopAsync(graceful: false);

    private async ValueTask StopAsync(bool graceful)
    {
        lock (_gate)
        {
            if (_disposed) return;
            _disposed = true;
            if (graceful && _started != 0)
            {
                Span<byte> buffer = stackalloc byte[256];
                foreach (var peer in _peers.Values) Send(peer, buffer, adminDown: true);
            }
        }
        if (_timer is not null) await _timer.DisposeAsync().ConfigureAwait(false);
        await _transport.DisposeAsync().ConfigureAwait(false);
    }

    private sealed class PeerState(string name, IPEndPoint endpoint, long addedAt)
    {
        public string Name { get; } = name;
        public IPEndPoint Endpoint { get; set; } = endpoint;
        public long AddedAt { get; } = addedAt;
        public long? LastReceived { get; set; }
        public long? LastConfirmed { get; set; }
        public ulong LastSequence { get; set; }
        public bool AdminDown { get; set; }
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 3101, Level = LogLevel.Warning, Message = "Speaker on {Node} stopped answering liveness probes")]
        public static partial void PeerDown(ILogger logger, string node);

        [LoggerMessage(EventId = 3102, Level = LogLevel.Information, Message = "Speaker on {Node} answers liveness probes again")]
        public static partial void PeerUp(ILogger logger, string node);
    }
}
