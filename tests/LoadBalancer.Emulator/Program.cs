using System.Globalization;
using System.Net;
using System.Runtime.InteropServices;
using LoadBalancer.TestKit.ApiServer;

namespace LoadBalancer.Emulator;

/// <summary>
/// Runs the API server emulator as its own process (the sandbox runs it in the root namespace).
/// Prints "ready &lt;url&gt;" once serving; exits 0 on SIGTERM or SIGINT.
/// </summary>
internal static class Program
{
    private const string Usage = """
        usage: LoadBalancer.Emulator [options]
          --listen ADDRESS:PORT       where to listen (default 127.0.0.1:6443; [::]:6443 for IPv6; port 0 picks one)
          --advertise-address HOST    host written into the kubeconfig and the server certificate (default: the listen address, 127.0.0.1 for 0.0.0.0)
          --kubeconfig-out PATH       write a kubeconfig for this server to PATH
          --https                     serve HTTPS with a generated CA (its data is in the kubeconfig)
          --token TOKEN               require this bearer token (written into the kubeconfig)
          --client-cert               require a client certificate signed by the CA (HTTPS; written into the kubeconfig)
          --service-cidr CIDR         IPv4 service CIDR (default 10.96.0.0/12; "none" for IPv6-only)
          --service-cidr-v6 CIDR      IPv6 service CIDR (default fd00:10:96::/112; "none" for IPv4-only)
          --namespace NAME            create this namespace at start (repeatable)
          --bookmark-interval SECONDS how often watches with allowWatchBookmarks get a BOOKMARK (default 1)
          --apply FILE                apply this YAML file (CRDs, namespaces, objects) before serving (repeatable)
        """;

    public static async Task<int> Main(string[] args)
    {
        var options = new KubeApiServerOptions { Port = 6443 };
        string? kubeconfigOut = null;
        var namespaces = new List<string>();
        var applies = new List<string>();
        try
        {
            for (var i = 0; i < args.Length; i++)
            {
                string Next() => i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{args[i]} needs a value");
                switch (args[i])
                {
                    case "--listen":
                        (options.ListenAddress, options.Port) = ParseEndpoint(Next());
                        break;
                    case "--advertise-address": options.AdvertiseAddress = Next(); break;
                    case "--kubeconfig-out": kubeconfigOut = Next(); break;
                    case "--https": options.Https = true; break;
                    case "--token": options.BearerToken = Next(); break;
                    case "--client-cert": options.RequireClientCertificate = true; break;
                    case "--service-cidr": options.ServiceCidr = NoneToNull(Next()); break;
                    case "--service-cidr-v6": options.ServiceCidrV6 = NoneToNull(Next()); break;
                    case "--namespace": namespaces.Add(Next()); break;
                    case "--apply": applies.Add(Next()); break;
                    case "--bookmark-interval":
                        options.BookmarkInterval = TimeSpan.FromSeconds(double.Parse(Next(), CultureInfo.InvariantCulture));
                        break;
                    case "-h" or "--help":
                        Console.WriteLine(Usage);
                        return 0;
                    default:
                        throw new ArgumentException($"unknown argument {args[i]}");
                }
            }
            options.ExtraNamespaces = namespaces;
        }
        catch (Exception e) when (e is ArgumentException or FormatException)
        {
            await Console.Error.WriteLineAsync(e.Message + "\n" + Usage).ConfigureAwait(false);
            return 2;
        }

        using var stop = new CancellationTokenSource();
        using var term = PosixSignalRegistration.Create(PosixSignal.SIGTERM, c => { c.Cancel = true; stop.Cancel(); });
        using var intr = PosixSignalRegistration.Create(PosixSignal.SIGINT, c => { c.Cancel = true; stop.Cancel(); });

        await using var server = await KubeApiServer.StartAsync(options, stop.Token).ConfigureAwait(false);
        foreach (var file in applies)
            server.ApplyYaml(await File.ReadAllTextAsync(file, stop.Token).ConfigureAwait(false));
        if (kubeconfigOut is not null) server.WriteKubeconfig(kubeconfigOut);
        Console.WriteLine($"ready {server.BaseAddress.ToString().TrimEnd('/')}");
        await Console.Out.FlushAsync(stop.Token).ConfigureAwait(false);
        try
        {
            await Task.Delay(Timeout.Infinite, stop.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
        }
        return 0;
    }

    private static string? NoneToNull(string s) => s == "none" ? null : s;

    private static (IPAddress, int) ParseEndpoint(string text)
    {
        var colon = text.LastIndexOf(':');
        if (colon <= 0) throw new ArgumentException($"--listen wants ADDRESS:PORT, got {text}");
        var host = text[..colon].Trim('[', ']');
        var address = host is "" or "*" ? IPAddress.Any : IPAddress.Parse(host);
        return (address, int.Parse(text[(colon + 1)..], CultureInfo.InvariantCulture));
    }
}
