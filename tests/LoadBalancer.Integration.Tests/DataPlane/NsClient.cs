using System.Net;
using System.Net.Sockets;
using System.Text;
using LoadBalancer.Speaker.DataPlane.Apply;
using LoadBalancer.TestKit.Net;

namespace LoadBalancer.Integration.Tests.DataPlane;

internal enum OutcomeKind { Answered, Refused, TimedOut, Failed }

/// <summary>What one connection attempt got: the pod that answered and the peer address it saw.</summary>
internal sealed record Outcome(OutcomeKind Kind, string? Pod = null, string? Peer = null, string? Error = null)
{
    public override string ToString() => Kind == OutcomeKind.Answered ? $"{Pod} saw {Peer}" : $"{Kind} {Error}";
}

/// <summary>Opens TCP connections from inside a namespace (sockets are created on a thread that entered it).</summary>
internal sealed class NsClient : IDisposable
{
    private readonly NamespaceThread _thread;

    public NsClient(NetNamespace ns) => _thread = new NamespaceThread("client:" + ns.Name, "/var/run/netns/" + ns.Name);

    public Task<Socket> SocketAsync(AddressFamily family) => _thread.InvokeAsync(() => new Socket(family, SocketType.Stream, ProtocolType.Tcp));

    public async Task<Outcome> AskAsync(string destination, int port, string? source = null, TimeSpan? timeout = null)
    {
        var dest = IPAddress.Parse(destination);
        using var socket = await SocketAsync(dest.AddressFamily);
        if (source is not null) socket.Bind(new IPEndPoint(IPAddress.Parse(source), 0));
        using var cts = new CancellationTokenSource(timeout ?? TimeSpan.FromSeconds(3));
        try
        {
            await socket.ConnectAsync(dest, port, cts.Token);
            var buffer = new byte[256];
            var filled = 0;
            while (filled < buffer.Length)
            {
                var n = await socket.ReceiveAsync(buffer.AsMemory(filled), SocketFlags.None, cts.Token);
                if (n == 0) break;
                filled += n;
            }
            var parts = Encoding.ASCII.GetString(buffer, 0, filled).Trim().Split(' ');
            return parts.Length == 2 ? new Outcome(OutcomeKind.Answered, parts[0], parts[1]) : new Outcome(OutcomeKind.Failed, Error: "bad answer");
        }
        catch (SocketException ex) when (ex.SocketErrorCode == SocketError.ConnectionRefused)
        {
            return new Outcome(OutcomeKind.Refused);
        }
        catch (OperationCanceledException)
        {
            return new Outcome(OutcomeKind.TimedOut);
        }
        catch (SocketException ex)
        {
            return new Outcome(OutcomeKind.Failed, Error: ex.SocketErrorCode.ToString());
        }
    }

    /// <summary>An HttpClient whose connections start inside the namespace.</summary>
    public HttpClient Http() => new(new SocketsHttpHandler
    {
        ConnectCallback = async (context, token) =>
        {
            var host = IPAddress.Parse(context.DnsEndPoint.Host.Trim('[', ']'));
            var socket = await SocketAsync(host.AddressFamily);
            try
            {
                await socket.ConnectAsync(host, context.DnsEndPoint.Port, token);
                return new NetworkStream(socket, ownsSocket: true);
            }
            catch
            {
                socket.Dispose();
                throw;
            }
        },
    }) { Timeout = TimeSpan.FromSeconds(10) };

    public void Dispose() => _thread.Dispose();
}
