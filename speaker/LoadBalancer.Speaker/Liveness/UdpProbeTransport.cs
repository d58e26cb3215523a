using System.Net;
using System.Net.Sockets;
using LoadBalancer.Speaker.Interop;

namespace LoadBalancer.Speaker.Liveness;

/// <summary>The probe socket: UDP on <see cref="PeerProberOptions.Port"/>, dual-stack when bound to ::.</summary>
internal sealed class UdpProbeTransport(PeerProberOptions options) : IProbeTransport
{
    private readonly CancellationTokenSource _stopping = new();
    private Socket? _socket;
    private Task? _loop;

    public void Start(Action<ReadOnlyMemory<byte>, IPEndPoint> receive)
    {
        _socket = NetworkNamespace.Run(options.NetworkNamespacePath, () =>
        {
            var socket = new Socket(options.BindAddress.AddressFamily, SocketType.Dgram, ProtocolType.Udp);
            try
            {
                if (options.BindAddress.AddressFamily == AddressFamily.InterNetworkV6) socket.DualMode = true;
                socket.Bind(new IPEndPoint(options.BindAddress, options.Port));
                return socket;
            }
            catch
            {
                socket.Dispose();
                throw;
            }
        });
        _loop = Task.Run(() => ReceiveLoopAsync(receive));
    }

    private async Task ReceiveLoopAsync(Action<ReadOnlyMemory<byte>, IPEndPoint> receive)
    {
        var buffer = new byte[512];
        EndPoint any = new IPEndPoint(options.BindAddress.AddressFamily == AddressFamily.InterNetworkV6 ? IPAddress.IPv6Any : IPAddress.Any, 0);
        while (!_stopping.IsCancellationRequested)
        {
            try
            {
                var result = await _socket!.ReceiveFromAsync(buffer, SocketFlags.None, any, _stopping.Token).ConfigureAwait(false);
                var from = (IPEndPoint)result.RemoteEndPoint;
                if (from.Address.IsIPv4MappedToIPv6) from = new IPEndPoint(from.Address.MapToIPv4(), from.Port);
                receive(buffer.AsMemory(0, result.ReceivedBytes), from);
            }
            catch (Exception ex) when (ex is OperationCanceledException or ObjectDisposedException)
            {
                return;
            }
            catch (SocketException)
            {
                // ICMP port unreachable from a peer that is down surfaces here on some kernels; keep listening.
            }
        }
    }

    public void Send(ReadOnlySpan<byte> datagram, IPEndPoint destination)
    {
        var socket = _socket;
        if (socket is null) return;
        try
        {
            var target = socket.AddressFamily == AddressFamily.InterNetworkV6 && destination.AddressFamily == AddressFamily.InterNetwork
                ? new IPEndPoint(destination.Address.MapToIPv6(), destination.Port) : destination;
            socket.SendTo(datagram, SocketFlags.None, target);
        }
        catch (Exception ex) when (ex is SocketException or ObjectDisposedException)
        {
            // Unreachable network or a closing socket: the peer will simply not hear us, which is the signal.
        }
    }

    public async ValueTask DisposeAsync()
    {
        _stopping.Cancel();
        _socket?.Dispose();
        if (_loop is not null) await _loop.ConfigureAwait(false);
        _stopping.Dispose();
    }
}
