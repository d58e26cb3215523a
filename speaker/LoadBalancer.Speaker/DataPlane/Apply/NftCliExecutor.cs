using System.Diagnostics;

namespace LoadBalancer.Speaker.DataPlane.Apply;

/// <summary>
/// The fallback: pipes the commands into <c>nft -f -</c> (one transaction, as knftables does). The process is
/// started from a <see cref="NamespaceThread"/>, so it inherits that thread's network namespace.
/// </summary>
internal sealed class NftCliExecutor : INftExecutor
{
    private readonly NamespaceThread _thread;
    private readonly string _nft;
    private readonly TimeSpan _timeout;

    public NftCliExecutor(string? netnsPath, string nftPath = "nft", TimeSpan? timeout = null)
    {
        _nft = nftPath;
        _timeout = timeout ?? TimeSpan.FromMinutes(2);
        _thread = new NamespaceThread("nft-cli", netnsPath);
    }

    public string Name => "nft";

    public Task<NftResult> RunAsync(string commands, bool json = false) => _thread.InvokeAsync(() =>
    {
        var psi = new ProcessStartInfo(_nft)
        {
            RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false,
        };
        if (json) psi.ArgumentList.Add("-j");
        psi.ArgumentList.Add("-f");
        psi.ArgumentList.Add("-");
        using var p = Process.Start(psi) ?? throw new InvalidOperationException("could not start nft");
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        p.StandardInput.Write(commands);
        p.StandardInput.Close();
        if (!p.WaitForExit(_timeout))
        {
            try { p.Kill(entireProcessTree: true); } catch (InvalidOperationException) { }
            return new NftResult(false, "", $"nft -f - did not finish within {_timeout.TotalSeconds} s");
        }
        return new NftResult(p.ExitCode == 0, stdout.GetAwaiter().GetResult(), stderr.GetAwaiter().GetResult());
    });

    public void Dispose() => _thread.Dispose();
}
