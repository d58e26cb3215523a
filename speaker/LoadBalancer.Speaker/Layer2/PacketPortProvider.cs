using System.Net.Sockets;
using LoadBalancer.Speaker.Interop;
using Microsoft.Extensions.Logging;

namespace LoadBalancer.Speaker.Layer2;

/// <summary>
/// Finds interfaces with rtnetlink (a dump now, again on every link/address notification and every
/// <see cref="Layer2AnnouncerOptions.InterfaceRescanInterval"/>), opens a <see cref="PacketPort"/> per usable one
/// and runs one receive loop per socket. A socket error closes that port and triggers a rescan.
/// </summary>
internal sealed partial class PacketPortProvider(Layer2AnnouncerOptions options, ILogger logger, TimeProvider timeProvider) : IL2PortProvider
{
    private readonly object _scanGate = new();
    private readonly Dictionary<int, PacketPort> _ports = [];
    private readonly InterfaceSelection _selection = new(options.ExcludeInterfacePatterns);
    private readonly CancellationTokenSource _stopping = new();
    private IL2PortHandler? _handler;
    private NetlinkRouteSocket? _dump;
    private NetlinkRouteSocket? _events;
    private ITimer? _timer;
    private Task? _eventLoop;

    public void Start(IL2PortHandler handler)
    {
        _handler = handler;
        (_dump, _events) = NetworkNamespace.Run(options.NetworkNamespacePath, () =>
        {
            var dump = NetlinkRouteSocket.Open();
            var events = NetlinkRouteSocket.Open();
            events.Subscribe(Interop.Interop.Linux.RTNLGRP_LINK, Interop.Interop.Linux.RTNLGRP_IPV6_IFADDR);
            return (dump, events);
        });
        Rescan("start");
        _eventLoop = Task.Run(EventLoopAsync);
        _timer = timeProvider.CreateTimer(_ => Rescan("periodic"), null, options.InterfaceRescanInterval, options.InterfaceRescanInterval);
    }

    private async Task EventLoopAsync()
    {
        var buffer = new byte[16 * 1024];
        while (!_stopping.IsCancellationRequested)
        {
            try
            {
                await _events!.Socket.ReceiveAsync(buffer, SocketFlags.None, _stopping.Token).ConfigureAwait(false);
                Rescan("netlink");
            }
            catch (OperationCanceledException) { return; }
            catch (ObjectDisposedException) { return; }
            catch (SocketException ex) when (ex.SocketErrorCode == SocketError.NoBufferSpaceAvailable)
            {
                Rescan("netlink overrun"); // ENOBUFS: notifications were lost, so read everything again
            }
            catch (SocketException ex)
            {
                Log.NetlinkFailed(logger, ex.Message);
                return; // the periodic rescan keeps working
            }
        }
    }

    internal void Rescan(string reason)
    {
        List<PacketPort> started = [];
        lock (_scanGate)
        {
            if (_stopping.IsCancellationRequested || _dump is null) return;
            NetworkLink[] links;
            try
            {
                links = _dump.DumpLinks();
            }
            catch (Exception ex) when (ex is SocketException or ObjectDisposedException)
            {
                Log.NetlinkFailed(logger, ex.Message);
                return;
            }
            var usable = links.Where(_selection.IsUsable).ToDictionary(l => l.Index);
            var changed = false;
            foreach (var (index, port) in _ports.ToList())
            {
                if (usable.TryGetValue(index, out var link) && link.Name == port.Name && link.Address == port.Link.Address
                    && link.LinkLocalAddresses.SequenceEqual(port.Link.LinkLocalAddresses) && !port.Stopping.IsCancellationRequested)
                    continue;
                _ports.Remove(index);
                port.Dispose();
                changed = true;
            }
            var errors = new Dictionary<string, string>();
            foreach (var link in usable.Values.Where(l => !_ports.ContainsKey(l.Index)))
            {
                try
                {
                    var port = NetworkNamespace.Run(options.NetworkNamespacePath, () => PacketPort.Open(link));
                    _ports[link.Index] = port;
                    started.Add(port);
                    changed = true;
                }
                catch (Exception ex) when (ex is SocketException or InvalidOperationException or System.ComponentModel.Win32Exception)
                {
                    errors[link.Name] = ex.InnerException?.Message ?? ex.Message;
                    Log.PortFailed(logger, link.Name, errors[link.Name]);
                }
            }
            if (changed || errors.Count > 0 || reason == "start")
                _handler!.OnPortsChanged([.. _ports.Values.OrderBy(p => p.Index)], errors);
        }
        foreach (var port in started)
        {
            _ = Task.Run(() => ReceiveLoopAsync(port, port.Arp));
            _ = Task.Run(() => ReceiveLoopAsync(port, port.Ndp));
        }
    }

    private async Task ReceiveLoopAsync(PacketPort port, Socket socket)
    {
        var buffer = new byte[2048];
        var token = port.Stopping.Token;
        while (!token.IsCancellationRequested)
        {
            int n;
            try
            {
                n = await socket.ReceiveAsync(buffer, SocketFlags.None, token).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is OperationCanceledException or ObjectDisposedException)
            {
                return;
            }
            catch (SocketException ex)
            {
                if (token.IsCancellationRequested) return;
                Log.ReceiveFailed(logger, port.Name, ex.Message);
                try { port.Stopping.Cancel(); } catch (ObjectDisposedException) { }
                _ = Task.Run(() => Rescan("socket error"));
                return;
            }
            try
            {
                _handler!.OnFrame(port, buffer.AsSpan(0, n));
            }
            catch (Exception ex)
            {
                // A bug on one frame must not stop the responder; the frame is dropped.
                Log.FrameFailed(logger, port.Name, ex);
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        _stopping.Cancel();
        if (_timer is not null) await _timer.DisposeAsync().ConfigureAwait(false);
        lock (_scanGate)
        {
            foreach (var port in _ports.Values) port.Dispose();
            _ports.Clear();
        }
        _events?.Dispose();
        _dump?.Dispose();
        if (_eventLoop is not null) await _eventLoop.ConfigureAwait(false);
        _stopping.Dispose();
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 3010, Level = LogLevel.Warning, Message = "Cannot open raw sockets on {Interface}: {Reason}")]
        public static partial void PortFailed(ILogger logger, string @interface, string reason);

        [LoggerMessage(EventId = 3011, Level = LogLevel.Warning, Message = "Receiving on {Interface} failed, reopening: {Reason}")]
        public static partial void ReceiveFailed(ILogger logger, string @interface, string reason);

        [LoggerMessage(EventId = 3012, Level = LogLevel.Warning, Message = "rtnetlink failed, relying on periodic interface rescans: {Reason}")]
        public static partial void NetlinkFailed(ILogger logger, string reason);

        [LoggerMessage(EventId = 3013, Level = LogLevel.Error, Message = "Handling a frame from {Interface} failed; frame dropped")]
        public static partial void FrameFailed(ILogger logger, string @interface, Exception exception);
    }
}
