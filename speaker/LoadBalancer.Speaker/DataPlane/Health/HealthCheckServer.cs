using System.Collections.Concurrent;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using LoadBalancer.Speaker.Announcing;
using LoadBalancer.Speaker.DataPlane.Apply;
using Microsoft.Extensions.Logging;

namespace LoadBalancer.Speaker.DataPlane.Health;

/// <summary>Options of <see cref="HealthCheckServer"/>.</summary>
public sealed class HealthCheckServerOptions
{
    /// <summary>Where to listen; IPv6Any listens dual-stack (falls back to 0.0.0.0 when IPv6 is off). kube-proxy: nodePortAddresses or all.</summary>
    public IPAddress BindAddress { get; set; } = IPAddress.IPv6Any;

    /// <summary>Open the listeners inside this network namespace (tests, sandbox); null = the process's namespace.</summary>
    public string? NetworkNamespacePath { get; set; }

    /// <summary>A connection that has not sent its request headers within this time is closed.</summary>
    public TimeSpan RequestTimeout { get; set; } = TimeSpan.FromSeconds(5);
}

/// <summary>
/// The healthCheckNodePort server, answering exactly as kube-proxy's <c>pkg/proxy/healthcheck/service_health.go</c>:
/// one listener per port, any path and method; <c>200</c> when the Service has local Ready endpoints and the proxy
/// is healthy, else <c>503</c>; headers <c>Content-Type: application/json</c>, <c>X-Content-Type-Options: nosniff</c>,
/// <c>X-Load-Balancing-Endpoint-Weight: N</c>; kube-proxy's JSON body. A plain socket server: a handful of ports,
/// a few requests per second each, opened and closed as Services come and go (<see cref="SetServices"/>).
/// </summary>
internal sealed partial class HealthCheckServer : IAsyncDisposable
{
    private readonly ILogger _logger;
    private readonly HealthCheckServerOptions _options;
    private readonly ConcurrentDictionary<int, Listener> _listeners = new();
    private readonly ConcurrentDictionary<int, string> _bindErrors = new();
    private readonly object _gate = new();
    private readonly CancellationTokenSource _stop = new();

    public HealthCheckServer(ILogger<HealthCheckServer> logger, HealthCheckServerOptions options)
        : this((ILogger)logger, options)
    {
    }

    internal HealthCheckServer(ILogger logger, HealthCheckServerOptions options)
    {
        _logger = logger;
        _options = options;
    }

    /// <summary>kube-proxy's serviceProxyHealthy; set by the data plane (false while its applies keep failing).</summary>
    public Func<bool> ProxyHealthy { get; set; } = () => true;

    /// <summary>Ports that could not be opened, with the reason (retried on the next <see cref="SetServices"/>).</summary>
    public IReadOnlyDictionary<int, string> BindErrors => _bindErrors;

    /// <summary>The ports currently served.</summary>
    public IReadOnlyCollection<int> Ports => [.. _listeners.Keys.Order()];

    /// <summary>Replaces the set of served Services: opens new ports, closes gone ones, updates the counts.</summary>
    public void SetServices(IReadOnlyCollection<HealthCheckService> services)
    {
        lock (_gate)
        {
            if (_stop.IsCancellationRequested) return;
            var wanted = new Dictionary<int, HealthCheckService>();
            foreach (var s in services)
            {
                if (!wanted.TryAdd(s.Port, s))
                    Log.PortClash(_logger, s.Port, s.Service, wanted[s.Port].Service);
            }
            foreach (var (port, listener) in _listeners)
            {
                if (wanted.ContainsKey(port)) continue;
                _listeners.TryRemove(port, out _);
                listener.Dispose();
                Log.Closed(_logger, port, listener.State.Service);
            }
            foreach (var key in _bindErrors.Keys) if (!wanted.ContainsKey(key)) _bindErrors.TryRemove(key, out _);
            foreach (var (port, s) in wanted)
            {
                if (_listeners.TryGetValue(port, out var existing))
                {
                    existing.State = s;
                    continue;
                }
                try
                {
                    var socket = OpenListener(port);
                    var listener = new Listener(this, socket, s);
                    _listeners[port] = listener;
                    _bindErrors.TryRemove(port, out _);
                    listener.Start(_stop.Token);
                    Log.Opened(_logger, port, s.Service);
                }
                catch (Exception ex) when (ex is SocketException or InvalidOperationException or IOException)
                {
                    _bindErrors[port] = ex.Message;
                    Log.BindFailed(_logger, port, s.Service, ex.Message);
                }
            }
        }
    }

