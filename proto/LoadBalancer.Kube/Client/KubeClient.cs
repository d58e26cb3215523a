using System.Buffers;
using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Globalization;
using System.IO.Pipelines;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Security;
using System.Runtime.CompilerServices;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json;
using LoadBalancer.Kube.Api;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace LoadBalancer.Kube;

/// <summary>
/// <see cref="IKubeClient"/> over HttpClient and source-generated System.Text.Json. Thread-safe; make one per
/// process and share it. Non-watch requests time out after <see cref="KubeClientOptions.RequestTimeout"/>; a watch
/// only bounds the wait for its response headers, never the live stream.
/// </summary>
public sealed partial class KubeClient : IKubeClient, IDisposable
{
    private static readonly Meter Meter = new("LoadBalancer.Kube");
    private static readonly Counter<long> Requests = Meter.CreateCounter<long>("loadbalancer.kube.requests", description: "API requests by verb, resource and code");
    private static readonly Histogram<double> Duration = Meter.CreateHistogram<double>("loadbalancer.kube.request.duration", "s", "API request latency (headers received)");
    private static readonly MediaTypeHeaderValue JsonMediaType = new("application/json");

    private readonly HttpClient _http;
    private readonly KubeClientOptions _options;
    private readonly TokenSource _token;
    private readonly ILogger _logger;

    public KubeClient(KubeClientOptions options, ILoggerFactory? loggerFactory = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        _options = options;
        _logger = (ILogger?)loggerFactory?.CreateLogger<KubeClient>() ?? NullLogger.Instance;
        _token = new TokenSource(options.BearerToken, options.TokenFile, options.TimeProvider);
        var handler = options.Handler ?? CreateHandler(options);
        _http = new HttpClient(handler, disposeHandler: options.Handler is null)
        {
            BaseAddress = options.Server,
            Timeout = Timeout.InfiniteTimeSpan, // per request instead: watches must not be cut
        };
        _http.DefaultRequestHeaders.UserAgent.ParseAdd(options.UserAgent);
        _http.DefaultRequestHeaders.Accept.Add(new MediaTypeWithQualityHeaderValue("application/json"));
    }

    /// <summary>From a kubeconfig file (default <c>$KUBECONFIG</c> or <c>~/.kube/config</c>) and context (default current).</summary>
    public static KubeClient FromKubeConfig(string? path = null, string? context = null, ILoggerFactory? loggerFactory = null)
        => new(KubeClientOptions.FromKubeConfig(path, context), loggerFactory);

    /// <summary>From the pod's service account.</summary>
    public static KubeClient InCluster(ILoggerFactory? loggerFactory = null) => new(KubeClientOptions.InCluster(), loggerFactory);

    /// <summary>In-cluster when running in a pod, else kubeconfig.</summary>
    public static KubeClient FromEnvironment(ILoggerFactory? loggerFactory = null) => new(KubeClientOptions.FromEnvironment(), loggerFactory);

    public string DefaultNamespace => _options.DefaultNamespace;

    /// <summary>Retries of a request answered 429 (or 5xx) with a Retry-After header, as client-go does.</summary>
    public int MaxRetries { get; init; } = 3;

    public void Dispose() => _http.Dispose();

    public async Task<T> GetAsync<T>(ResourceType<T> type, string? @namespace, string name, CancellationToken cancellationToken = default)
        where T : class, IKubeObject
    {
        var path = type.ObjectPath(Ns(type, @namespace), name);
        return await SendForObjectAsync(HttpMethod.Get, path, null, null, type.ObjectInfo, type.Plural, cancellationToken).ConfigureAwait(false);
    }

    public async Task<KubeList<T>> ListAsync<T>(ResourceType<T> type, ListOptions? options = null, CancellationToken cancellationToken = default)
        where T : class, IKubeObject
    {
        options ??= new ListOptions();
        var query = new QueryBuilder();
        query.Add("labelSelector", options.LabelSelector);
        query.Add("fieldSelector", options.FieldSelector);
        if (options.Limit is > 0) query.Add("limit", options.Limit.Value.ToString(CultureInfo.InvariantCulture));
        query.Add("continue", options.Continue);
        query.Add("resourceVersion", options.ResourceVersion);
        var path = type.CollectionPath(options.Namespace) + query;
        return await SendForObjectAsync(HttpMethod.Get, path, null, null, type.ListInfo, type.Plural, cancellationToken).ConfigureAwait(false);
    }

