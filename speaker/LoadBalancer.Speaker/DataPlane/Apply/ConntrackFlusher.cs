using System.Diagnostics;
using System.Globalization;
using System.Net.Sockets;
using LoadBalancer.Speaker.DataPlane.Render;

namespace LoadBalancer.Speaker.DataPlane.Apply;

/// <summary>Deletes conntrack entries of stale flows.</summary>
internal interface IConntrackFlusher : IDisposable
{
    /// <summary>Deletes the entries of each flow; returns one message per failure (empty when all went well).</summary>
    Task<IReadOnlyList<string>> FlushAsync(IReadOnlyList<StaleFlow> flows);
}

/// <summary>
/// conntrack-tools' <c>conntrack -D</c>, run from a <see cref="NamespaceThread"/> (so inside the data plane's network
/// namespace), one call per stale flow, filtered exactly as kube-proxy filters: protocol, original destination
/// (LB IP and port) and reply source (the endpoint and its port).
/// </summary>
internal sealed class ConntrackCliFlusher : IConntrackFlusher
{
    private readonly NamespaceThread _thread;
    private readonly string _conntrack;

    public ConntrackCliFlusher(string? netnsPath, string conntrackPath = "conntrack")
    {
        _conntrack = conntrackPath;
        _thread = new NamespaceThread("conntrack", netnsPath);
    }

    /// <summary>The arguments of one deletion (pure; tested).</summary>
    public static List<string> Arguments(StaleFlow flow) =>
    [
        "-D", "-f", flow.Vip.AddressFamily == AddressFamily.InterNetworkV6 ? "ipv6" : "ipv4", "-p", flow.Proto,
        "--orig-dst", flow.Vip.ToString(), "--orig-port-dst", flow.Port.ToString(CultureInfo.InvariantCulture),
        "--reply-src", flow.Endpoint.Address.ToString(), "--reply-port-src", flow.Endpoint.Port.ToString(CultureInfo.InvariantCulture),
    ];

    public Task<IReadOnlyList<string>> FlushAsync(IReadOnlyList<StaleFlow> flows) => _thread.InvokeAsync<IReadOnlyList<string>>(() =>
    {
        var errors = new List<string>();
        foreach (var flow in flows)
        {
            var psi = new ProcessStartInfo(_conntrack) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
            foreach (var a in Arguments(flow)) psi.ArgumentList.Add(a);
            try
            {
                using var p = Process.Start(psi) ?? throw new InvalidOperationException("could not start " + _conntrack);
                var stdout = p.StandardOutput.ReadToEndAsync();
                var stderr = p.StandardError.ReadToEndAsync();
                if (!p.WaitForExit(TimeSpan.FromSeconds(30)))
                {
                    try { p.Kill(entireProcessTree: true); } catch (InvalidOperationException) { }
                    errors.Add($"{flow.Service}: conntrack did not finish within 30 s");
                    continue;
                }
                var err = stderr.GetAwaiter().GetResult();
                _ = stdout.GetAwaiter().GetResult();
                // Exit code 1 with "0 flow entries have been deleted" just means there was nothing to delete.
                if (p.ExitCode != 0 && !err.Contains("0 flow entries", StringComparison.Ordinal))
                    errors.Add($"{flow.Service}: conntrack {string.Join(' ', Arguments(flow))}: {err.Trim()}");
            }
            catch (Exception ex) when (ex is System.ComponentModel.Win32Exception or InvalidOperationException)
            {
                errors.Add($"{flow.Service}: {_conntrack} could not run ({ex.Message}); install conntrack-tools to flush stale UDP flows");
                break;
            }
        }
        return errors;
    });

    public void Dispose() => _thread.Dispose();
}
