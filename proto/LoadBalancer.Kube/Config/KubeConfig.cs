using System.Security.Cryptography.X509Certificates;
using System.Text;
using YamlDotNet.RepresentationModel;

namespace LoadBalancer.Kube;

/// <summary>
/// A parsed kubeconfig file (YAML or JSON). Relative file paths inside it resolve against the file's directory, as
/// kubectl does. Parsing uses YamlDotNet's node model (no reflection, AOT-safe).
/// </summary>
public sealed class KubeConfig
{
    private KubeConfig() { }

    public string? CurrentContext { get; private init; }
    public IReadOnlyDictionary<string, KubeConfigCluster> Clusters { get; private init; } = new Dictionary<string, KubeConfigCluster>();
    public IReadOnlyDictionary<string, KubeConfigUser> Users { get; private init; } = new Dictionary<string, KubeConfigUser>();
    public IReadOnlyDictionary<string, KubeConfigContext> Contexts { get; private init; } = new Dictionary<string, KubeConfigContext>();
    /// <summary>Directory relative paths resolve against.</summary>
    public string BaseDirectory { get; private init; } = ".";

    /// <summary><c>$KUBECONFIG</c>'s first entry, else <c>~/.kube/config</c>.</summary>
    public static string DefaultPath()
    {
        var env = Environment.GetEnvironmentVariable("KUBECONFIG");
        if (!string.IsNullOrEmpty(env))
        {
            var first = env.Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries).FirstOrDefault();
            if (first is not null) return first;
        }
        return Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".kube", "config");
    }

    public static KubeConfig Load(string path)
    {
        if (!File.Exists(path)) throw new KubeConfigException($"kubeconfig {path} does not exist");
        return Parse(File.ReadAllText(path), Path.GetDirectoryName(Path.GetFullPath(path)) ?? ".", path);
    }

    public static KubeConfig Parse(string text, string baseDirectory = ".", string source = "kubeconfig")
    {
        var stream = new YamlStream();
        try
        {
            stream.Load(new StringReader(text));
        }
        catch (YamlDotNet.Core.YamlException ex)
        {
            throw new KubeConfigException($"{source}: not valid YAML: {ex.Message}", ex);
        }
        if (stream.Documents.Count == 0 || stream.Documents[0].RootNode is not YamlMappingNode root)
            throw new KubeConfigException($"{source}: expected a mapping at the top level");

        var clusters = new Dictionary<string, KubeConfigCluster>(StringComparer.Ordinal);
        foreach (var (name, body, i) in NamedEntries(root, "clusters", "cluster", source))
        {
            var server = Str(body, "server") ?? throw new KubeConfigException($"{source}: clusters[{i}] ({name}): cluster.server is required");
            clusters[name] = new KubeConfigCluster(name, server)
            {
                CertificateAuthority = Str(body, "certificate-authority"),
                CertificateAuthorityData = Str(body, "certificate-authority-data"),
                InsecureSkipTlsVerify = string.Equals(Str(body, "insecure-skip-tls-verify"), "true", StringComparison.OrdinalIgnoreCase),
                TlsServerName = Str(body, "tls-server-name"),
            };
        }
        var users = new Dictionary<string, KubeConfigUser>(StringComparer.Ordinal);
        foreach (var (name, body, _) in NamedEntries(root, "users", "user", source))
        {
            string? unsupported = null;
            if (Child(body, "exec") is not null) unsupported = "exec";
            else if (Child(body, "auth-provider") is not null) unsupported = "auth-provider";
            else if (Str(body, "username") is not null) unsupported = "basic auth (username/password)";
            users[name] = new KubeConfigUser(name)
            {
                Token = Str(body, "token"),
                TokenFile = Str(body, "tokenFile"),
                ClientCertificate = Str(body, "client-certificate"),
                ClientCertificateData = Str(body, "client-certificate-data"),
                ClientKey = Str(body, "client-key"),
                ClientKeyData = Str(body, "client-key-data"),
                Unsupported = unsupported,
            };
        }
        var contexts = new Dictionary<string, KubeConfigContext>(StringComparer.Ordinal);
        foreach (var (name, body, i) in NamedEntries(root, "contexts", "context", source))
        {
            var cluster = Str(body, "cluster") ?? throw new KubeConfigException($"{source}: contexts[{i}] ({name}): context.cluster is required");
            contexts[name] = new KubeConfigContext(name, cluster, Str(body, "user") ?? "") { Namespace = Str(body, "namespace") };
        }
        return new KubeConfig
        {
            CurrentContext = Str(root, "current-context"),
            Clusters = clusters,
            Users = users,
            Contexts = contexts,
            BaseDirectory = baseDirectory,
        };
    }

    /// <summary>Client options for a context (default: <c>current-context</c>).</summary>
    public KubeClientOptions ToClientOptions(string? context = null)
    {
        var contextName = context ?? CurrentContext;
        if (string.IsNullOrEmpty(contextName))
        {
            if (Contexts.Count != 1) throw new KubeConfigException("kubeconfig has no current-context and none was given");
            contextName = Contexts.Keys.First();
        }
        if (!Contexts.TryGetValue(contextName, out var ctx)) throw new KubeConfigException($"kubeconfig has no context '{contextName}'");
        if (!Clusters.TryGetValue(ctx.Cluster, out var cluster))
            throw new KubeConfigException($"kubeconfig context '{contextName}' names cluster '{ctx.Cluster}', which does not exist");
        KubeConfigUser? user = null;
        if (ctx.User.Length > 0 && !Users.TryGetValue(ctx.User, out user))
            throw new KubeConfigException($"kubeconfig context '{contextName}' names user '{ctx.User}', which does not exist");
        if (user?.Unsupported is { } what)
            throw new KubeConfigException($"kubeconfig user '{user.Name}' uses {what}, which this client does not support (use a token or a client certificate)");

        if (!Uri.TryCreate(cluster.Server, UriKind.Absolute, out var server) || (server.Scheme != "https" && server.Scheme != "http"))
            throw new KubeConfigException($"kubeconfig cluster '{cluster.Name}': server '{cluster.Server}' is not an http(s) URL");

        var options = new KubeClientOptions
        {
            Server = server,
            InsecureSkipTlsVerify = cluster.InsecureSkipTlsVerify,
            TlsServerName = cluster.TlsServerName,
            DefaultNamespace = string.IsNullOrEmpty(ctx.Namespace) ? "default" : ctx.Namespace,
        };
        var caPem = Pem(cluster.CertificateAuthorityData, cluster.CertificateAuthority, $"cluster '{cluster.Name}' certificate-authority");
        if (caPem is not null)
        {
            options.CertificateAuthorities = [];
            try
            {
                options.CertificateAuthorities.ImportFromPem(caPem);
            }
            catch (System.Security.Cryptography.CryptographicException ex)
            {
                throw new KubeConfigException($"kubeconfig cluster '{cluster.Name}': certificate authority is not valid PEM: {ex.Message}", ex);
            }
            if (options.CertificateAuthorities.Count == 0)
                throw new KubeConfigException($"kubeconfig cluster '{cluster.Name}': certificate authority holds no certificate");
        }
        if (user is not null)
        {
            options.BearerToken = user.Token;
            if (user.TokenFile is not null) options.TokenFile = Resolve(user.TokenFile);
            var certPem = Pem(user.ClientCertificateData, user.ClientCertificate, $"user '{user.Name}' client-certificate");
            var keyPem = Pem(user.ClientKeyData, user.ClientKey, $"user '{user.Name}' client-key");
            if (certPem is not null || keyPem is not null)
            {
                if (certPem is null || keyPem is null)
                    throw new KubeConfigException($"kubeconfig user '{user.Name}': client certificate and client key must both be given");
                try
                {
                    options.ClientCertificate = X509Certificate2.CreateFromPem(certPem, keyPem);
                }
                catch (System.Security.Cryptography.CryptographicException ex)
                {
                    throw new KubeConfigException($"kubeconfig user '{user.Name}': client certificate or key is not valid PEM: {ex.Message}", ex);
                }
            }
        }
        return options;
    }

    private string Resolve(string path) => Path.IsPathRooted(path) ? path : Path.GetFullPath(Path.Combine(BaseDirectory, path));

    private string? Pem(string? data, string? file, string what)
    {
        if (!string.IsNullOrEmpty(data))
        {
            try
            {
                return Encoding.UTF8.GetString(Convert.FromBase64String(data));
            }
            catch (FormatException ex)
            {
                throw new KubeConfigException($"kubeconfig {what}-data is not base64: {ex.Message}", ex);
            }
        }
        if (!string.IsNullOrEmpty(file))
        {
            var full = Resolve(file);
            if (!File.Exists(full)) throw new KubeConfigException($"kubeconfig {what} file {full} does not exist");
            return File.ReadAllText(full);
        }
        return null;
    }

    private static IEnumerable<(string Name, YamlMappingNode Body, int Index)> NamedEntries(YamlMappingNode root, string list, string item, string source)
    {
        if (Child(root, list) is not YamlSequenceNode seq) yield break;
        var i = 0;
        foreach (var node in seq.Children)
        {
            if (node is not YamlMappingNode entry) throw new KubeConfigException($"{source}: {list}[{i}] is not a mapping");
            var name = Str(entry, "name") ?? throw new KubeConfigException($"{source}: {list}[{i}].name is required");
            var body = Child(entry, item) as YamlMappingNode ?? new YamlMappingNode();
            yield return (name, body, i);
            i++;
        }
    }

    private static YamlNode? Child(YamlMappingNode node, string key)
        => node.Children.TryGetValue(new YamlScalarNode(key), out var value) ? value : null;

    private static string? Str(YamlMappingNode node, string key)
        => Child(node, key) is YamlScalarNode { Value: { Length: > 0 } v } ? v : null;
}
