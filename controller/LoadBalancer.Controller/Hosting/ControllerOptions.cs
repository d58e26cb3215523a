using LoadBalancer.Controller.Services;

namespace LoadBalancer.Controller.Hosting;

/// <summary>The controller's command line (see <see cref="Parse"/>), with environment fallbacks.</summary>
internal sealed record ControllerOptions
{
    /// <summary>Path of a kubeconfig; null = env KUBECONFIG, else in-cluster.</summary>
    public string? Kubeconfig { get; init; }
    public string Namespace { get; init; } = "loadbalancer-system";
    public string LoadBalancerClass { get; init; } = ServiceDecision.DefaultLoadBalancerClass;
    public bool LeaderElect { get; init; } = true;
    public string LeaseName { get; init; } = "loadbalancer-controller";
    /// <summary><c>host:port</c> for /metrics, /healthz, /readyz; empty = off.</summary>
    public string MetricsAddress { get; init; } = "0.0.0.0:7473";
    /// <summary>Leader identity: env POD_NAME, else host name plus a random suffix.</summary>
    public string Identity { get; init; } = Environment.GetEnvironmentVariable("POD_NAME") is { Length: > 0 } p ? p : $"{Environment.MachineName}-{Guid.NewGuid().ToString("N")[..8]}";
    public TimeSpan LeaseDuration { get; init; } = TimeSpan.FromSeconds(15);
    public TimeSpan RenewDeadline { get; init; } = TimeSpan.FromSeconds(10);
    public TimeSpan RetryPeriod { get; init; } = TimeSpan.FromSeconds(2);
    /// <summary>How often every Service is looked at again even without a change (a safety net, level-triggered).</summary>
    public TimeSpan ResyncPeriod { get; init; } = TimeSpan.FromMinutes(10);

    public const string Usage = """
        LoadBalancer controller: assigns IPs from IPAddressPools to Services of type LoadBalancer.
          --kubeconfig PATH             kubeconfig to use (default: env KUBECONFIG, else in-cluster)
          --namespace NS                namespace of our CRs and the leader Lease (default: env POD_NAMESPACE, else loadbalancer-system)
          --load-balancer-class CLASS   Services with this loadBalancerClass (or none) are ours (default lb.baremetal.dev/loadbalancer)
          --leader-elect BOOL           Lease leader election, for two or more replicas (default true)
          --lease-name NAME             the leader Lease (default loadbalancer-controller)
          --metrics-address HOST:PORT   /metrics, /healthz and /readyz (default 0.0.0.0:7473; empty = off)
          --identity NAME               leader identity (default: env POD_NAME, else the host name plus a suffix)
          --lease-duration DURATION     (default 15s); --renew-deadline (10s); --retry-period (2s)
          --resync-period DURATION      re-check every Service this often (default 10m)
        """;

    /// <summary>Parses <c>--flag value</c> and <c>--flag=value</c>. Returns null and an error for unknown or bad flags.</summary>
    public static ControllerOptions? Parse(IReadOnlyList<string> args, Func<string, string?> env, out string? error)
    {
        error = null;
        var o = new ControllerOptions
        {
            Kubeconfig = env("KUBECONFIG") is { Length: > 0 } k ? k : null,
            Namespace = env("POD_NAMESPACE") is { Length: > 0 } ns ? ns : "loadbalancer-system",
        };
        for (var i = 0; i < args.Count; i++)
        {
            var arg = args[i];
            if (arg is "-h" or "--help") { error = Usage; return null; }
            if (!arg.StartsWith("--", StringComparison.Ordinal)) { error = $"unexpected argument \"{arg}\"\n{Usage}"; return null; }
            string name, value;
            var eq = arg.IndexOf('=', StringComparison.Ordinal);
            if (eq > 0) (name, value) = (arg[2..eq], arg[(eq + 1)..]);
            else
            {
                name = arg[2..];
                if (i + 1 >= args.Count) { error = $"flag --{name} needs a value"; return null; }
                value = args[++i];
            }
            switch (name)
            {
                case "kubeconfig": o = o with { Kubeconfig = value.Length > 0 ? value : null }; break;
                case "namespace": o = o with { Namespace = value }; break;
                case "load-balancer-class": o = o with { LoadBalancerClass = value }; break;
                case "leader-elect":
                    if (!bool.TryParse(value, out var le)) { error = $"--leader-elect: \"{value}\" is not true or false"; return null; }
                    o = o with { LeaderElect = le };
                    break;
                case "lease-name": o = o with { LeaseName = value }; break;
                case "metrics-address": o = o with { MetricsAddress = value }; break;
                case "identity": o = o with { Identity = value }; break;
                case "lease-duration" or "renew-deadline" or "retry-period" or "resync-period":
                    if (!Model.Config.KubeDuration.TryParse(value, out var d, out var de) || d <= TimeSpan.Zero) { error = $"--{name}: {de ?? "must be positive"}"; return null; }
                    o = name switch
                    {
                        "lease-duration" => o with { LeaseDuration = d },
                        "renew-deadline" => o with { RenewDeadline = d },
                        "retry-period" => o with { RetryPeriod = d },
                        _ => o with { ResyncPeriod = d },
                    };
                    break;
                default: error = $"unknown flag --{name}\n{Usage}"; return null;
            }
        }
        if (string.IsNullOrWhiteSpace(o.Namespace)) { error = "--namespace must not be empty"; return null; }
        if (string.IsNullOrWhiteSpace(o.LoadBalancerClass)) { error = "--load-balancer-class must not be empty"; return null; }
        if (o.RenewDeadline >= o.LeaseDuration) { error = "--renew-deadline must be shorter than --lease-duration"; return null; }
        if (o.MetricsAddress.Length > 0 && !TryParseAddress(o.MetricsAddress, out _, out _)) { error = $"--metrics-address: \"{o.MetricsAddress}\" is not HOST:PORT"; return null; }
        return o;
    }

    public static bool TryParseAddress(string text, out System.Net.IPAddress address, out int port)
    {
        address = System.Net.IPAddress.Any;
        port = 0;
        var colon = text.LastIndexOf(':');
        if (colon < 0) return false;
        var host = text[..colon].Trim('[', ']');
        if (!int.TryParse(text[(colon + 1)..], System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out port) || port > 65535) return false;
        if (host.Length == 0 || host == "*") return true;
        if (host == "localhost") { address = System.Net.IPAddress.Loopback; return true; }
        return System.Net.IPAddress.TryParse(host, out address!);
    }
}
