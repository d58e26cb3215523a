using System.Net;
using System.Net.Security;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Server.Kestrel.Https;

namespace LoadBalancer.TestKit.ApiServer;

/// <summary>
/// An in-process kube-apiserver for tests, the sandbox and kubectl: real HTTP(S) on Kestrel, schemaless storage,
/// discovery, CRDs, watch, patch, Tables, and fault injection. See docs/emulator.md.
/// </summary>
public sealed class KubeApiServer : IAsyncDisposable
{
    private static readonly string[] DefaultNamespaces = ["default", "kube-system", "kube-public", "kube-node-lease", "loadbalancer-system"];

    private readonly WebApplication _app;
    private readonly ObjectStore _store;
    private readonly FaultInjector _faults;
    private readonly ApiAccessLog _accesses;
    private readonly CancellationTokenSource _stopping;
    private int _disposed;

    private KubeApiServer(KubeApiServerOptions options, WebApplication app, ObjectStore store, FaultInjector faults, ApiAccessLog accesses,
        CancellationTokenSource stopping, Certificates? certificates)
    {
        _accesses = accesses;
        Options = options;
        _app = app;
        _store = store;
        _faults = faults;
        _stopping = stopping;
        Certificates = certificates;
        BaseAddress = new Uri("http://127.0.0.1/");
    }

    public KubeApiServerOptions Options { get; }

    /// <summary>The URL clients use (advertised host, actual port), e.g. <c>http://127.0.0.1:40123/</c>.</summary>
    public Uri BaseAddress { get; private set; }

    /// <summary>The port actually bound.</summary>
    public int Port => BaseAddress.Port;

    /// <summary>The generated CA, server and client certificates (HTTPS only).</summary>
    public Certificates? Certificates { get; }

    /// <summary>The current (global) resourceVersion.</summary>
    public long ResourceVersion => _store.CurrentResourceVersion;

    /// <summary>Requests served so far (every path and verb).</summary>
    public long RequestCount => Interlocked.Read(ref _faults.RequestCount);

    /// <summary>Every distinct (User-Agent, group, resource, verb, namespace) served so far, like an audit log (see <see cref="ApiAccess"/>).</summary>
    public IReadOnlyCollection<ApiAccess> Accesses => _accesses.Snapshot();

    /// <summary>Watch streams open right now.</summary>
    public int OpenWatchCount => _store.WatcherCount;

    /// <summary>Starts listening (127.0.0.1 and a free port unless told otherwise) with the default namespaces created.</summary>
    public static async Task<KubeApiServer> StartAsync(KubeApiServerOptions? options = null, CancellationToken cancellationToken = default)
    {
        options ??= new KubeApiServerOptions();
        var advertise = options.AdvertiseAddress ??
            (options.ListenAddress.Equals(IPAddress.Any) ? "127.0.0.1" : options.ListenAddress.Equals(IPAddress.IPv6Any) ? "::1" : options.ListenAddress.ToString());
        var certificates = options.Https ? Certificates.Create([advertise, options.ListenAddress.ToString()]) : null;
        if (options.RequireClientCertificate && !options.Https)
            throw new ArgumentException("RequireClientCertificate needs Https", nameof(options));

        var registry = new ResourceRegistry();
        var services = new ServiceAllocator(options.ServiceCidr, options.ServiceCidrV6, options.NodePortRange.Min, options.NodePortRange.Max);
        var store = new ObjectStore(registry, options.TimeProvider, services, options.WatchHistory);
        var nsType = registry.Find("", "v1", "namespaces")!;
        foreach (var ns in DefaultNamespaces.Concat(options.ExtraNamespaces).Distinct())
            store.Create(nsType, "", new JsonObject { ["apiVersion"] = "v1", ["kind"] = "Namespace", ["metadata"] = new JsonObject { ["name"] = ns } });

        var faults = new FaultInjector(TimeProvider.System);
        var stopping = new CancellationTokenSource();
        var accesses = new ApiAccessLog();
        var handler = new ApiHandler(store, options, faults, accesses, stopping.Token);

        var builder = WebApplication.CreateEmptyBuilder(new WebApplicationOptions());
        builder.WebHost.UseKestrelCore();
        builder.WebHost.ConfigureKestrel(k =>
        {
            k.AddServerHeader = false;
            k.Limits.MaxRequestBodySize = 64 * 1024 * 1024;
            k.Listen(options.ListenAddress, options.Port, listen =>
            {
                if (certificates is null) return;
                listen.UseHttps(new HttpsConnectionAdapterOptions
                {
                    ServerCertificate = certificates.Server,
                    ClientCertificateMode = ClientCertificateMode.AllowCertificate,
                    ClientCertificateValidation = (cert, _, _) => certificates.IsIssuedByCa(cert),
                });
            });
        });
        var app = builder.Build();
        app.Run(handler.HandleAsync);
        await app.StartAsync(cancellationToken).ConfigureAwait(false);

        var server = new KubeApiServer(options, app, store, faults, accesses, stopping, certificates);
        var address = app.Services.GetService(typeof(IServer)) is IServer s
            ? s.Features.Get<IServerAddressesFeature>()?.Addresses.FirstOrDefault()
            : null;
        var port = address is null ? options.Port : new Uri(address.Replace("[::]", "localhost", StringComparison.Ordinal).Replace("0.0.0.0", "localhost", StringComparison.Ordinal)).Port;
        var host = advertise.Contains(':', StringComparison.Ordinal) ? "[" + advertise + "]" : advertise;
        server.BaseAddress = new Uri($"{(options.Https ? "https" : "http")}://{host}:{port}/");
        return server;
    }

