using System.Collections.Concurrent;
using System.Runtime.InteropServices;

namespace LoadBalancer.Speaker.DataPlane.Apply;

/// <summary>
/// One dedicated thread that runs work items in order, optionally inside another network namespace
/// (setns(2) on start). libnftables contexts and their netlink sockets are bound to the namespace of the thread
/// that uses them, and a child process inherits the namespace of the thread that forks it, so every nft call
/// goes through here. With no namespace path the thread stays where the process is (production).
/// </summary>
internal sealed class NamespaceThread : IDisposable
{
    private readonly BlockingCollection<Action> _work = new();
    private readonly Thread _thread;
    private readonly TaskCompletionSource _started = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public NamespaceThread(string name, string? netnsPath)
    {
        NetnsPath = netnsPath;
        _thread = new Thread(Run) { IsBackground = true, Name = name };
        _thread.Start();
        _started.Task.GetAwaiter().GetResult();
    }

    public string? NetnsPath { get; }

    private void Run()
    {
        try
        {
            if (NetnsPath is not null) Enter(NetnsPath);
            _started.SetResult();
        }
        catch (Exception ex)
        {
            _started.SetException(ex);
            return;
        }
        foreach (var item in _work.GetConsumingEnumerable()) item();
    }

    /// <summary>Moves the calling thread into the namespace at <paramref name="path"/> (e.g. /var/run/netns/x).</summary>
    public static void Enter(string path)
    {
        using var ns = File.OpenHandle(path);
        if (NftInterop.SetNs((int)ns.DangerousGetHandle(), NftInterop.CLONE_NEWNET) != 0)
            throw new InvalidOperationException($"setns({path}) failed: errno {Marshal.GetLastPInvokeError()}");
    }

    public Task<T> InvokeAsync<T>(Func<T> func)
    {
        var tcs = new TaskCompletionSource<T>(TaskCreationOptions.RunContinuationsAsynchronously);
        try
        {
            _work.Add(() =>
            {
                try { tcs.SetResult(func()); }
                catch (Exception ex) { tcs.SetException(ex); }
            });
        }
        catch (InvalidOperationException)
        {
            tcs.SetException(new ObjectDisposedException(nameof(NamespaceThread)));
        }
        return tcs.Task;
    }

    public void Dispose()
    {
        _work.CompleteAdding();
        if (Thread.CurrentThread != _thread) _thread.Join(TimeSpan.FromSeconds(10));
        _work.Dispose();
    }
}
