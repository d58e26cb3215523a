using System.ComponentModel;
using System.Runtime.InteropServices;

namespace LoadBalancer.Speaker.Interop;

/// <summary>
/// Runs code inside a network namespace (a path such as <c>/var/run/netns/x</c> or <c>/proc/PID/ns/net</c>) on a
/// short-lived thread that called setns(2); sockets opened there stay in that namespace. With a null path the
/// code runs inline, in the process's namespace. The speaker itself runs with hostNetwork and needs no path;
/// tests use it to run several speakers' back ends in one process.
/// </summary>
internal static class NetworkNamespace
{
    public static T Run<T>(string? path, Func<T> action)
    {
        if (string.IsNullOrEmpty(path)) return action();
        T result = default!;
        Exception? error = null;
        var thread = new Thread(() =>
        {
            try
            {
                using (var handle = File.OpenHandle(path))
                {
                    if (Interop.Libc.SetNs((int)handle.DangerousGetHandle(), Interop.Linux.CLONE_NEWNET) != 0)
                        throw new Win32Exception(Marshal.GetLastPInvokeError(), $"setns({path})");
                }
                result = action();
            }
            catch (Exception ex)
            {
                error = ex;
            }
        }) { IsBackground = true, Name = "netns" };
        thread.Start();
        thread.Join();
        if (error is not null) throw new InvalidOperationException($"in network namespace {path}: {error.Message}", error);
        return result;
    }

    /// <summary>if_nametoindex(3) in the given namespace; 0 when the interface does not exist.</summary>
    public static int IndexOf(string? path, string interfaceName) => Run(path, () => (int)Interop.Libc.IfNameToIndex(interfaceName));
}