    // ---------------------------------------------------------------- clients

    /// <summary>The kubeconfig text for this server (token and/or client certificate when configured).</summary>
    public string Kubeconfig(string? serverUrl = null, string contextNamespace = "default")
    {
        var server = (serverUrl ?? BaseAddress.ToString()).TrimEnd('/');
        var sb = new StringBuilder();
        sb.Append("apiVersion: v1\nkind: Config\nclusters:\n- name: emulator\n  cluster:\n    server: ").Append(server).Append('\n');
        if (Certificates is not null)
            sb.Append("    certificate-authority-data: ").Append(Convert.ToBase64String(Encoding.UTF8.GetBytes(Certificates.CaPem))).Append('\n');
        sb.Append("contexts:\n- name: emulator\n  context:\n    cluster: emulator\n    user: emulator\n    namespace: ").Append(contextNamespace).Append('\n');
        sb.Append("current-context: emulator\nusers:\n- name: emulator\n  user:");
        var any = false;
        if (Options.BearerToken is not null)
        {
            sb.Append("\n    token: ").Append(Options.BearerToken);
            any = true;
        }
        if (Certificates is not null && (Options.RequireClientCertificate || Options.BearerToken is null))
        {
            sb.Append("\n    client-certificate-data: ").Append(Convert.ToBase64String(Encoding.UTF8.GetBytes(Certificates.ClientCertificatePem)));
            sb.Append("\n    client-key-data: ").Append(Convert.ToBase64String(Encoding.UTF8.GetBytes(Certificates.ClientKeyPem)));
            any = true;
        }
        if (!any) sb.Append(" {}");
        sb.Append("\npreferences: {}\n");
        return sb.ToString();
    }

    /// <summary>Writes <see cref="Kubeconfig"/> to <paramref name="path"/> (mode 0600) and returns the path.</summary>
    public string WriteKubeconfig(string path, string? serverUrl = null)
    {
        var dir = Path.GetDirectoryName(Path.GetFullPath(path));
        if (!string.IsNullOrEmpty(dir)) Directory.CreateDirectory(dir);
        File.WriteAllText(path, Kubeconfig(serverUrl));
        if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        return path;
    }