    public async IAsyncEnumerable<WatchEvent<T>> WatchAsync<T>(ResourceType<T> type, WatchOptions? options = null,
        [EnumeratorCancellation] CancellationToken cancellationToken = default)
        where T : class, IKubeObject
    {
        options ??= new WatchOptions();
        var query = new QueryBuilder();
        query.Add("watch", "1");
        query.Add("labelSelector", options.LabelSelector);
        query.Add("fieldSelector", options.FieldSelector);
        query.Add("resourceVersion", options.ResourceVersion);
        if (options.AllowWatchBookmarks) query.Add("allowWatchBookmarks", "true");
        if (options.TimeoutSeconds is > 0) query.Add("timeoutSeconds", options.TimeoutSeconds.Value.ToString(CultureInfo.InvariantCulture));
        var path = type.CollectionPath(options.Namespace) + query;

        using var response = await SendAsync(HttpMethod.Get, path, null, null, type.Plural, streaming: true, cancellationToken).ConfigureAwait(false);
        Stream body;
        try
        {
            body = await response.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (IsTransport(ex, cancellationToken))
        {
            throw Transport("GET", path, ex);
        }
        await using var _ = body.ConfigureAwait(false);
        var reader = PipeReader.Create(body, new StreamPipeReaderOptions(bufferSize: 64 * 1024));
        try
        {
            while (true)
            {
                var line = await ReadLineAsync(reader, path, cancellationToken).ConfigureAwait(false);
                if (line is null) yield break;
                if (line.Length == 0) continue;
                yield return ParseWatchLine(type, line, path);
            }
        }
        finally
        {
            await reader.CompleteAsync().ConfigureAwait(false);
        }
    }

    public Task<T> CreateAsync<T>(ResourceType<T> type, T obj, CancellationToken cancellationToken = default)
        where T : class, IKubeObject
    {
        ArgumentNullException.ThrowIfNull(obj);
        Stamp(type, obj);
        var ns = type.Namespaced ? (string.IsNullOrEmpty(obj.Metadata.Namespace) ? DefaultNamespace : obj.Metadata.Namespace) : null;
        var body = JsonSerializer.SerializeToUtf8Bytes(obj, type.ObjectInfo);
        return SendForObjectAsync(HttpMethod.Post, type.CollectionPath(ns), body, JsonMediaType, type.ObjectInfo, type.Plural, cancellationToken);
    }

    public Task<T> ReplaceAsync<T>(ResourceType<T> type, T obj, CancellationToken cancellationToken = default)
        where T : class, IKubeObject => Put(type, obj, null, cancellationToken);

    public Task<T> ReplaceStatusAsync<T>(ResourceType<T> type, T obj, CancellationToken cancellationToken = default)
        where T : class, IKubeObject => Put(type, obj, "status", cancellationToken);

    public Task<T> PatchAsync<T>(ResourceType<T> type, string? @namespace, string name, KubePatch patch, CancellationToken cancellationToken = default)
        where T : class, IKubeObject => Patch(type, @namespace, name, patch, null, cancellationToken);

    public Task<T> PatchStatusAsync<T>(ResourceType<T> type, string? @namespace, string name, KubePatch patch, CancellationToken cancellationToken = default)
        where T : class, IKubeObject => Patch(type, @namespace, name, patch, "status", cancellationToken);

    public async Task DeleteAsync<T>(ResourceType<T> type, string? @namespace, string name, DeleteOptions? options = null, CancellationToken cancellationToken = default)
        where T : class, IKubeObject
    {
        var path = type.ObjectPath(Ns(type, @namespace), name);
        byte[]? body = options is null ? null : DeleteBody(options);
        using var response = await SendAsync(HttpMethod.Delete, path, body, body is null ? null : JsonMediaType, type.Plural, streaming: false, cancellationToken)
            .ConfigureAwait(false);
    }

    private Task<T> Put<T>(ResourceType<T> type, T obj, string? subresource, CancellationToken cancellationToken)
        where T : class, IKubeObject
    {
        ArgumentNullException.ThrowIfNull(obj);
        Stamp(type, obj);
        var name = obj.Metadata.Name ?? throw new ArgumentException($"{type.Kind} has no metadata.name", nameof(obj));
        var path = type.ObjectPath(Ns(type, obj.Metadata.Namespace), name, subresource);
        var body = JsonSerializer.SerializeToUtf8Bytes(obj, type.ObjectInfo);
        return SendForObjectAsync(HttpMethod.Put, path, body, JsonMediaType, type.ObjectInfo, type.Plural, cancellationToken);
    }

    private Task<T> Patch<T>(ResourceType<T> type, string? @namespace, string name, KubePatch patch, string? subresource, CancellationToken cancellationToken)
        where T : class, IKubeObject
    {
        ArgumentNullException.ThrowIfNull(patch);
        if (patch.Type == KubePatchType.StrategicMerge && !type.SupportsStrategicMerge)
            throw new ArgumentException($"{type} does not support strategic merge patch (custom resources accept merge or JSON patch)", nameof(patch));
        var path = type.ObjectPath(Ns(type, @namespace), name, subresource);
        return SendForObjectAsync(HttpMethod.Patch, path, patch.Body.ToArray(), new MediaTypeHeaderValue(patch.ContentType), type.ObjectInfo, type.Plural, cancellationToken);
    }

    private string? Ns<T>(ResourceType<T> type, string? ns) where T : class, IKubeObject
        => !type.Namespaced ? null : string.IsNullOrEmpty(ns) ? DefaultNamespace : ns;

    private static void Stamp<T>(ResourceType<T> type, T obj) where T : class, IKubeObject
    {
        obj.ApiVersion ??= type.ApiVersion;
        obj.Kind ??= type.Kind;
    }

    private static byte[] DeleteBody(DeleteOptions options)
    {
        var buffer = new ArrayBufferWriter<byte>();
        using (var w = new Utf8JsonWriter(buffer))
        {
            w.WriteStartObject();
            w.WriteString("apiVersion", "v1");
            w.WriteString("kind", "DeleteOptions");
            if (options.PreconditionUid is not null || options.PreconditionResourceVersion is not null)
            {
                w.WriteStartObject("preconditions");
                if (options.PreconditionUid is not null) w.WriteString("uid", options.PreconditionUid);
                if (options.PreconditionResourceVersion is not null) w.WriteString("resourceVersion", options.PreconditionResourceVersion);
                w.WriteEndObject();
            }
            if (options.PropagationPolicy is not null) w.WriteString("propagationPolicy", options.PropagationPolicy);
            if (options.GracePeriodSeconds is long g) w.WriteNumber("gracePeriodSeconds", g);
            w.WriteEndObject();
        }
        return buffer.WrittenSpan.ToArray();
    }

    private async Task<TResult> SendForObjectAsync<TResult>(HttpMethod method, string path, byte[]? body, MediaTypeHeaderValue? contentType,
        System.Text.Json.Serialization.Metadata.JsonTypeInfo<TResult> info, string resource, CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(_options.RequestTimeout);
        using var response = await SendAsync(method, path, body, contentType, resource, streaming: false, timeout.Token, cancellationToken).ConfigureAwait(false);
        try
        {
            var stream = await response.Content.ReadAsStreamAsync(timeout.Token).ConfigureAwait(false);
            var result = await JsonSerializer.DeserializeAsync(stream, info, timeout.Token).ConfigureAwait(false);
            return result ?? throw new KubeApiException((int)response.StatusCode, "InvalidResponse", null, $"{method} {path}: empty response body");
        }
        catch (JsonException ex)
        {
            throw new KubeApiException((int)response.StatusCode, "InvalidResponse", null, $"{method} {path}: response is not a valid {typeof(TResult).Name}: {ex.Message}", ex);
        }
        catch (Exception ex) when (IsTransport(ex, cancellationToken))
        {
            throw Transport(method.Method, path, ex);
        }
    }

    private Task<HttpResponseMessage> SendAsync(HttpMethod method, string path, byte[]? body, MediaTypeHeaderValue? contentType, string resource,
        bool streaming, CancellationToken cancellationToken)
    {
        if (streaming) return SendWithHeaderTimeoutAsync(method, path, body, contentType, resource, cancellationToken);
        return SendWithTimeoutAsync(method, path, body, contentType, resource, cancellationToken);
    }

    private async Task<HttpResponseMessage> SendWithTimeoutAsync(HttpMethod method, string path, byte[]? body, MediaTypeHeaderValue? contentType, string resource,
        CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(_options.RequestTimeout);
        var response = await SendAsync(method, path, body, contentType, resource, streaming: false, timeout.Token, cancellationToken).ConfigureAwait(false);
        try
        {
            await response.Content.LoadIntoBufferAsync(timeout.Token).ConfigureAwait(false);
        }
        catch (Exception ex) when (IsTransport(ex, cancellationToken))
        {
            response.Dispose();
            throw Transport(method.Method, path, ex);
        }
        return response;
    }

    // A watch: the timeout covers only the wait for response headers.
    private async Task<HttpResponseMessage> SendWithHeaderTimeoutAsync(HttpMethod method, string path, byte[]? body, MediaTypeHeaderValue? contentType, string resource,
        CancellationToken cancellationToken)
    {
        // With ResponseHeadersRead the token only governs the wait for headers; the body is read with the caller's
        // token alone, so the live stream has no client-side deadline.
        using var headers = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        headers.CancelAfter(_options.RequestTimeout);
        return await SendAsync(method, path, body, contentType, resource, streaming: true, headers.Token, cancellationToken).ConfigureAwait(false);
    }

    private async Task<HttpResponseMessage> SendAsync(HttpMethod method, string path, byte[]? body, MediaTypeHeaderValue? contentType, string resource,
        bool streaming, CancellationToken requestToken, CancellationToken callerToken)
    {
        for (var attempt = 0; ; attempt++)
        {
            using var request = new HttpRequestMessage(method, path);
            if (body is not null)
            {
                request.Content = new ByteArrayContent(body);
                request.Content.Headers.ContentType = contentType;
            }
            var token = _token.Current();
            if (!string.IsNullOrEmpty(token)) request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);

            var started = Stopwatch.GetTimestamp();
            HttpResponseMessage response;
            try
            {
                response = await _http.SendAsync(request, streaming ? HttpCompletionOption.ResponseHeadersRead : HttpCompletionOption.ResponseContentRead, requestToken)
                    .ConfigureAwait(false);
            }
            catch (Exception ex) when (IsTransport(ex, callerToken))
            {
                Requests.Add(1, new("verb", method.Method), new("resource", resource), new("code", "error"));
                if (requestToken.IsCancellationRequested)
                    throw new KubeApiException(0, "Timeout", null, $"{method} {path}: timed out after {_options.RequestTimeout}", ex);
                throw Transport(method.Method, path, ex);
            }
            var code = (int)response.StatusCode;
            Duration.Record(Stopwatch.GetElapsedTime(started).TotalSeconds, new("verb", method.Method), new("resource", resource));
            Requests.Add(1, new("verb", method.Method), new("resource", resource), new("code", code.ToString(CultureInfo.InvariantCulture)));
            if (response.IsSuccessStatusCode) return response;

            KubeApiException error;
            using (response)
            {
                if (code == 401) _token.Invalidate();
                error = await ReadErrorAsync(method.Method, path, response, requestToken).ConfigureAwait(false);
            }
            if (attempt < MaxRetries && error.RetryAfter is { } wait && (code == 429 || code >= 500))
            {
                if (wait > TimeSpan.FromSeconds(10)) wait = TimeSpan.FromSeconds(10);
                Log.Retrying(_logger, method.Method, path, code, wait.TotalSeconds);
                await Task.Delay(wait, _options.TimeProvider, requestToken).ConfigureAwait(false);
                continue;
            }
            throw error;
        }
    }