    private Socket OpenListener(int port)
    {
        Socket Open()
        {
            var address = _options.BindAddress;
            Socket socket;
            try
            {
                socket = new Socket(address.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
                if (address.Equals(IPAddress.IPv6Any)) socket.DualMode = true;
            }
            catch (SocketException) when (address.Equals(IPAddress.IPv6Any))
            {
                address = IPAddress.Any;
                socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            }
            try
            {
                socket.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, true);
                socket.Bind(new IPEndPoint(address, port));
                socket.Listen(64);
                return socket;
            }
            catch
            {
                socket.Dispose();
                throw;
            }
        }

        if (_options.NetworkNamespacePath is null) return Open();
        using var thread = new NamespaceThread("healthcheck-bind", _options.NetworkNamespacePath);
        return thread.InvokeAsync(Open).GetAwaiter().GetResult();
    }

    /// <summary>The response for one Service, byte for byte (status line, headers, kube-proxy's body).</summary>
    internal static byte[] Response(HealthCheckService service, bool proxyHealthy, bool head = false)
    {
        var count = service.LocalEndpoints;
        var ok = count != 0 && proxyHealthy;
        var body = string.Create(CultureInfo.InvariantCulture,
            $"{{\n\t\"service\": {{\n\t\t\"namespace\": {Quote(service.Service.Namespace)},\n\t\t\"name\": {Quote(service.Service.Name)}\n\t}},\n\t\"localEndpoints\": {count},\n\t\"serviceProxyHealthy\": {(proxyHealthy ? "true" : "false")}\n}}");
        var bodyBytes = Encoding.UTF8.GetBytes(body);
        var head0 = string.Create(CultureInfo.InvariantCulture,
            $"HTTP/1.1 {(ok ? "200 OK" : "503 Service Unavailable")}\r\nContent-Type: application/json\r\nX-Content-Type-Options: nosniff\r\nX-Load-Balancing-Endpoint-Weight: {count}\r\nContent-Length: {bodyBytes.Length}\r\nConnection: close\r\n\r\n");
        var headBytes = Encoding.ASCII.GetBytes(head0);
        return head ? headBytes : [.. headBytes, .. bodyBytes];
    }

    private static string Quote(string value) => System.Text.Json.JsonSerializer.Serialize(value, HealthJsonContext.Default.String);

    private async Task ServeAsync(Socket client, Listener listener, CancellationToken stop)
    {
        using (client)
        {
            try
            {
                using var timeout = CancellationTokenSource.CreateLinkedTokenSource(stop);
                timeout.CancelAfter(_options.RequestTimeout);
                var buffer = new byte[8192];
                var filled = 0;
                while (filled < buffer.Length)
                {
                    var n = await client.ReceiveAsync(buffer.AsMemory(filled), SocketFlags.None, timeout.Token).ConfigureAwait(false);
                    if (n == 0) break;
                    filled += n;
                    if (buffer.AsSpan(0, filled).IndexOf("\r\n\r\n"u8) >= 0) break;
                }
                var head = filled >= 5 && buffer.AsSpan(0, 5).SequenceEqual("HEAD "u8);
                var response = Response(listener.State, ProxyHealthy(), head);
                await client.SendAsync(response, SocketFlags.None, timeout.Token).ConfigureAwait(false);
                client.Shutdown(SocketShutdown.Both);
            }
            catch (Exception ex) when (ex is SocketException or OperationCanceledException or ObjectDisposedException)
            {
                Log.RequestFailed(_logger, listener.Port, ex.Message);
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        lock (_gate)
        {
            if (_stop.IsCancellationRequested) return;
            _stop.Cancel();
        }
        foreach (var l in _listeners.Values) l.Stop();
        await Task.WhenAll(_listeners.Values.Select(l => l.Completion)).WaitAsync(TimeSpan.FromSeconds(10)).ConfigureAwait(false);
        foreach (var l in _listeners.Values) l.Dispose();
        _listeners.Clear();
        _stop.Dispose();
    }

    private sealed class Listener(HealthCheckServer server, Socket socket, HealthCheckService state) : IDisposable
    {
        private readonly CancellationTokenSource _stop = new();

        public volatile HealthCheckService State = state;

        public int Port => State.Port;

        public Task Completion { get; private set; } = Task.CompletedTask;

        public void Start(CancellationToken serverStop)
        {
            var token = CancellationTokenSource.CreateLinkedTokenSource(serverStop, _stop.Token).Token;
            Completion = Task.Run(async () =>
            {
                while (!token.IsCancellationRequested)
                {
                    Socket client;
                    try
                    {
                        client = await socket.AcceptAsync(token).ConfigureAwait(false);
                    }
                    catch (Exception ex) when (ex is OperationCanceledException or ObjectDisposedException or SocketException)
                    {
                        break;
                    }
                    _ = server.ServeAsync(client, this, token);
                }
            }, CancellationToken.None);
        }

        public void Stop()
        {
            _stop.Cancel();
            socket.Dispose();
        }

        public void Dispose()
        {
            Stop();
            _stop.Dispose();
        }
    }
}

[System.Text.Json.Serialization.JsonSerializable(typeof(string))]
internal sealed partial class HealthJsonContext : System.Text.Json.Serialization.JsonSerializerContext;