    /// <summary>An HttpClient that trusts the CA and presents the token / client certificate, with BaseAddress set.</summary>
    public HttpClient CreateHttpClient()
    {
#pragma warning disable CA2000 // the handler is owned by the HttpClient (disposeHandler: true)
        var handler = new SocketsHttpHandler { PooledConnectionLifetime = TimeSpan.FromMinutes(5) };
#pragma warning restore CA2000
        if (Certificates is not null)
        {
            var ca = Certificates.Ca;
            handler.SslOptions = new SslClientAuthenticationOptions
            {
                RemoteCertificateValidationCallback = (_, cert, _, errors) =>
                    errors == SslPolicyErrors.None || (cert is not null && Certificates.IsIssuedByCa(new X509Certificate2(cert))),
                ClientCertificates = Options.RequireClientCertificate || Options.BearerToken is null ? new X509CertificateCollection { Certificates.Client } : null,
            };
            _ = ca;
        }
        var client = new HttpClient(handler, disposeHandler: true) { BaseAddress = BaseAddress, Timeout = Timeout.InfiniteTimeSpan };
        if (Options.BearerToken is not null) client.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", Options.BearerToken);
        return client;
    }

    // ---------------------------------------------------------------- direct store access

    private ResourceType TypeOf(string apiVersion, string kind) =>
        _store.Registry.FindKind(apiVersion, kind) ?? throw new ArgumentException($"no resource is served for {apiVersion} {kind}");

    private static (string ApiVersion, string Kind) Gvk(JsonObject obj) =>
        (ApiJson.Str(obj["apiVersion"]) ?? throw new ArgumentException("object has no apiVersion"),
         ApiJson.Str(obj["kind"]) ?? throw new ArgumentException("object has no kind"));

    private static string NamespaceOf(ResourceType type, JsonObject obj) =>
        type.Namespaced ? ApiJson.Str(obj["metadata"]?["namespace"]) is { Length: > 0 } ns ? ns : "default" : "";

    /// <summary>Creates one object exactly as a POST would (defaults, validation, status reset). Throws <see cref="ApiException"/>.</summary>
    public JsonObject Create(JsonObject obj)
    {
        var (apiVersion, kind) = Gvk(obj);
        var type = TypeOf(apiVersion, kind);
        return _store.Create(type, NamespaceOf(type, obj), obj);
    }

    /// <summary>
    /// Creates many objects under one lock (fast seeding: 10,000 Services in well under a second). Unlike
    /// <see cref="Create"/> the given status is kept. Namespace defaults to "default". Returns how many were created.
    /// </summary>
    public int Seed(IEnumerable<JsonObject> objects) =>
        _store.CreateMany(objects.Select(o =>
        {
            var (apiVersion, kind) = Gvk(o);
            return (TypeOf(apiVersion, kind), o);
        }));

    /// <summary>Creates or replaces every document of a YAML text (CRDs before the rest); returns the stored objects.</summary>
    public IReadOnlyList<JsonObject> ApplyYaml(string yaml)
    {
        var docs = ApiYaml.ParseDocuments(yaml).SelectMany(d => ApiJson.Str(d["kind"]) == "List" ? (d["items"] as JsonArray ?? []).OfType<JsonObject>() : [d]).ToList();
        var result = new List<JsonObject>();
        foreach (var doc in docs.OrderBy(d => ApiJson.Str(d["kind"]) == "CustomResourceDefinition" ? 0 : ApiJson.Str(d["kind"]) == "Namespace" ? 1 : 2))
        {
            var (apiVersion, kind) = Gvk(doc);
            var type = TypeOf(apiVersion, kind);
            var ns = NamespaceOf(type, doc);
            var name = ApiJson.Str(doc["metadata"]?["name"]) ?? "";
            if (name.Length > 0 && _store.GetStored(type, ns, name) is not null)
                result.Add(_store.Mutate(type, ns, name, current =>
                {
                    var next = (JsonObject)doc.DeepClone();
                    ApiJson.Metadata(next)["resourceVersion"] = ApiJson.Str(current["metadata"]?["resourceVersion"]);
                    return next;
                }, status: false));
            else
                result.Add(_store.Create(type, ns, doc));
        }
        return result;
    }