    private static async Task<KubeApiException> ReadErrorAsync(string method, string path, HttpResponseMessage response, CancellationToken cancellationToken)
    {
        var code = (int)response.StatusCode;
        Status? status = null;
        string? text = null;
        try
        {
            var bytes = await response.Content.ReadAsByteArrayAsync(cancellationToken).ConfigureAwait(false);
            if (bytes.Length > 0)
            {
                try
                {
                    status = JsonSerializer.Deserialize(bytes, KubeClientJsonContext.Default.Status);
                    if (status is { Kind: not "Status" }) status = null;
                }
                catch (JsonException)
                {
                    text = Encoding.UTF8.GetString(bytes, 0, Math.Min(bytes.Length, 512));
                }
            }
        }
        catch (Exception ex) when (ex is HttpRequestException or IOException)
        {
            text = ex.Message;
        }
        TimeSpan? retryAfter = null;
        if (response.Headers.RetryAfter?.Delta is { } delta) retryAfter = delta;
        else if (status?.Details?.RetryAfterSeconds is int s && s > 0) retryAfter = TimeSpan.FromSeconds(s);
        var message = $"{method} {path}: {code} {status?.Reason ?? response.ReasonPhrase}: {status?.Message ?? text ?? "(no body)"}";
        return Error(code, status, message, retryAfter);
    }

