using System.Collections.Frozen;
using System.Collections.Immutable;
using System.Diagnostics.Metrics;
using System.Net;
using System.Net.Sockets;
using LoadBalancer.Proto.Arp;
using LoadBalancer.Proto.Ethernet;
using LoadBalancer.Proto.Ip;
using LoadBalancer.Proto.Ndp;
using LoadBalancer.Proto.Primitives;
using LoadBalancer.Speaker.Announcing;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace LoadBalancer.Speaker.Layer2;

/// <summary>
/// Answers ARP (IPv4) and NDP (IPv6) for exactly the IPs it is given, on the allowed interfaces, with the MAC of the
/// interface the request came in on. A new IP is probed first (RFC 5227 ARP probe / DAD) and announced (gratuitous
/// ARP in request and reply form, unsolicited NA with override) only when nobody else answers; then a short burst
/// and optional periodic announcements follow. Another host seen answering for one of our IPs is reported through
/// <see cref="Failures"/> and a metric, and is not fought. All state changes and every sent answer happen under one
/// lock, so an IP removed by <see cref="SetDesiredAsync"/> is never answered for once it returns.
/// See docs/layer2.md.
/// </summary>
public sealed partial class Layer2Announcer : ILayer2Announcer, IL2PortHandler, IAsyncDisposable
{
    private readonly Layer2AnnouncerOptions _options;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    private readonly Layer2Metrics _metrics;
    private readonly IL2PortProvider _provider;
    private readonly object _gate = new();
    private readonly Dictionary<uint, IpState> _v4 = [];
    private readonly Dictionary<UInt128, IpState> _v6 = [];
    private readonly Dictionary<int, IL2Port> _ports = [];
    private readonly Dictionary<IL2Port, HashSet<UInt128>> _groups = [];
    private Dictionary<string, string> _portErrors = [];
    private FrozenSet<MacAddress> _ownMacs = FrozenSet<MacAddress>.Empty;
    private AnnounceFailure[] _failures = [];
    private int _started;
    private bool _disposed;

    public Layer2Announcer(IOptions<Layer2AnnouncerOptions> options, ILogger<Layer2Announcer> logger, TimeProvider timeProvider, IMeterFactory meterFactory)
        : this(options.Value, logger, timeProvider, meterFactory, new PacketPortProvider(options.Value, logger, timeProvider))
    {
    }

    internal Layer2Announcer(Layer2AnnouncerOptions options, ILogger logger, TimeProvider timeProvider, IMeterFactory meterFactory, IL2PortProvider provider)
    {
        _options = options;
        _logger = logger;
        _time = timeProvider;
        _metrics = new Layer2Metrics(meterFactory);
        _provider = provider;
    }

    public IReadOnlyCollection<AnnounceFailure> Failures => Volatile.Read(ref _failures);

    public event Action? FailuresChanged;

    /// <summary>The IPs currently answered for (probing done, no conflict found), for status and tests.</summary>
    public IReadOnlyCollection<IPAddress> Announced
    {
        get { lock (_gate) return [.. All().Where(s => s.Phase == Phase.Announced).Select(s => s.Address)]; }
    }

