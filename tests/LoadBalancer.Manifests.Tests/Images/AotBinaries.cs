using System.Diagnostics;
using System.Text;
using LoadBalancer.Manifests.Tests.Support;

namespace LoadBalancer.Manifests.Tests.Images;

/// <summary>The Native AOT executables scripts/publish-aot.sh writes (scripts/setup.sh runs it), as the images ship them.</summary>
internal static class AotBinaries
{
    public const string Rid = "linux-x64";

    public static string Directory(string name) => Repo.Path_("artifacts", "aot", Rid, name);

    /// <summary>The executable's path; fails naming the command that produces it when it is not there.</summary>
    public static string Require(string name, string executable)
    {
        var path = Path.Combine(Directory(name), executable);
        Assert.True(File.Exists(path), $"{path} is missing: publish the Native AOT binaries with `bash scripts/publish-aot.sh` (scripts/setup.sh does; needs clang and zlib1g-dev)");
        return path;
    }

    /// <summary>A long-running process with its output kept for the failure message; killed (by its own PID) on dispose.</summary>
    public sealed class Daemon : IAsyncDisposable
    {
        private readonly StringBuilder _log = new();

        public Daemon(Process process)
        {
            Process = process;
            process.OutputDataReceived += (_, e) => { if (e.Data is not null) lock (_log) _log.AppendLine(e.Data); };
            process.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (_log) _log.AppendLine(e.Data); };
            process.BeginOutputReadLine();
            process.BeginErrorReadLine();
        }

        public Process Process { get; }

        public static Daemon Start(string file, IEnumerable<string> arguments)
        {
            var psi = new ProcessStartInfo(file) { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
            foreach (var a in arguments) psi.ArgumentList.Add(a);
            return new Daemon(Process.Start(psi) ?? throw new InvalidOperationException("could not start " + file));
        }

        public string Tail(int lines = 25)
        {
            lock (_log) return string.Join('\n', _log.ToString().Split('\n').TakeLast(lines));
        }

        public async ValueTask DisposeAsync()
        {
            try
            {
                if (!Process.HasExited)
                {
                    Process.Kill(entireProcessTree: true);
                    await Process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(10)).ConfigureAwait(false);
                }
            }
            catch (InvalidOperationException)
            {
            }
            catch (TimeoutException)
            {
            }
            Process.Dispose();
        }
    }
}
