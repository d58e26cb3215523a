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
                lock (_connections) _connections.Add(socket);
                _ = ReadLoopAsync(socket);
            }
        }
        catch (Exception ex) when (ex is OperationCanceledException or ObjectDisposedException or SocketException)
        {
        }
    }

    private async Task ReadLoopAsync(Socket socket)
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
                    if (type == BgpMessageType.Open && Respond)
                    {
                        var open = BgpOpen.Create(Asn, HoldTime, 0xC0000201, [new MultiprotocolCapability(BgpAfi.IPv4, BgpSafi.Unicast),
                            new MultiprotocolCapability(BgpAfi.IPv6, BgpSafi.Unicast), new RouteRefreshCapability(), new ExtendedMessageCapability()]);
                        await socket.SendAsync(open.ToArray(), SocketFlags.None);
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
