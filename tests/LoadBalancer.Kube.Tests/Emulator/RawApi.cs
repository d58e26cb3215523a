using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using LoadBalancer.TestKit.ApiServer;

namespace LoadBalancer.Kube.Tests.Emulator;

/// <summary>Raw HTTP + JSON against the emulator: what a client sees, no client library in between.</summary>
internal sealed class RawApi : IDisposable
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(20);

    public RawApi(KubeApiServer server) => Http = server.CreateHttpClient();

    public HttpClient Http { get; }

    public sealed record Reply(HttpStatusCode Code, JsonNode? Body, HttpResponseMessage Response)
    {
        public JsonObject Object => Body as JsonObject ?? throw new InvalidOperationException("not an object: " + Body?.ToJsonString());

        public string Reason => Object["reason"]?.GetValue<string>() ?? "";

        /// <summary>Asserts a Kubernetes Status failure body with the given code and reason.</summary>
        public Reply AssertStatus(int code, string reason)
        {
            Assert.Equal(code, (int)Code);
            Assert.Equal("Status", Object["kind"]?.GetValue<string>());
            Assert.Equal("Failure", Object["status"]?.GetValue<string>());
            Assert.Equal(reason, Reason);
            Assert.Equal(code, Object["code"]?.GetValue<int>());
            Assert.False(string.IsNullOrEmpty(Object["message"]?.GetValue<string>()));
            return this;
        }
    }

    public async Task<Reply> SendAsync(HttpMethod method, string path, JsonNode? body = null, string contentType = "application/json", string? accept = null)
    {
        using var request = new HttpRequestMessage(method, path);
        if (body is not null) request.Content = new StringContent(body.ToJsonString(), Encoding.UTF8, contentType);
        if (request.Content is not null) request.Content.Headers.ContentType = MediaTypeHeaderValue.Parse(contentType);
        if (accept is not null) request.Headers.TryAddWithoutValidation("Accept", accept);
        var response = await Http.SendAsync(request).WaitAsync(Bound);
        var text = await response.Content.ReadAsStringAsync().WaitAsync(Bound);
        return new Reply(response.StatusCode, text.Length == 0 ? null : JsonNode.Parse(text), response);
    }

    public Task<Reply> GetAsync(string path, string? accept = null) => SendAsync(HttpMethod.Get, path, accept: accept);

    public Task<Reply> PostAsync(string path, JsonNode body) => SendAsync(HttpMethod.Post, path, body);

    public Task<Reply> PutAsync(string path, JsonNode body) => SendAsync(HttpMethod.Put, path, body);

    public Task<Reply> PatchAsync(string path, JsonNode body, string contentType) => SendAsync(HttpMethod.Patch, path, body, contentType);

    public Task<Reply> DeleteAsync(string path, JsonNode? body = null) => SendAsync(HttpMethod.Delete, path, body);

    public async Task<JsonObject> CreateAsync(string path, JsonNode body)
    {
        var r = await PostAsync(path, body);
        Assert.True(r.Code == HttpStatusCode.Created, $"create {path}: {(int)r.Code} {r.Body?.ToJsonString()}");
        return r.Object;
    }

    /// <summary>Opens a watch and yields its events line by line.</summary>
    public async Task<WatchStream> WatchAsync(string pathAndQuery)
    {
        var request = new HttpRequestMessage(HttpMethod.Get, pathAndQuery);
        var response = await Http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead).WaitAsync(Bound);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var stream = await response.Content.ReadAsStreamAsync().WaitAsync(Bound);
        return new WatchStream(request, response, new StreamReader(stream));
    }

    public void Dispose() => Http.Dispose();

    public static JsonObject Service(string name, string ns = "default", string type = "ClusterIP", params int[] ports)
    {
        var p = new JsonArray();
        for (var i = 0; i < (ports.Length == 0 ? 1 : ports.Length); i++)
        {
            var port = ports.Length == 0 ? 80 : ports[i];
            p.Add(new JsonObject { ["name"] = "p" + port, ["port"] = port });
        }
        return new JsonObject
        {
            ["apiVersion"] = "v1",
            ["kind"] = "Service",
            ["metadata"] = new JsonObject { ["name"] = name, ["namespace"] = ns, ["labels"] = new JsonObject { ["app"] = name } },
            ["spec"] = new JsonObject { ["type"] = type, ["selector"] = new JsonObject { ["app"] = name }, ["ports"] = p },
        };
    }

    public static JsonObject ConfigMap(string name, string ns = "default", IDictionary<string, string>? labels = null)
    {
        var l = new JsonObject();
        foreach (var (k, v) in labels ?? new Dictionary<string, string>()) l[k] = v;
        return new JsonObject
        {
            ["apiVersion"] = "v1",
            ["kind"] = "ConfigMap",
            ["metadata"] = new JsonObject { ["name"] = name, ["namespace"] = ns, ["labels"] = l },
            ["data"] = new JsonObject { ["k"] = "v" },
        };
    }
}

/// <summary>A newline-delimited JSON watch response.</summary>
internal sealed class WatchStream : IDisposable
{
    private readonly HttpRequestMessage _request;
    private readonly HttpResponseMessage _response;
    private readonly StreamReader _reader;

    public WatchStream(HttpRequestMessage request, HttpResponseMessage response, StreamReader reader)
    {
        _request = request;
        _response = response;
        _reader = reader;
    }

    /// <summary>The next event, or null when the server ended the stream (or reset the connection).</summary>
    public async Task<JsonObject?> NextAsync(TimeSpan? timeout = null)
    {
        try
        {
            var line = await _reader.ReadLineAsync().WaitAsync(timeout ?? TimeSpan.FromSeconds(20));
            return line is null ? null : JsonNode.Parse(line)!.AsObject();
        }
        catch (Exception e) when (e is IOException or HttpRequestException)
        {
            return null;
        }
    }

    /// <summary>The next event that is not a BOOKMARK.</summary>
    public async Task<JsonObject?> NextChangeAsync()
    {
        while (true)
        {
            var e = await NextAsync();
            if (e is null || e["type"]!.GetValue<string>() != "BOOKMARK") return e;
        }
    }

    public void Dispose()
    {
        _reader.Dispose();
        _response.Dispose();
        _request.Dispose();
    }
}