    /// <summary>Maps a status code and Status to the typed exception.</summary>
    internal static KubeApiException Error(int code, Status? status, string message, TimeSpan? retryAfter = null)
    {
        var reason = status?.Reason;
        if (code == 410 || reason is "Expired" or "Gone") return new KubeResourceExpiredException(status, message) { RetryAfter = retryAfter };
        return code switch
        {
            404 => new KubeNotFoundException(status, message) { RetryAfter = retryAfter },
            409 => new KubeConflictException(status, message) { RetryAfter = retryAfter },
            422 => new KubeInvalidException(status, message) { RetryAfter = retryAfter },
            _ => new KubeApiException(code, reason ?? ReasonFor(code), status, message) { RetryAfter = retryAfter },
        };
    }

    private static string ReasonFor(int code) => code switch
    {
        400 => "BadRequest",
        401 => "Unauthorized",
        403 => "Forbidden",
        405 => "MethodNotAllowed",
        406 => "NotAcceptable",
        413 => "RequestEntityTooLarge",
        415 => "UnsupportedMediaType",
        429 => "TooManyRequests",
        500 => "InternalError",
        503 => "ServiceUnavailable",
        504 => "Timeout",
        _ => "Unknown",
    };

    private static bool IsTransport(Exception ex, CancellationToken callerToken)
        => !callerToken.IsCancellationRequested && ex is HttpRequestException or IOException or OperationCanceledException or System.Security.Authentication.AuthenticationException;

