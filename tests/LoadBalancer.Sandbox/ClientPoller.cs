using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using LoadBalancer.TestKit.Net;

namespace LoadBalancer.Sandbox;

/// <summary>One request attempt: when it started (from the poller's start), whether it was answered, and by which node.</summary>
public readonly record struct Attempt(TimeSpan At, bool Ok, string? Node);

/// <summary>
/// What a client saw over a window of attempts (pure): the longest interruption is the time from the first failed
/// attempt of a run of failures to the next answered attempt (a run still failing at the end counts to the last attempt).
/// </summary>
public sealed record ClientView(string Ip, IReadOnlyList<Attempt> Attempts)
{
    public int Failed => Attempts.Count(a => !a.Ok);

    public TimeSpan LongestInterruption
    {
        get
        {
            var longest = TimeSpan.Zero;
            TimeSpan? failedAt = null;
            foreach (var a in Attempts)
            {
                if (!a.Ok) failedAt ??= a.At;
                else if (failedAt is { } f)
                {
                    if (a.At - f > longest) longest = a.At - f;
                    failedAt = null;
                }
            }
            if (failedAt is { } open && Attempts.Count > 0 && Attempts[^1].At - open > longest) longest = Attempts[^1].At - open;
            return longest;
        }
    }

    public bool EndsAnswered => Attempts.Count > 0 && Attempts[^1].Ok;
}

/// <summary>
/// A client in the client namespace sending one HTTP request at a time to a Service IP, every <c>interval</c>, each
/// with its own <c>timeout</c>, from sockets opened inside the namespace (no process per request), until stopped.
/// </summary>
public sealed class ClientPoller : IAsyncDisposable
{
    private readonly List<Attempt> _attempts = [];
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;
    private readonly string _ip;

    public ClientPoller(SandboxLab lab, string ip, TimeSpan interval, TimeSpan timeout)
    {
        _ip = ip;
        var ns = lab.Topology.ClientNamespace;
        _loop = Task.Run(async () =>
        {
            var sw = Stopwatch.StartNew();
            while (!_stop.IsCancellationRequested)
            {
                var at = sw.Elapsed;
                var answer = await RequestAsync(ns, ip, Topology.ServicePort, timeout, _stop.Token).ConfigureAwait(false);
                if (_stop.IsCancellationRequested) break;
                var node = answer?.Split(' ').FirstOrDefault(f => f.StartsWith("node=", StringComparison.Ordinal))?[5..];
                lock (_attempts) _attempts.Add(new Attempt(at, answer is not null, node));
                var wait = at + interval - sw.Elapsed;
                if (wait > TimeSpan.Zero)
                {
                    try { await Task.Delay(wait, _stop.Token).ConfigureAwait(false); }
                    catch (OperationCanceledException) { break; }
                }
            }
        });
    }

    /// <summary>Stops polling and returns everything the client saw.</summary>
    public async Task<ClientView> StopAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        await _loop.ConfigureAwait(false);
        lock (_attempts) return new ClientView(_ip, [.. _attempts]);
    }

    public async ValueTask DisposeAsync()
    {
        if (!_stop.IsCancellationRequested) await StopAsync().ConfigureAwait(false);
        _stop.Dispose();
    }

    /// <summary>One HTTP/1.0 request from inside <paramref name="ns"/>; the echo line ("pod=... node=... peer=...") or null.</summary>
    public static async Task<string?> RequestAsync(string ns, string ip, int port, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var address = IPAddress.Parse(ip);
        using var socket = await NetNamespace.RunInsideAsync(ns, () => new Socket(address.AddressFamily, SocketType.Stream, ProtocolType.Tcp)).ConfigureAwait(false);
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        cts.CancelAfter(timeout);
        try
        {
            await socket.ConnectAsync(address, port, cts.Token).ConfigureAwait(false);
            await socket.SendAsync(Encoding.ASCII.GetBytes("GET / HTTP/1.0\r\n\r\n"), SocketFlags.None, cts.Token).ConfigureAwait(false);
            var buffer = new byte[1024];
            var total = 0;
            while (total < buffer.Length)
            {
                var n = await socket.ReceiveAsync(buffer.AsMemory(total), SocketFlags.None, cts.Token).ConfigureAwait(false);
                if (n == 0) break;
                total += n;
            }
            var text = Encoding.ASCII.GetString(buffer, 0, total);
            var body = text.IndexOf("\r\n\r\n", StringComparison.Ordinal);
            return text.StartsWith("HTTP/1.0 200", StringComparison.Ordinal) && body >= 0 && text[(body + 4)..].StartsWith("pod=", StringComparison.Ordinal)
                ? text[(body + 4)..].Trim() : null;
        }
        catch (OperationCanceledException) { return null; }
        catch (SocketException) { return null; }
    }
}