    public ValueTask SetDesiredAsync(IReadOnlyCollection<Layer2Announcement> desired, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        if (Interlocked.Exchange(ref _started, 1) == 0) _provider.Start(this);
        var wanted = new Dictionary<IPAddress, Layer2Announcement>();
        foreach (var a in desired)
        {
            if (a.Ip.AddressFamily is not (AddressFamily.InterNetwork or AddressFamily.InterNetworkV6)) continue;
            var ip = a.Ip.IsIPv4MappedToIPv6 ? a.Ip.MapToIPv4() : a.Ip;
            wanted[ip] = wanted.TryGetValue(ip, out var seen) ? Merge(seen, a) : a with { Ip = ip };
        }
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            foreach (var s in All().ToList())
            {
                if (wanted.ContainsKey(s.Address)) continue;
                Remove(s);
                Log.Withdrawn(_logger, s.Text);
            }
            foreach (var (ip, announcement) in wanted)
            {
                if (Find(ip) is { } existing)
                {
                    var before = existing.Announcement;
                    existing.Announcement = announcement;
                    if (existing.Phase == Phase.Announced && !existing.InConflict && !before.Interfaces.SequenceEqual(announcement.Interfaces))
                        foreach (var port in _ports.Values.Where(p => Allowed(announcement, p) && !Allowed(before, p))) SendGratuitous(existing, port);
                    if (existing.Phase == Phase.Announced && before.GratuitousInterval != announcement.GratuitousInterval && !existing.InConflict && !existing.ProbeRound
                        && existing.Step >= _options.GratuitousBurst.Count)
                        Schedule(existing, announcement.GratuitousInterval);
                    continue;
                }
                var state = new IpState(ip, announcement);
                if (state.IsV6) _v6[state.V6] = state; else _v4[state.V4] = state;
                StartProbeRound(state);
            }
            UpdateMulticast();
        }
        PublishFailures();
        return ValueTask.CompletedTask;
    }

    private static Layer2Announcement Merge(Layer2Announcement a, Layer2Announcement b) => a with
    {
        Interfaces = a.Interfaces.IsDefaultOrEmpty || b.Interfaces.IsDefaultOrEmpty ? [] : [.. a.Interfaces.Union(b.Interfaces)],
        Services = [.. (a.Services.IsDefault ? [] : a.Services).Union(b.Services.IsDefault ? [] : b.Services)],
        GratuitousInterval = a.GratuitousInterval is null ? b.GratuitousInterval : b.GratuitousInterval is null ? a.GratuitousInterval
            : TimeSpan.FromTicks(Math.Min(a.GratuitousInterval.Value.Ticks, b.GratuitousInterval.Value.Ticks)),
    };

    // ---- ports ----

    void IL2PortHandler.OnPortsChanged(IReadOnlyList<IL2Port> ports, IReadOnlyDictionary<string, string> errors)
    {
        lock (_gate)
        {
            if (_disposed) return;
            var added = ports.Where(p => !_ports.ContainsKey(p.Index) || !ReferenceEquals(_ports[p.Index], p)).ToList();
            foreach (var gone in _groups.Keys.Where(p => !ports.Contains(p)).ToList()) _groups.Remove(gone);
            _ports.Clear();
            foreach (var p in ports) _ports[p.Index] = p;
            _ownMacs = ports.Select(p => p.Mac).ToFrozenSet();
            _portErrors = new Dictionary<string, string>(errors);
            var portList = string.Join(", ", ports.Select(p => $"{p.Name} ({p.Mac})"));
            Log.PortsChanged(_logger, portList, errors.Count);
            foreach (var port in added)
                foreach (var s in All().Where(s => s.Phase == Phase.Announced && !s.InConflict && Allowed(s.Announcement, port)))
                    SendGratuitous(s, port);
            UpdateMulticast();
        }
        PublishFailures();
    }

    // ---- receive path ----

    void IL2PortHandler.OnFrame(IL2Port port, ReadOnlySpan<byte> frame) => HandleFrame(port, frame);

    internal void HandleFrame(IL2Port port, ReadOnlySpan<byte> frame)
    {
        if (frame.Length < EthernetHeader.UntaggedLength) return;
        var own = _ownMacs;
        if (ArpFrame.TryRead(frame, out var eth, out var arp) == System.Buffers.OperationStatus.Done)
        {
            if (own.Contains(eth.Source) || own.Contains(arp.SenderHardware)) return;
            HandleArp(port, eth, arp);
        }
        else if (NdpFrame.TryRead(frame, out eth, out var ip, out var ndp) == System.Buffers.OperationStatus.Done)
        {
            if (own.Contains(eth.Source)) return;
            HandleNdp(port, eth, ip, ndp);
        }
    }

    private void HandleArp(IL2Port port, in EthernetHeader eth, in ArpPacket arp)
    {
        var conflict = false;
        lock (_gate)
        {
            // Someone else uses an IP we hold as its own (its requests, replies and announcements all carry it as sender).
            if (arp.SenderIp != 0 && _v4.TryGetValue(arp.SenderIp, out var claimed)) conflict = Evidence(claimed, arp.SenderHardware, port);
            // Gratuitous requests (announcements) need no answer; answering a foreign one would be fighting over the IP.
            if (arp.Operation != ArpOperation.Request || arp.IsGratuitous || !_v4.TryGetValue(arp.TargetIp, out var s)) goto done;
            // RFC 5227 §2.1.1: another host probing for the address we are probing for.
            if (arp.IsProbe && s.Phase != Phase.Announced) { conflict |= Evidence(s, arp.SenderHardware, port); goto done; }
            _metrics.RequestReceived(s.Text, "arp");
            if (s.Phase != Phase.Announced || !Allowed(s.Announcement, port)) goto done;
            if (!eth.Destination.IsBroadcast && eth.Destination != port.Mac) goto done;
            Span<byte> buffer = stackalloc byte[ArpFrame.UntaggedLength];
            var reply = new ArpPacket(ArpOperation.Reply, port.Mac, s.V4, arp.SenderHardware, arp.SenderIp);
            ArpFrame.TryWrite(buffer, arp.SenderHardware.IsZero ? eth.Source : arp.SenderHardware, port.Mac, reply, out var n);
            if (port.TrySend(buffer[..n])) _metrics.ResponseSent(s.Text, "arp");
        }
    done:
        if (conflict) PublishFailures();
    }

    private void HandleNdp(IL2Port port, in EthernetHeader eth, in IPv6Header ip, in NdpMessage message)
    {
        var conflict = false;
        lock (_gate)
        {
            if (message.Type == NdpMessageType.NeighborAdvertisement)
            {
                if (_v6.TryGetValue(message.Target, out var advertised)) conflict = Evidence(advertised, message.TargetLinkLayer ?? eth.Source, port);
                goto done;
            }
            if (ip.Source != 0 && _v6.TryGetValue(ip.Source, out var claimed)) conflict = Evidence(claimed, message.SourceLinkLayer ?? eth.Source, port);
            if (!_v6.TryGetValue(message.Target, out var s)) goto done;
            var dad = ip.Source == 0;
            if (dad && s.Phase != Phase.Announced) { conflict |= Evidence(s, eth.Source, port); goto done; }
            _metrics.RequestReceived(s.Text, "ndp");
            if (s.Phase != Phase.Announced || !Allowed(s.Announcement, port)) goto done;
            // RFC 4861 §7.2.4: to the soliciting address, or to all-nodes when the solicitation was DAD (source ::).
            var answer = new NdpMessage(NdpMessageType.NeighborAdvertisement, s.V6, TargetLinkLayer: port.Mac, Solicited: !dad, Override: true);
            var destination = dad ? IpAddressBits.AllNodes : ip.Source;
            var destinationMac = dad ? MacAddress.ForIPv6Multicast(IpAddressBits.AllNodes) : message.SourceLinkLayer ?? eth.Source;
            Span<byte> buffer = stackalloc byte[NdpFrame.GetEncodedLength(answer)];
            // Source = the target itself, as the Linux kernel does for its own addresses (ndisc6 insists on it).
            NdpFrame.TryWrite(buffer, destinationMac, port.Mac, s.V6, destination, answer, out var n);
            if (port.TrySend(buffer[..n])) _metrics.ResponseSent(s.Text, "ndp");
        }
    done:
        if (conflict) PublishFailures();
    }

    /// <summary>Records that <paramref name="mac"/> claims <paramref name="s"/>'s IP; true when this starts a conflict.</summary>
    private bool Evidence(IpState s, MacAddress mac, IL2Port port)
    {
        if (_ownMacs.Contains(mac)) return false;
        s.EvidenceThisRound = true;
        s.ConflictMac = mac;
        s.ConflictInterface = port.Name;
        if (s.InConflict) return false;
        s.InConflict = true;
        _metrics.Conflict(s.Text);
        Log.Conflict(_logger, s.Text, mac.ToString(), port.Name, s.Phase == Phase.Announced ? "announcing" : "probing");
        if (s.Phase == Phase.Announced && !s.ProbeRound) Schedule(s, _options.ConflictRecheckInterval);
        return true;
    }

    // ---- state machine (all under _gate) ----

    private void StartProbeRound(IpState s)
    {
        if (_options.ProbeCount <= 0)
        {
            s.InConflict = false;
            Announce(s);
            return;
        }
        s.ProbeRound = true;
        s.Step = 0;
        s.EvidenceThisRound = false;
        SendProbes(s);
        Schedule(s, _options.ProbeInterval);
    }

    private void OnTimer(object? state)
    {
        var s = (IpState)state!;
        lock (_gate)
        {
            if (s.Removed || _disposed) return;
            if (s.ProbeRound)
            {
                if (++s.Step < _options.ProbeCount)
                {
                    SendProbes(s);
                    Schedule(s, _options.ProbeInterval);
                    return;
                }
                s.ProbeRound = false;
                if (s.EvidenceThisRound)
                {
                    s.InConflict = true;
                    if (s.Phase == Phase.Probing) s.Phase = Phase.Conflict;
                    Schedule(s, _options.ConflictRecheckInterval);
                }
                else
                {
                    var wasConflict = s.InConflict;
                    s.InConflict = false;
                    if (wasConflict) Log.ConflictCleared(_logger, s.Text);
                    if (s.Phase == Phase.Announced) Schedule(s, s.Announcement.GratuitousInterval);
                    else Announce(s);
                }
            }
            else if (s.Phase == Phase.Conflict || s.InConflict)
            {
                StartProbeRound(s);
            }
            else if (s.Phase == Phase.Announced)
            {
                foreach (var port in _ports.Values.Where(p => Allowed(s.Announcement, p))) SendGratuitous(s, port);
                s.Step++;
                var burst = _options.GratuitousBurst;
                Schedule(s, s.Step < burst.Count ? burst[s.Step] - burst[s.Step - 1] : s.Announcement.GratuitousInterval);
            }
        }
        PublishFailures();
    }

    private void Announce(IpState s)
    {
        s.Phase = Phase.Announced;
        s.Step = 0;
        var names = string.Join(",", _ports.Values.Where(p => Allowed(s.Announcement, p)).Select(p => p.Name));
        Log.Announcing(_logger, s.Text, names);
        foreach (var port in _ports.Values.Where(p => Allowed(s.Announcement, p))) SendGratuitous(s, port);
        Schedule(s, _options.GratuitousBurst.Count > 0 ? _options.GratuitousBurst[0] : s.Announcement.GratuitousInterval);
    }

    private void Schedule(IpState s, TimeSpan? due)
    {
        s.Timer ??= _time.CreateTimer(OnTimer, s, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
        s.Timer.Change(due is { } d && d > TimeSpan.Zero ? d : due is null ? Timeout.InfiniteTimeSpan : TimeSpan.FromTicks(1), Timeout.InfiniteTimeSpan);
    }

    private void Remove(IpState s)
    {
        s.Removed = true;
        s.Timer?.Dispose();
        if (s.IsV6) _v6.Remove(s.V6); else _v4.Remove(s.V4);
    }

    private void SendProbes(IpState s)
    {
        var sent = 0;
        Span<byte> buffer = stackalloc byte[128];
        foreach (var port in _ports.Values.Where(p => Allowed(s.Announcement, p)))
        {
            int n;
            if (s.IsV6)
            {
                // RFC 4862 §5.4.2: DAD solicitation from ::, to the solicited-node group, no source link-layer option.
                var group = IpAddressBits.SolicitedNodeMulticast(s.V6);
                NdpFrame.TryWrite(buffer, MacAddress.ForIPv6Multicast(group), port.Mac, 0, group, new NdpMessage(NdpMessageType.NeighborSolicitation, s.V6), out n);
            }
            else
            {
                ArpFrame.TryWrite(buffer, MacAddress.Broadcast, port.Mac, ArpPacket.Probe(port.Mac, s.V4), out n);
            }
            if (port.TrySend(buffer[..n])) sent++;
        }
        if (sent > 0) _metrics.ProbeSent(s.Text, s.IsV6 ? "ndp" : "arp", sent);
    }

    private void SendGratuitous(IpState s, IL2Port port)
    {
        var sent = 0;
        if (s.IsV6)
        {
            var na = new NdpMessage(NdpMessageType.NeighborAdvertisement, s.V6, TargetLinkLayer: port.Mac, Override: true);
            Span<byte> buffer = stackalloc byte[NdpFrame.GetEncodedLength(na)];
            NdpFrame.TryWrite(buffer, MacAddress.ForIPv6Multicast(IpAddressBits.AllNodes), port.Mac, s.V6, IpAddressBits.AllNodes, na, out var n);
            if (port.TrySend(buffer[..n])) sent++;
        }
        else
        {
            // Both forms (RFC 5227 §3 announcement as a request; a gratuitous reply), as MetalLB and arping -U/-A do.
            Span<byte> buffer = stackalloc byte[ArpFrame.UntaggedLength];
            ArpFrame.TryWrite(buffer, MacAddress.Broadcast, port.Mac, new ArpPacket(ArpOperation.Request, port.Mac, s.V4, MacAddress.Zero, s.V4), out var n);
            if (port.TrySend(buffer[..n])) sent++;
            ArpFrame.TryWrite(buffer, MacAddress.Broadcast, port.Mac, new ArpPacket(ArpOperation.Reply, port.Mac, s.V4, MacAddress.Broadcast, s.V4), out n);
            if (port.TrySend(buffer[..n])) sent++;
        }
        if (sent > 0) _metrics.GratuitousSent(s.Text, s.IsV6 ? "ndp" : "arp", sent);
    }

    private void UpdateMulticast()
    {
        foreach (var port in _ports.Values)
        {
            var groups = _v6.Values.Where(s => Allowed(s.Announcement, port)).Select(s => IpAddressBits.SolicitedNodeMulticast(s.V6)).ToHashSet();
            if (_groups.TryGetValue(port, out var current) && current.SetEquals(groups)) continue;
            _groups[port] = groups;
            port.SetMulticastGroups(groups);
        }
    }

    private static bool Allowed(Layer2Announcement a, IL2Port port) => a.Interfaces.IsDefaultOrEmpty || a.Interfaces.Contains(port.Name);

    private IEnumerable<IpState> All() => _v4.Values.Concat(_v6.Values);

    private IpState? Find(IPAddress ip)
        => ip.AddressFamily == AddressFamily.InterNetworkV6
            ? _v6.GetValueOrDefault(IpAddressBits.ToUInt128(ip))
            : _v4.GetValueOrDefault(IpAddressBits.ToUInt32(ip));

    // ---- failures ----

    private void PublishFailures()
    {
        AnnounceFailure[] next;
        lock (_gate)
        {
            var list = new List<AnnounceFailure>();
            var names = _ports.Values.Select(p => p.Name).ToHashSet();
            foreach (var s in All().OrderBy(s => s.Text, StringComparer.Ordinal))
            {
                var listed = s.Announcement.Interfaces.IsDefaultOrEmpty ? [] : s.Announcement.Interfaces;
                var missing = listed.Where(i => !names.Contains(i) && !_portErrors.ContainsKey(i)).ToList();
                if (missing.Count > 0)
                    list.Add(new AnnounceFailure(s.Address, "InterfaceNotFound", missing.Count == listed.Length
                        ? $"none of the interfaces {string.Join(", ", listed)} exists or is usable (up, Ethernet, ARP on, not enslaved, not excluded) on this node"
                        : $"interface {string.Join(", ", missing)} does not exist or is not usable on this node; announcing on the others"));
                else if (listed.Length == 0 && _ports.Count == 0)
                    list.Add(new AnnounceFailure(s.Address, "NoInterface", "no usable interface (up, Ethernet, ARP on, not enslaved, not excluded) on this node"));
                foreach (var (name, error) in _portErrors.Where(e => listed.Length == 0 || listed.Contains(e.Key)).OrderBy(e => e.Key, StringComparer.Ordinal))
                    list.Add(new AnnounceFailure(s.Address, "SocketError", $"cannot open raw sockets on {name}: {error}"));
                if (s.InConflict)
                    list.Add(new AnnounceFailure(s.Address, "AddressConflict", s.Phase == Phase.Announced
                        ? $"another host ({s.ConflictMac}) answers for {s.Text} on {s.ConflictInterface}; still answering, not fighting, rechecking every {_options.ConflictRecheckInterval.TotalMilliseconds:0} ms"
                        : $"another host ({s.ConflictMac}) answers for {s.Text} on {s.ConflictInterface}; not announcing it until that stops (rechecking every {_options.ConflictRecheckInterval.TotalMilliseconds:0} ms)"));
            }
            next = [.. list];
            if (next.SequenceEqual(_failures)) return;
            Volatile.Write(ref _failures, next);
        }
        FailuresChanged?.Invoke();
    }

    public async ValueTask DisposeAsync()
    {
        lock (_gate)
        {
            if (_disposed) return;
            _disposed = true;
            foreach (var s in All().ToList()) Remove(s);
        }
        await _provider.DisposeAsync().ConfigureAwait(false);
    }

    private enum Phase { Probing, Announced, Conflict }

    private sealed class IpState
    {
        public IpState(IPAddress address, Layer2Announcement announcement)
        {
            Address = address;
            Announcement = announcement;
            Text = address.ToString();
            IsV6 = address.AddressFamily == AddressFamily.InterNetworkV6;
            if (IsV6) V6 = IpAddressBits.ToUInt128(address); else V4 = IpAddressBits.ToUInt32(address);
        }

        public IPAddress Address { get; }
        public string Text { get; }
        public bool IsV6 { get; }
        public uint V4 { get; }
        public UInt128 V6 { get; }
        public Layer2Announcement Announcement { get; set; }
        public Phase Phase { get; set; }
        public ITimer? Timer { get; set; }
        public bool Removed { get; set; }
        public bool ProbeRound { get; set; }
        public int Step { get; set; }
        public bool EvidenceThisRound { get; set; }
        public bool InConflict { get; set; }
        public MacAddress? ConflictMac { get; set; }
        public string? ConflictInterface { get; set; }
    }
}
