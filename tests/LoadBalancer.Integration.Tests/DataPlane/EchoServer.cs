using System.Net;
using System.Net.Sockets;
using System.Text;
using LoadBalancer.TestKit.Net;

namespace LoadBalancer.Integration.Tests.DataPlane;

/// <summary>A tiny TCP server inside a pod namespace: answers each connection with "&lt;pod&gt; &lt;peer address&gt;\n" and closes.</summary>
internal sealed class EchoServer : IAsyncDisposable
{
    private readonly Socket _listener;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;

    private EchoServer(string name, Socket listener)
    {
        Name = name;
        _listener = listener;
        _loop = Task.Run(AcceptAsync);
    }

    public string Name { get; }

    public static async Task<EchoServer> StartAsync(NetNamespace ns, string name, int port)
    {
        var socket = await ns.RunInsideAsync(() =>
        {
            var s = new Socket(AddressFamily.InterNetworkV6, SocketType.Stream, ProtocolType.Tcp) { DualMode = true };
            s.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, true);
            s.Bind(new IPEndPoint(IPAddress.IPv6Any, port));
            s.Listen(512);
            return s;
        }).WaitAsync(TimeSpan.FromSeconds(10));
        return new EchoServer(name, socket);
    }

    private async Task AcceptAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            Socket client;
            try { client = await _listener.AcceptAsync(_stop.Token); }
            catch (Exception ex) when (ex is OperationCanceledException or ObjectDisposedException or SocketException) { return; }
            _ = Task.Run(async () =>
            {
                using (client)
                {
                    try
                    {
                        var peer = ((IPEndPoint)client.RemoteEndPoint!).Address;
                        if (peer.IsIPv4MappedToIPv6) peer = peer.MapToIPv4();
                        await client.SendAsync(Encoding.ASCII.GetBytes($"{Name} {peer}\n"), SocketFlags.None);
                        client.Shutdown(SocketShutdown.Both);
                    }
                    catch (SocketException) { }
                }
            });
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Dispose();
        try { await _loop.WaitAsync(TimeSpan.FromSeconds(5)); } catch (TimeoutException) { }
        _stop.Dispose();
    }
}
