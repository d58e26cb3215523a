using System.Globalization;
using System.Text;
using LoadBalancer.TestKit.Net;

namespace LoadBalancer.Sandbox;

/// <summary>Runs the tools the sandbox drives (ip, sysctl, kubectl, birdc...) and starts detached daemons with a pid file.</summary>
internal static class Shell
{
    public static async Task<string> Run(string tool, params string[] args)
        => (await ProcessRunner.RunAsync(tool, args, TimeSpan.FromSeconds(60)).ConfigureAwait(false)).EnsureSuccess().StandardOutput;

    public static Task<ProcessResult> TryRun(string tool, params string[] args)
        => ProcessRunner.RunAsync(tool, args, TimeSpan.FromSeconds(60));

    // The tool inside the namespace is resolved here (sbin included), not by `ip netns exec` from PATH: `sudo` or
    // `su` without `-` often leaves /usr/sbin out of PATH, where sysctl, ip and bird live.
    public static Task<string> InNs(string ns, params string[] command) => Run("ip", ["netns", "exec", ns, ProcessRunner.Require(command[0]), .. command[1..]]);

    public static Task<ProcessResult> TryInNs(string ns, TimeSpan timeout, params string[] command)
        => ProcessRunner.RunAsync("ip", ["netns", "exec", ns, ProcessRunner.Require(command[0]), .. command[1..]], timeout);

    /// <summary>
    /// Starts <paramref name="command"/> (inside <paramref name="ns"/> when given) in its own session, so it
    /// outlives this process, with output appended to <paramref name="log"/>. The daemon's PID (the same
    /// process after <c>exec</c>) is written to <paramref name="pidFile"/> and returned.
    /// </summary>
    public static async Task<int> StartDaemon(string? ns, IReadOnlyList<string> command, string pidFile, string log,
        IReadOnlyDictionary<string, string>? environment = null)
    {
        File.Delete(pidFile);
        var argv = new List<string>();
        if (ns is not null) argv.AddRange([ProcessRunner.Require("ip"), "netns", "exec", ns]);
        if (environment is { Count: > 0 })
        {
            argv.Add("env");
            argv.AddRange(environment.Select(kv => kv.Key + "=" + kv.Value));
        }
        argv.AddRange(command);
        var script = new StringBuilder("echo $$ > ").Append(Quote(pidFile)).Append("; exec");
        foreach (var a in argv) script.Append(' ').Append(Quote(a));
        script.Append(" >>").Append(Quote(log)).Append(" 2>&1 </dev/null");
        await Run("setsid", "-f", "sh", "-c", script.ToString()).ConfigureAwait(false);
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (DateTime.UtcNow < deadline)
        {
            if (File.Exists(pidFile) && int.TryParse((await File.ReadAllTextAsync(pidFile).ConfigureAwait(false)).Trim(), out var pid)) return pid;
            await Task.Delay(50).ConfigureAwait(false);
        }
        throw new InvalidOperationException($"{command[0]} did not start (no pid file {pidFile}); see {log}");
    }

    public static bool IsAlive(int pid) => Directory.Exists("/proc/" + pid.ToString(CultureInfo.InvariantCulture));

    /// <summary>SIGTERM, then SIGKILL after <paramref name="grace"/>, by PID.</summary>
    public static async Task Stop(int pid, TimeSpan grace)
    {
        if (!IsAlive(pid)) return;
        var id = pid.ToString(CultureInfo.InvariantCulture);
        await TryRun("kill", "-TERM", id).ConfigureAwait(false);
        var deadline = DateTime.UtcNow + grace;
        while (DateTime.UtcNow < deadline && IsAlive(pid) && !IsZombie(pid)) await Task.Delay(50).ConfigureAwait(false);
        if (IsAlive(pid)) await TryRun("kill", "-KILL", id).ConfigureAwait(false);
    }

    public static bool IsZombie(int pid)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            var close = stat.LastIndexOf(')');
            return close > 0 && close + 2 < stat.Length && stat[close + 2] == 'Z';
        }
        catch (IOException) { return false; }
    }

    public static string Quote(string s) => "'" + s.Replace("'", "'\\''", StringComparison.Ordinal) + "'";
}