    private static KubeApiException Transport(string method, string path, Exception ex)
        => ex is KubeApiException k ? k : new KubeApiException(0, KubeApiException.TransportReason, null, $"{method} {path}: {ex.GetType().Name}: {ex.Message}", ex);

    private static async ValueTask<byte[]?> ReadLineAsync(PipeReader reader, string path, CancellationToken cancellationToken)
    {
        while (true)
        {
            ReadResult result;
            try
            {
                result = await reader.ReadAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (Exception ex) when (IsTransport(ex, cancellationToken))
            {
                throw Transport("GET", path, ex);
            }
            var buffer = result.Buffer;
            var newline = buffer.PositionOf((byte)'\n');
            if (newline is { } pos)
            {
                var line = buffer.Slice(0, pos).ToArray();
                reader.AdvanceTo(buffer.GetPosition(1, pos));
                return line;
            }
            if (result.IsCompleted)
            {
                var rest = buffer.ToArray();
                reader.AdvanceTo(buffer.End);
                return rest.Length == 0 ? null : rest;
            }
            reader.AdvanceTo(buffer.Start, buffer.End);
        }
    }

    private static WatchEvent<T> ParseWatchLine<T>(ResourceType<T> type, byte[] line, string path) where T : class, IKubeObject
    {
        try
        {
            if (PeekType(line) == "ERROR")
            {
                var err = JsonSerializer.Deserialize(line, KubeClientJsonContext.Default.WatchEventStatus);
                var status = err?.Object;
                var code = status?.Code ?? 500;
                throw Error(code, status, $"watch {path}: {code} {status?.Reason}: {status?.Message}");
            }
            var ev = JsonSerializer.Deserialize(line, type.WatchEventInfo);
            if (ev?.Object is null) throw new KubeApiException(0, "InvalidResponse", null, $"watch {path}: event without object: {Truncate(line)}");
            return ev;
        }
        catch (JsonException ex)
        {
            throw new KubeApiException(0, "InvalidResponse", null, $"watch {path}: bad event line ({ex.Message}): {Truncate(line)}", ex);
        }
    }

    private static string Truncate(byte[] line) => Encoding.UTF8.GetString(line, 0, Math.Min(line.Length, 200));

    /// <summary>The top-level "type" of a watch event line, without materializing the object.</summary>
    internal static string? PeekType(ReadOnlySpan<byte> line)
    {
        try
        {
            return PeekTypeCore(line);
        }
        catch (JsonException)
        {
            return null;
        }
    }

    private static string? PeekTypeCore(ReadOnlySpan<byte> line)
    {
        var reader = new Utf8JsonReader(line);
        if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject) return null;
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            var isType = reader.ValueTextEquals("type"u8);
            if (!reader.Read()) return null;
            if (isType && reader.TokenType == JsonTokenType.String) return reader.GetString();
            reader.Skip();
        }
        return null;
    }

    private static HttpMessageHandler CreateHandler(KubeClientOptions options)
    {
        var handler = new SocketsHttpHandler
        {
            PooledConnectionIdleTimeout = TimeSpan.FromSeconds(90),
            ConnectTimeout = TimeSpan.FromSeconds(10),
            KeepAlivePingDelay = TimeSpan.FromSeconds(30),
            KeepAlivePingTimeout = TimeSpan.FromSeconds(15),
            KeepAlivePingPolicy = HttpKeepAlivePingPolicy.Always,
            AutomaticDecompression = DecompressionMethods.GZip,
        };
        if (options.ClientCertificate is not null) handler.SslOptions.ClientCertificates = [options.ClientCertificate];
        var cas = options.CertificateAuthorities;
        var insecure = options.InsecureSkipTlsVerify;
        var serverName = options.TlsServerName;
        if (insecure || cas is { Count: > 0 } || serverName is not null)
            handler.SslOptions.RemoteCertificateValidationCallback = (_, cert, chain, errors) => ValidateServer(cert, errors, cas, insecure, serverName);
        return handler;
    }

    internal static bool ValidateServer(X509Certificate? certificate, SslPolicyErrors errors, X509Certificate2Collection? cas, bool insecure, string? serverName)
    {
        if (insecure) return true;
        if (certificate is null || errors.HasFlag(SslPolicyErrors.RemoteCertificateNotAvailable)) return false;
        using var cert = new X509Certificate2(certificate);
        if (serverName is not null)
        {
            if (!cert.MatchesHostname(serverName)) return false;
        }
        else if (errors.HasFlag(SslPolicyErrors.RemoteCertificateNameMismatch)) return false;
        if (cas is not { Count: > 0 }) return !errors.HasFlag(SslPolicyErrors.RemoteCertificateChainErrors);
        using var custom = new X509Chain();
        custom.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        custom.ChainPolicy.CustomTrustStore.AddRange(cas);
        custom.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        return custom.Build(cert);
    }

    private sealed class QueryBuilder
    {
        private readonly StringBuilder _sb = new();

        public void Add(string name, string? value)
        {
            if (string.IsNullOrEmpty(value)) return;
            _sb.Append(_sb.Length == 0 ? '?' : '&').Append(name).Append('=').Append(Uri.EscapeDataString(value));
        }

        public override string ToString() => _sb.ToString();
    }

    private static partial class Log
    {
        [LoggerMessage(Level = LogLevel.Debug, Message = "{Method} {Path} answered {Code} with Retry-After; retrying in {Seconds}s")]
        public static partial void Retrying(ILogger logger, string method, string path, int code, double seconds);
    }
}
