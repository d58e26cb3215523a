using System.Buffers.Binary;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using LoadBalancer.TestKit.Net;

namespace LoadBalancer.Integration.Tests.Layer2;

/// <summary>A UDP echo server bound to the VIP inside a node namespace; it answers with its node name.</summary>
internal sealed class UdpEcho : IAsyncDisposable
{
    private readonly Socket _socket;
    private readonly Task _loop;
    private readonly CancellationTokenSource _stop = new();

    private UdpEcho(Socket socket, string node)
    {
        _socket = socket;
        _loop = Task.Run(() => LoopAsync(Encoding.ASCII.GetBytes(node)));
    }

    public static async Task<UdpEcho> StartAsync(NetNamespace ns, IPAddress vip, int port, string node)
    {
        var socket = await ns.RunInsideAsync(() =>
        {
            var s = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
            s.Bind(new IPEndPoint(vip, port));
            return s;
        });
        return new UdpEcho(socket, node);
    }

    private async Task LoopAsync(byte[] name)
    {
        var buffer = new byte[64];
        EndPoint any = new IPEndPoint(IPAddress.Any, 0);
        while (!_stop.IsCancellationRequested)
        {
            try
            {
                var r = await _socket.ReceiveFromAsync(buffer, SocketFlags.None, any, _stop.Token);
                if (r.ReceivedBytes < 8) continue;
                var reply = new byte[8 + name.Length];
                buffer.AsSpan(0, 8).CopyTo(reply);
                name.CopyTo(reply, 8);
                await _socket.SendToAsync(reply, SocketFlags.None, r.RemoteEndPoint, _stop.Token);
            }
            catch (Exception ex) when (ex is OperationCanceledException or ObjectDisposedException or SocketException)
            {
                if (_stop.IsCancellationRequested) return;
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        _stop.Cancel();
        _socket.Dispose();
        await _loop;
        _stop.Dispose();
    }
}

/// <summary>
/// The client: one UDP probe to the VIP every <c>interval</c>, each answer recorded with its arrival time and the
/// node that answered. A failover's gap is the time between the last answer before the failure and the first after.
/// </summary>
internal sealed class UdpProber : IAsyncDisposable
{
    private readonly Socket _socket;
    private readonly CancellationTokenSource _stop = new();
    private readonly List<(long Timestamp, string Node)> _answers = [];
    private readonly Task _send;
    private readonly Task _receive;

    private UdpProber(Socket socket, TimeSpan interval)
    {
        _socket = socket;
        _send = Task.Run(() => SendLoopAsync(interval));
        _receive = Task.Run(ReceiveLoopAsync);
    }

    public static async Task<UdpProber> StartAsync(NetNamespace ns, IPAddress vip, int port, TimeSpan interval)
    {
        var socket = await ns.RunInsideAsync(() =>
        {
            var s = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
            s.Connect(new IPEndPoint(vip, port));
            return s;
        });
        return new UdpProber(socket, interval);
    }

    private async Task SendLoopAsync(TimeSpan interval)
    {
        using var timer = new PeriodicTimer(interval);
        var buffer = new byte[8];
        ulong sequence = 0;
        while (!_stop.IsCancellationRequested)
        {
            BinaryPrimitives.WriteUInt64BigEndian(buffer, ++sequence);
            try { _socket.Send(buffer); } catch (SocketException) { } catch (ObjectDisposedException) { return; }
            try { await timer.WaitForNextTickAsync(_stop.Token); } catch (OperationCanceledException) { return; }
        }
    }

    private async Task ReceiveLoopAsync()
    {
        var buffer = new byte[64];
        while (!_stop.IsCancellationRequested)
        {
            try
            {
                var n = await _socket.ReceiveAsync(buffer, SocketFlags.None, _stop.Token);
                if (n <= 8) continue;
                var node = Encoding.ASCII.GetString(buffer, 8, n - 8);
                lock (_answers) _answers.Add((Stopwatch.GetTimestamp(), node));
            }
            catch (Exception ex) when (ex is OperationCanceledException or ObjectDisposedException) { return; }
            catch (SocketException) { } // ICMP errors while nobody answers
        }
    }

    /// <summary>The node that answered last, if it answered within the last <paramref name="within"/>.</summary>
    public string? RecentNode(TimeSpan within)
    {
        lock (_answers)
        {
            if (_answers.Count == 0) return null;
            var last = _answers[^1];
            return Stopwatch.GetElapsedTime(last.Timestamp) <= within ? last.Node : null;
        }
    }

    /// <summary>Time from the last answer of <paramref name="from"/> at or before <paramref name="failedAt"/> to the first answer of <paramref name="to"/> after it.</summary>
    public TimeSpan? Gap(long failedAt, string from, string to)
    {
        lock (_answers)
        {
            var before = _answers.LastOrDefault(a => a.Timestamp <= failedAt && a.Node == from);
            var after = _answers.FirstOrDefault(a => a.Timestamp > failedAt && a.Node == to);
            if (before.Node is null || after.Node is null) return null;
            return Stopwatch.GetElapsedTime(before.Timestamp, after.Timestamp);
        }
    }

    /// <summary>Answers from <paramref name="node"/> after <paramref name="since"/>.</summary>
    public int AnswersFrom(string node, long since)
    {
        lock (_answers) return _answers.Count(a => a.Timestamp > since && a.Node == node);
    }

    public async ValueTask DisposeAsync()
    {
        _stop.Cancel();
        _socket.Dispose();
        await Task.WhenAll(_send, _receive);
        _stop.Dispose();
    }
}
