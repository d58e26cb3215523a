using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;

namespace LoadBalancer.TestKit.ApiServer;

/// <summary>Routes kube-apiserver REST paths to the store and writes responses (JSON, Table, watch streams, Status errors).</summary>
internal sealed partial class ApiHandler
{
    private readonly ObjectStore _store;
    private readonly KubeApiServerOptions _options;
    private readonly FaultInjector _faults;
    private readonly ApiAccessLog _accesses;
    private readonly ServerSideApply _apply;
    private readonly CancellationToken _stopping;

    public ApiHandler(ObjectStore store, KubeApiServerOptions options, FaultInjector faults, ApiAccessLog accesses, CancellationToken stopping)
    {
        _store = store;
        _options = options;
        _faults = faults;
        _accesses = accesses;
        _stopping = stopping;
        _apply = new ServerSideApply();
    }

    private ResourceRegistry Registry => _store.Registry;

    /// <summary>A parsed resource path.</summary>
    private sealed record Target(ResourceType Type, string? Namespace, string? Name, string? Subresource, bool LegacyWatch);

    public async Task HandleAsync(HttpContext ctx)
    {
        var request = ctx.Request;
        var path = request.Path.Value ?? "/";
        try
        {
            await _faults.BeforeRequestAsync(request.Method, path + request.QueryString.Value, ctx.RequestAborted).ConfigureAwait(false);
            if (!Authorized(ctx))
            {
                await WriteStatusAsync(ctx, new ApiException(401, "Unauthorized", "Unauthorized")).ConfigureAwait(false);
                return;
            }
            var segments = path.Trim('/').Split('/', StringSplitOptions.RemoveEmptyEntries);
            if (await TryDiscoveryAsync(ctx, segments).ConfigureAwait(false)) return;
            var target = ParseTarget(segments) ?? throw new ApiException(404, "NotFound", "the server could not find the requested resource", new JsonObject());
            await DispatchAsync(ctx, target).ConfigureAwait(false);
        }
        catch (ApiException e)
        {
            if (!ctx.Response.HasStarted) await WriteStatusAsync(ctx, e).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (ctx.RequestAborted.IsCancellationRequested || _stopping.IsCancellationRequested)
        {
        }
    }

    private bool Authorized(HttpContext ctx)
    {
        if (_options.BearerToken is null && !_options.RequireClientCertificate) return true;
        if (_options.BearerToken is not null &&
            ctx.Request.Headers.Authorization.ToString() == "Bearer " + _options.BearerToken) return true;
        // Kestrel validated any presented client certificate against our CA.
        if (ctx.Connection.ClientCertificate is not null) return true;
        return false;
    }

    private Target? ParseTarget(string[] s)
    {
        string group, version;
        int rest;
        if (s.Length >= 3 && s[0] == "api") { group = ""; version = s[1]; rest = 2; }
        else if (s.Length >= 4 && s[0] == "apis") { group = s[1]; version = s[2]; rest = 3; }
        else return null;
        var r = s[rest..];
        var legacyWatch = false;
        if (r.Length > 0 && r[0] == "watch")
        {
            legacyWatch = true;
            r = r[1..];
        }
        if (r.Length >= 3 && r[0] == "namespaces" && Registry.Find(group, version, r[2]) is { Namespaced: true } nsType)
        {
            if (r.Length > 5) return null;
            return new Target(nsType, r[1], r.Length > 3 ? r[3] : null, r.Length > 4 ? r[4] : null, legacyWatch);
        }
        if (r.Length is 0 or > 3) return null;
        var type = Registry.Find(group, version, r[0]);
        if (type is null) return null;
        if (type.Namespaced && r.Length > 1) return null;
        return new Target(type, null, r.Length > 1 ? r[1] : null, r.Length > 2 ? r[2] : null, legacyWatch);
    }

    private async Task DispatchAsync(HttpContext ctx, Target t)
    {
        if (t.Subresource is not null && t.Subresource != "status")
            throw new ApiException(404, "NotFound", "the server could not find the requested resource", new JsonObject());
        if (t.Subresource == "status" && !t.Type.HasStatus)
            throw new ApiException(404, "NotFound", "the server could not find the requested resource", new JsonObject());
        var q = ctx.Request.Query;
        var method = ctx.Request.Method;
        var ns = t.Namespace ?? "";
        if (ApiAccessLog.Verb(method, t.Name is not null, t.LegacyWatch || q["watch"] == "true" || q["watch"] == "1") is { } verb)
            _accesses.Record(new ApiAccess(ctx.Request.Headers.UserAgent.ToString(), t.Type.Group, t.Subresource is null ? t.Type.Plural : t.Type.Plural + "/" + t.Subresource, verb, ns));
        var dryRun = q.ContainsKey("dryRun");
        switch (method)
        {
            case "GET" when t.Name is null:
                if (t.LegacyWatch || q["watch"] is var w && (w == "true" || w == "1"))
                    await WatchAsync(ctx, t).ConfigureAwait(false);
                else
                    await ListAsync(ctx, t).ConfigureAwait(false);
                return;
            case "GET":
                {
                    var stored = _store.GetStored(t.Type, ns, t.Name) ?? throw ApiException.NotFound(t.Type, t.Name);
                    if (WantsTable(ctx)) await WriteJsonAsync(ctx, 200, TableConverter.Table(t.Type, [stored], _store.Time.GetUtcNow(), _store.CurrentResourceVersion, null, q["includeObject"])).ConfigureAwait(false);
                    else await WriteStoredAsync(ctx, 200, t.Type, stored).ConfigureAwait(false);
                    return;
                }
            case "POST" when t.Name is null:
                {
                    if (t.Type.Namespaced && t.Namespace is null)
                        throw MethodNotAllowed(t, "POST");
                    var body = await ReadObjectAsync(ctx).ConfigureAwait(false);
                    var created = _store.Create(t.Type, ns, body, dryRun, fieldValidation: q["fieldValidation"]);
                    await WriteJsonAsync(ctx, 201, created).ConfigureAwait(false);
                    return;
                }
            case "PUT" when t.Name is not null:
                {
                    var body = await ReadObjectAsync(ctx).ConfigureAwait(false);
                    var updated = _store.Update(t.Type, ns, t.Name, body, t.Subresource == "status", dryRun, q["fieldValidation"]);
                    await WriteJsonAsync(ctx, 200, updated).ConfigureAwait(false);
                    return;
                }
            case "PATCH" when t.Name is not null:
                await PatchAsync(ctx, t, dryRun).ConfigureAwait(false);
                return;
            case "DELETE" when t.Name is not null:
                {
                    JsonObject? options = null;
                    if (ctx.Request.ContentLength is > 0 || ctx.Request.Headers.TransferEncoding.Count > 0)
                    {
                        var bytes = await ReadBodyAsync(ctx).ConfigureAwait(false);
                        if (bytes.Length > 0) options = ApiJson.ParseObject(bytes);
                    }
                    options ??= new JsonObject();
                    if (q["propagationPolicy"].ToString() is { Length: > 0 } pp) options["propagationPolicy"] = pp;
                    var (obj, gone) = _store.Delete(t.Type, ns, t.Name, options, dryRun);
                    if (gone && t.Type.CrdName is null && t.Type.Kind != "Pod")
                    {
                        var details = ApiException.DetailsFor(t.Type, t.Name);
                        details["uid"] = ApiJson.Str(obj["metadata"]?["uid"]);
                        await WriteJsonAsync(ctx, 200, new JsonObject
                        {
                            ["kind"] = "Status", ["apiVersion"] = "v1", ["metadata"] = new JsonObject(), ["status"] = "Success", ["details"] = details,
                        }).ConfigureAwait(false);
                    }
                    else
                    {
                        await WriteJsonAsync(ctx, gone ? 200 : 200, obj).ConfigureAwait(false);
                    }
                    return;
                }
            case "DELETE":
                {
                    var labels = LabelSelector.Parse(q["labelSelector"]);
                    var fields = FieldSelector.Parse(q["fieldSelector"], t.Type);
                    var deleted = _store.DeleteCollection(t.Type, t.Namespace, labels, fields);
                    var list = new JsonObject
                    {
                        ["kind"] = t.Type.ListKind, ["apiVersion"] = t.Type.ApiVersion,
                        ["metadata"] = new JsonObject { ["resourceVersion"] = _store.CurrentResourceVersion.ToString(CultureInfo.InvariantCulture) },
                        ["items"] = new JsonArray(deleted.Select(d => (JsonNode?)d).ToArray()),
                    };
                    await WriteJsonAsync(ctx, 200, list).ConfigureAwait(false);
                    return;
                }
            default:
                throw MethodNotAllowed(t, method);
        }
    }

    private static ApiException MethodNotAllowed(Target t, string method) =>
        new(405, "MethodNotAllowed", $"the server does not allow this method on the requested resource", ApiException.DetailsFor(t.Type, t.Name)) { };

    private static bool WantsTable(HttpContext ctx) =>
        ctx.Request.Headers.Accept.ToString().Contains("as=Table", StringComparison.Ordinal);

    // ---------------------------------------------------------------- list

    private async Task ListAsync(HttpContext ctx, Target t)
    {
        var q = ctx.Request.Query;
        var labels = LabelSelector.Parse(q["labelSelector"]);
        var fields = FieldSelector.Parse(q["fieldSelector"], t.Type);
        var limit = int.TryParse(q["limit"], NumberStyles.None, CultureInfo.InvariantCulture, out var l) ? l : 0;
        var (items, rv, next, remaining) = _store.List(t.Type, t.Namespace, labels, fields, limit, q["continue"]);
        if (WantsTable(ctx))
        {
            await WriteJsonAsync(ctx, 200, TableConverter.Table(t.Type, items, _store.Time.GetUtcNow(), rv, next, q["includeObject"])).ConfigureAwait(false);
            return;
        }
        ctx.Response.StatusCode = 200;
        ctx.Response.ContentType = "application/json";
        var writer = new Utf8JsonWriter(ctx.Response.BodyWriter, new JsonWriterOptions { Encoder = ApiJson.Options.Encoder, SkipValidation = true });
        await using (writer.ConfigureAwait(false))
        {
            writer.WriteStartObject();
            writer.WriteString("kind", t.Type.ListKind);
            writer.WriteString("apiVersion", t.Type.ApiVersion);
            writer.WriteStartObject("metadata");
            writer.WriteString("resourceVersion", rv.ToString(CultureInfo.InvariantCulture));
            if (next is not null)
            {
                writer.WriteString("continue", next);
                if (remaining > 0) writer.WriteNumber("remainingItemCount", remaining);
            }
            writer.WriteEndObject();
            writer.WriteStartArray("items");
            for (var i = 0; i < items.Count; i++)
            {
                var o = items[i];
                if (ObjectStore.ServesRaw(t.Type, o)) writer.WriteRawValue(o.Json, skipInputValidation: true);
                else ObjectStore.ToTypeForm(t.Type, o).WriteTo(writer, ApiJson.Options);
                if (writer.BytesPending > 32 * 1024)
                {
                    writer.Flush();
                    await ctx.Response.BodyWriter.FlushAsync(ctx.RequestAborted).ConfigureAwait(false);
                }
            }
            writer.WriteEndArray();
            writer.WriteEndObject();
            writer.Flush();
        }
        await ctx.Response.BodyWriter.FlushAsync(ctx.RequestAborted).ConfigureAwait(false);
    }

    // ---------------------------------------------------------------- watch

    private async Task WatchAsync(HttpContext ctx, Target t)
    {
        var q = ctx.Request.Query;
        var labels = LabelSelector.Parse(q["labelSelector"]);
        var fields = FieldSelector.Parse(q["fieldSelector"], t.Type);
        var rvText = q["resourceVersion"].ToString();
        long? fromRv = null;
        if (rvText.Length > 0 && rvText != "0")
        {
            if (!long.TryParse(rvText, NumberStyles.None, CultureInfo.InvariantCulture, out var parsed))
                throw new ApiException(400, "BadRequest", $"invalid resource version \"{rvText}\"");
            fromRv = parsed;
        }
        var sendInitial = q["sendInitialEvents"] == "true";
        if (sendInitial) fromRv = null;
        var bookmarks = q["allowWatchBookmarks"] == "true";
        var table = WantsTable(ctx);
        var includeObject = q["includeObject"].ToString();
        var timeout = int.TryParse(q["timeoutSeconds"], NumberStyles.None, CultureInfo.InvariantCulture, out var ts) && ts > 0
            ? TimeSpan.FromSeconds(ts) : _options.DefaultWatchTimeout;

        ctx.Response.StatusCode = 200;
        ctx.Response.ContentType = "application/json";
        ctx.Response.Headers.CacheControl = "no-cache, private";
        Watcher watcher;
        List<WatchEvent> backlog;
        long lastRv;
        try
        {
            (watcher, backlog, lastRv) = _store.Watch(t.Type, t.Namespace, fromRv);
        }
        catch (ApiException e) when (e.Code == 410)
        {
            // The real server answers 200 and sends the 410 as an ERROR event.
            await WriteLineAsync(ctx, new JsonObject { ["type"] = "ERROR", ["object"] = e.ToStatus() }).ConfigureAwait(false);
            return;
        }
        using var timeoutCts = new CancellationTokenSource(timeout);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(ctx.RequestAborted, timeoutCts.Token, watcher.Dropped.Token, _stopping);
        var ct = linked.Token;
        try
        {
            await ctx.Response.StartAsync(ct).ConfigureAwait(false);
            await ctx.Response.Body.FlushAsync(ct).ConfigureAwait(false);
            var buffer = new ArrayBufferWriterPool();
            foreach (var e in backlog)
            {
                WriteEvent(buffer, t, e, labels, fields, table, includeObject);
                lastRv = Math.Max(lastRv, e.ResourceVersion);
            }
            if (sendInitial && bookmarks)
                WriteBookmark(buffer, t, lastRv, initialEventsEnd: true);
            await buffer.FlushToAsync(ctx, ct).ConfigureAwait(false);

            var reader = watcher.Reader;
            while (!ct.IsCancellationRequested)
            {
                Task<bool> wait = reader.WaitToReadAsync(ct).AsTask();
                if (bookmarks)
                {
                    var delay = Task.Delay(_options.BookmarkInterval, ct);
                    var first = await Task.WhenAny(wait, delay).ConfigureAwait(false);
                    if (first == delay)
                    {
                        if (ct.IsCancellationRequested) break;
                        var snapshot = _store.CurrentResourceVersion;
                        while (reader.TryRead(out var pending))
                        {
                            WriteEvent(buffer, t, pending, labels, fields, table, includeObject);
                            lastRv = Math.Max(lastRv, pending.ResourceVersion);
                        }
                        lastRv = Math.Max(lastRv, snapshot);
                        WriteBookmark(buffer, t, lastRv, initialEventsEnd: false);
                        await buffer.FlushToAsync(ctx, ct).ConfigureAwait(false);
                        continue;
                    }
                }
                if (!await wait.ConfigureAwait(false)) break;
                while (reader.TryRead(out var e))
                {
                    WriteEvent(buffer, t, e, labels, fields, table, includeObject);
                    lastRv = Math.Max(lastRv, e.ResourceVersion);
                }
                await buffer.FlushToAsync(ctx, ct).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException)
        {
        }
        catch (System.Threading.Channels.ChannelClosedException)
        {
        }
        finally
        {
            _store.Unwatch(watcher);
        }
        // A dropped stream ends abruptly (the connection is reset), like a lost TCP connection.
        if (watcher.Dropped.IsCancellationRequested && !ctx.RequestAborted.IsCancellationRequested) ctx.Abort();
    }

    private void WriteEvent(ArrayBufferWriterPool buffer, Target t, WatchEvent e, LabelSelector labels, FieldSelector fields, bool table, string includeObject)
    {
        var type = e.Type;
        if (!labels.IsEmpty || !fields.IsEmpty)
        {
            var now = Matches(e.Object, labels, fields);
            var before = e.Previous is not null && Matches(e.Previous, labels, fields);
            type = e.Type switch
            {
                "ADDED" => now ? "ADDED" : null,
                "MODIFIED" when now && before => "MODIFIED",
                "MODIFIED" when now => "ADDED",
                "MODIFIED" when before => "DELETED",
                "DELETED" => before || now ? "DELETED" : null,
                _ => null,
            };
            if (type is null) return;
        }
        var w = buffer.Writer;
        w.WriteStartObject();
        w.WriteString("type", type);
        w.WritePropertyName("object");
        if (table)
            TableConverter.Table(t.Type, [e.Object], _store.Time.GetUtcNow(), e.ResourceVersion, null, includeObject).WriteTo(w, ApiJson.Options);
        else if (ObjectStore.ServesRaw(t.Type, e.Object)) w.WriteRawValue(e.Object.Json, skipInputValidation: true);
        else ObjectStore.ToTypeForm(t.Type, e.Object).WriteTo(w, ApiJson.Options);
        w.WriteEndObject();
        buffer.EndLine();
    }

    private static bool Matches(StoredObject o, LabelSelector labels, FieldSelector fields) =>
        labels.Matches(o.Labels) && (fields.IsEmpty || fields.Matches(o.Namespace, o.Name, o.Parse));

    private static void WriteBookmark(ArrayBufferWriterPool buffer, Target t, long rv, bool initialEventsEnd)
    {
        var w = buffer.Writer;
        w.WriteStartObject();
        w.WriteString("type", "BOOKMARK");
        w.WriteStartObject("object");
        w.WriteString("kind", t.Type.Kind);
        w.WriteString("apiVersion", t.Type.ApiVersion);
        w.WriteStartObject("metadata");
        w.WriteString("resourceVersion", rv.ToString(CultureInfo.InvariantCulture));
        w.WriteString("creationTimestamp", (string?)null);
        if (initialEventsEnd)
        {
            w.WriteStartObject("annotations");
            w.WriteString("k8s.io/initial-events-end", "true");
            w.WriteEndObject();
        }
        w.WriteEndObject();
        w.WriteEndObject();
        w.WriteEndObject();
        buffer.EndLine();
    }

    // ---------------------------------------------------------------- bodies and responses

    private static async Task<byte[]> ReadBodyAsync(HttpContext ctx)
    {
        using var ms = new MemoryStream();
        await ctx.Request.Body.CopyToAsync(ms, ctx.RequestAborted).ConfigureAwait(false);
        return ms.ToArray();
    }

    private static async Task<JsonObject> ReadObjectAsync(HttpContext ctx)
    {
        var bytes = await ReadBodyAsync(ctx).ConfigureAwait(false);
        var contentType = ctx.Request.ContentType ?? "";
        if (contentType.Contains("yaml", StringComparison.OrdinalIgnoreCase)) return ApiYaml.ParseObject(Encoding.UTF8.GetString(bytes));
        if (contentType.Contains("protobuf", StringComparison.OrdinalIgnoreCase))
            throw new ApiException(415, "UnsupportedMediaType",
                "the body of the request was in an unknown format - accepted media types include: application/json, application/yaml " +
                "(the API server emulator does not decode protobuf bodies, which kubectl's create generators send; use kubectl apply)");
        return ApiJson.ParseObject(bytes);
    }

    private static async Task WriteStoredAsync(HttpContext ctx, int code, ResourceType type, StoredObject stored)
    {
        if (!ObjectStore.ServesRaw(type, stored))
        {
            await WriteJsonAsync(ctx, code, ObjectStore.ToTypeForm(type, stored)).ConfigureAwait(false);
            return;
        }
        ctx.Response.StatusCode = code;
        ctx.Response.ContentType = "application/json";
        ctx.Response.ContentLength = stored.Json.Length;
        await ctx.Response.Body.WriteAsync(stored.Json, ctx.RequestAborted).ConfigureAwait(false);
    }

    internal static async Task WriteJsonAsync(HttpContext ctx, int code, JsonNode node)
    {
        var bytes = JsonSerializer.SerializeToUtf8Bytes(node, ApiJson.Options);
        ctx.Response.StatusCode = code;
        ctx.Response.ContentType = node is JsonObject o && o["kind"]?.GetValueKind() == JsonValueKind.String && (string?)o["kind"] == "Table"
            ? "application/json;as=Table;v=v1;g=meta.k8s.io" : "application/json";
        ctx.Response.ContentLength = bytes.Length;
        await ctx.Response.Body.WriteAsync(bytes, ctx.RequestAborted).ConfigureAwait(false);
    }

    private static async Task WriteLineAsync(HttpContext ctx, JsonNode node)
    {
        var bytes = JsonSerializer.SerializeToUtf8Bytes(node, ApiJson.Options);
        await ctx.Response.Body.WriteAsync(bytes, ctx.RequestAborted).ConfigureAwait(false);
        await ctx.Response.Body.WriteAsync("\n"u8.ToArray(), ctx.RequestAborted).ConfigureAwait(false);
        await ctx.Response.Body.FlushAsync(ctx.RequestAborted).ConfigureAwait(false);
    }

    internal static async Task WriteStatusAsync(HttpContext ctx, ApiException e)
    {
        if (e.RetryAfterSeconds is { } s) ctx.Response.Headers.RetryAfter = s.ToString(CultureInfo.InvariantCulture);
        await WriteJsonAsync(ctx, e.Code, e.ToStatus()).ConfigureAwait(false);
    }
}
