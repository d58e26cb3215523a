using System.Buffers;
using System.Net;
using System.Net.Sockets;
using System.Threading.Channels;
using LoadBalancer.Proto.Bgp;

namespace LoadBalancer.Speaker.Tests.Bgp;

/// <summary>
/// A scripted BGP router on 127.0.0.1 built from our own codecs: accepts the speaker, answers its OPEN and records
/// every message it gets. Tests decide what it sends (or that it goes silent, or sends garbage).
/// </summary>
internal sealed class FakeBgpPeer : IAsyncDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly Channel<(BgpMessageType Type, byte[] Message)> _received = Channel.CreateUnbounded<(BgpMessageType, byte[])>();
    private readonly List<Socket> _connections = [];
    private readonly CancellationTokenSource _cts = new();
    private readonly List<(int Connection, BgpMessageType Type, byte[] Message)> _log = [];
    private int _accepted;

    public FakeBgpPeer(uint asn = 64512, ushort holdTime = 9, bool respond = true)
    {
        Asn = asn;
        HoldTime = holdTime;
        Respond = respond;
        _listener.Start();
        _ = AcceptLoopAsync();
    }

    public uint Asn { get; }

    public ushort HoldTime { get; }

    public bool Respond { get; set; }

    public int Connections { get { lock (_connections) return _connections.Count; } }

    public ushort Port => (ushort)((IPEndPoint)_listener.LocalEndpoint).Port;

    public Socket? Current { get { lock (_connections) return _connections.LastOrDefault(); } }

    /// <summary>Connections the speaker opened to this peer (not counting the ones this peer dialled).</summary>
    public int AcceptedConnections => Volatile.Read(ref _accepted);

    /// <summary>The BGP Identifier in this peer's OPENs (192.0.2.1).</summary>
    public const uint BgpId = 0xC0000201;

    /// <summary>Every message received, with the index of the connection it came on (in order of connection).</summary>
    public List<(int Connection, BgpMessageType Type, byte[] Message)> Log { get { lock (_log) return [.. _log]; } }

    /// <summary>Opens a connection to the speaker's listener and sends this peer's OPEN at once (the active side); returns its index.</summary>
    public async Task<int> DialAsync(int port, IPAddress? from = null)
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            if (from is not null) socket.Bind(new IPEndPoint(from, 0));
            await socket.ConnectAsync(new IPEndPoint(IPAddress.Loopback, port), _cts.Token);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
        int index;
        lock (_connections)
        {
            _connections.Add(socket);
            index = _connections.Count - 1;
        }
        await socket.SendAsync(Open().ToArray(), SocketFlags.None); // before reading: our KEEPALIVE must not overtake it
        _ = ReadLoopAsync(socket, index, dialled: true);
        return index;
    }

    /// <summary>Sends this peer's OPEN and a KEEPALIVE on connection <paramref name="index"/>.</summary>
    public async Task SendOpenOnAsync(int index)
    {
        Socket s;
        lock (_connections) s = _connections[index];
        await s.SendAsync(Open().ToArray(), SocketFlags.None);
        await s.SendAsync(BgpFraming.Keepalive(), SocketFlags.None);
    }

    /// <summary>Waits for a message of <paramref name="type"/> on connection <paramref name="index"/>.</summary>
    public async Task<byte[]> WaitOnAsync(int index, BgpMessageType type, int seconds = 10)
    {
        var deadline = DateTime.UtcNow.AddSeconds(seconds);
        while (true)
        {
            var hit = Log.FirstOrDefault(m => m.Connection == index && m.Type == type);
            if (hit.Message is not null) return hit.Message;
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"no {type} on connection {index} within {seconds} s");
            await Task.Delay(10);
        }
    }

    private BgpOpen Open() => BgpOpen.Create(Asn, HoldTime, BgpId, [new MultiprotocolCapability(BgpAfi.IPv4, BgpSafi.Unicast),
        new MultiprotocolCapability(BgpAfi.IPv6, BgpSafi.Unicast), new RouteRefreshCapability(), new ExtendedMessageCapability()]);

    public async Task<(BgpMessageType Type, byte[] Message)> NextAsync(Func<BgpMessageType, byte[], bool>? match = null, int seconds = 10)
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(seconds));
        while (true)
        {
            var m = await _received.Reader.ReadAsync(cts.Token);
            if (match is null || match(m.Type, m.Message)) return m;
        }
    }

    public async Task<BgpUpdate> NextUpdateAsync(int seconds = 10)
    {
        var (_, m) = await NextAsync((t, _) => t == BgpMessageType.Update, seconds);
        Assert.Equal(BgpUpdateStatus.Ok, BgpUpdate.TryDecode(m.AsSpan(19), BgpDecodeContext.Modern with { ExtendedMessages = true }, out var u, out var e));
        Assert.Null(e);
        return u;
    }

    public async Task SendAsync(byte[] bytes)
    {
        var s = Current ?? throw new InvalidOperationException("no connection");
        await s.SendAsync(bytes, SocketFlags.None);
    }

    private async Task AcceptLoopAsync()
    {
        try
        {
            while (!_cts.IsCancellationRequested)
            {
                var socket = await _listener.AcceptSocketAsync(_cts.Token);
                int index;
                lock (_connections)
                {
                    _connections.Add(socket);
                    index = _connections.Count - 1;
                }
                Interlocked.Increment(ref _accepted);
                _ = ReadLoopAsync(socket, index, dialled: false);
            }
        }
        catch (Exception ex) when (ex is OperationCanceledException or ObjectDisposedException or SocketException)
        {
        }
    }

    private async Task ReadLoopAsync(Socket socket, int index, bool dialled)
    {
        var buffer = new byte[1 << 20];
        var filled = 0;
        try
        {
            while (true)
            {
                var n = await socket.ReceiveAsync(buffer.AsMemory(filled), SocketFlags.None, _cts.Token);
                if (n == 0) return;
                filled += n;
                while (BgpFraming.TryReadMessage(buffer.AsSpan(0, filled), 65535, out var type, out var length, out _) == OperationStatus.Done)
                {
                    var message = buffer.AsSpan(0, length).ToArray();
                    _received.Writer.TryWrite((type, message));
                    lock (_log) _log.Add((index, type, message));
                    if (type == BgpMessageType.Open && dialled)
                    {
                        await socket.SendAsync(BgpFraming.Keepalive(), SocketFlags.None); // our OPEN went out when we connected
                    }
                    else if (type == BgpMessageType.Open && Respond)
                    {
                        await socket.SendAsync(Open().ToArray(), SocketFlags.None);
                        await socket.SendAsync(BgpFraming.Keepalive(), SocketFlags.None);
                    }
                    buffer.AsSpan(length, filled - length).CopyTo(buffer);
                    filled -= length;
                }
            }
        }
        catch (Exception ex) when (ex is OperationCanceledException or ObjectDisposedException or SocketException)
        {
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _cts.CancelAsync();
        _listener.Stop();
        lock (_connections) foreach (var s in _connections) s.Dispose();
        _cts.Dispose();
    }
}