    /// <summary>The object, or null when it does not exist.</summary>
    public JsonObject? Get(string apiVersion, string kind, string? @namespace, string name)
    {
        var type = TypeOf(apiVersion, kind);
        var stored = _store.GetStored(type, @namespace ?? "", name);
        return stored is null ? null : ObjectStore.ToTypeForm(type, stored);
    }

    /// <summary>Every object of a kind (in one namespace, or all), optionally filtered by a label selector, in key order.</summary>
    public IReadOnlyList<JsonObject> List(string apiVersion, string kind, string? @namespace = null, string? labelSelector = null)
    {
        var type = TypeOf(apiVersion, kind);
        var (items, _, _, _) = _store.List(type, type.Namespaced ? @namespace : null, LabelSelector.Parse(labelSelector), FieldSelector.Everything, 0, null);
        return items.Select(o => ObjectStore.ToTypeForm(type, o)).ToList();
    }

    /// <summary>Replaces an object (PUT semantics: a resourceVersion in it is a precondition; status is kept).</summary>
    public JsonObject Update(JsonObject obj)
    {
        var (apiVersion, kind) = Gvk(obj);
        var type = TypeOf(apiVersion, kind);
        return _store.Update(type, NamespaceOf(type, obj), ApiJson.Str(obj["metadata"]?["name"]) ?? "", obj, status: false);
    }

    /// <summary>Replaces the status of an object (the /status subresource).</summary>
    public JsonObject UpdateStatus(JsonObject obj)
    {
        var (apiVersion, kind) = Gvk(obj);
        var type = TypeOf(apiVersion, kind);
        return _store.Update(type, NamespaceOf(type, obj), ApiJson.Str(obj["metadata"]?["name"]) ?? "", obj, status: type.HasStatus);
    }

    /// <summary>Applies a JSON merge patch to an object (or its status).</summary>
    public JsonObject Patch(string apiVersion, string kind, string? @namespace, string name, JsonObject mergePatch, bool status = false)
    {
        var type = TypeOf(apiVersion, kind);
        return _store.Mutate(type, @namespace ?? "", name, current => (JsonObject)Patching.MergePatch(current, mergePatch)!, status && type.HasStatus);
    }

    /// <summary>Deletes an object (finalizers and garbage collection apply). False when it did not exist.</summary>
    public bool Delete(string apiVersion, string kind, string? @namespace, string name)
    {
        var type = TypeOf(apiVersion, kind);
        try
        {
            _store.Delete(type, @namespace ?? "", name);
            return true;
        }
        catch (ApiException e) when (e.Code == 404)
        {
            return false;
        }
    }

    // ---------------------------------------------------------------- fault injection

    /// <summary>Ends every open watch stream abruptly (connection reset); returns how many.</summary>
    public int DropWatches() => _store.DropWatches();

    /// <summary>Compacts history: every resourceVersion older than now gets 410 Gone on watch and Expired on list continue.</summary>
    public void ExpireResourceVersions() => _store.ExpireResourceVersions();

    /// <summary>
    /// The next <paramref name="count"/> requests matching <paramref name="verb"/> (GET, POST...; null: any) and
    /// whose path+query contains <paramref name="pathContains"/> (null: any) fail with <paramref name="statusCode"/>
    /// and a Status body; 429 carries Retry-After (default 1 s).
    /// </summary>
    public void FailNext(int count, int statusCode, string? verb = null, string? pathContains = null, int? retryAfterSeconds = null) =>
        _faults.Fail(count, statusCode, verb, pathContains, retryAfterSeconds);

    /// <summary>Delays every request (whose path+query contains <paramref name="pathContains"/>) by <paramref name="latency"/>.</summary>
    public void SetLatency(TimeSpan latency, string? pathContains = null) => _faults.SetLatency(latency, pathContains);

    /// <summary>Removes pending failures and latency.</summary>
    public void ClearFaults() => _faults.Clear();

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0) return;
        await _stopping.CancelAsync().ConfigureAwait(false);
        _store.DropWatches();
        try
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));
            await _app.StopAsync(timeout.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
        }
        await _app.DisposeAsync().ConfigureAwait(false);
        _stopping.Dispose();
        Certificates?.Dispose();
    }
}
