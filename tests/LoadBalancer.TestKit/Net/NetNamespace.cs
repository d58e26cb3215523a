using System.Diagnostics;
using System.Runtime.InteropServices;

namespace LoadBalancer.TestKit.Net;

/// <summary>
/// One Linux network namespace made by a test (<c>ip netns add</c>). Commands run inside it with
/// <see cref="ExecAsync"/>; long-running daemons with <see cref="Spawn"/> (killed by PID on dispose);
/// managed code (sockets, our own listeners) with <see cref="RunInsideAsync{T}"/>, which opens them on a thread
/// that entered the namespace with setns(2): a socket keeps its namespace afterwards.
/// </summary>
public sealed class NetNamespace : IAsyncDisposable
{
    private readonly List<Process> _daemons = [];

    internal NetNamespace(string name) => Name = name;

    public string Name { get; }

    public Task<ProcessResult> ExecAsync(params string[] command)
        => ProcessRunner.RunAsync("ip", ["netns", "exec", Name, .. command], TimeSpan.FromSeconds(60));

    public async Task<string> CheckAsync(params string[] command)
        => (await ExecAsync(command).ConfigureAwait(false)).EnsureSuccess().StandardOutput;

    /// <summary>Starts a long-running process in the namespace; its output goes to <paramref name="logFile"/> when given.</summary>
    public Process Spawn(string tool, IEnumerable<string> arguments, string? logFile = null, IDictionary<string, string>? environment = null)
    {
        var psi = new ProcessStartInfo(ProcessRunner.Require("ip")) { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in (string[])["netns", "exec", Name, ProcessRunner.Require(tool), .. arguments]) psi.ArgumentList.Add(a);
        if (environment is not null) foreach (var (k, v) in environment) psi.Environment[k] = v;
        var process = Process.Start(psi) ?? throw new InvalidOperationException($"could not start {tool}");
        var writer = logFile is null ? null : TextWriter.Synchronized(new StreamWriter(logFile, append: true) { AutoFlush = true });
        process.OutputDataReceived += (_, e) => { if (e.Data is not null) writer?.WriteLine(e.Data); };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) writer?.WriteLine(e.Data); };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        lock (_daemons) _daemons.Add(process);
        return process;
    }

    /// <summary>Runs <paramref name="action"/> on a dedicated thread inside this namespace.</summary>
    public Task<T> RunInsideAsync<T>(Func<T> action) => RunInsideAsync(Name, action);

    /// <summary>Runs <paramref name="action"/> on a dedicated thread inside the named namespace (<c>/var/run/netns/NAME</c>), e.g. to open a socket there.</summary>
    public static Task<T> RunInsideAsync<T>(string name, Func<T> action)
    {
        var tcs = new TaskCompletionSource<T>(TaskCreationOptions.RunContinuationsAsynchronously);
        var thread = new Thread(() =>
        {
            try
            {
                using (var ns = File.OpenHandle($"/var/run/netns/{name}"))
                {
                    if (SetNs(ns.DangerousGetHandle().ToInt32(), CloneNewNet) != 0)
                        throw new InvalidOperationException($"setns({name}) failed: errno {Marshal.GetLastPInvokeError()}");
                }
                tcs.SetResult(action());
            }
            catch (Exception ex) { tcs.SetException(ex); }
        }) { IsBackground = true, Name = "netns:" + name };
        thread.Start();
        return tcs.Task;
    }

    private const int CloneNewNet = 0x40000000;

    [DllImport("libc", EntryPoint = "setns", SetLastError = true)]
    private static extern int SetNs(int fd, int nstype);

    public async ValueTask DisposeAsync()
    {
        List<Process> daemons;
        lock (_daemons) daemons = [.. _daemons];
        foreach (var p in daemons)
        {
            try { if (!p.HasExited) p.Kill(entireProcessTree: true); } catch (InvalidOperationException) { }
            try { await p.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(5)).ConfigureAwait(false); } catch (TimeoutException) { }
            p.Dispose();
        }
        // Anything else still inside (a daemon that forked itself into the background) is killed by PID.
        var pids = await ProcessRunner.RunAsync("ip", ["netns", "pids", Name], TimeSpan.FromSeconds(10)).ConfigureAwait(false);
        foreach (var line in pids.StandardOutput.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
            if (int.TryParse(line, out var pid)) await ProcessRunner.RunAsync("kill", ["-9", pid.ToString(System.Globalization.CultureInfo.InvariantCulture)], TimeSpan.FromSeconds(5)).ConfigureAwait(false);
        await ProcessRunner.RunAsync("ip", ["netns", "del", Name], TimeSpan.FromSeconds(10)).ConfigureAwait(false);
    }
}
