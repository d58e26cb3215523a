using System.Runtime.InteropServices;

namespace LoadBalancer.Speaker.DataPlane.Apply;

/// <summary>
/// In-process libnftables (libnftables.so.1) through P/Invoke: one context, reused, so there is no process per
/// change and nft's cache is not rebuilt from a fresh process each time. All calls run on one
/// <see cref="NamespaceThread"/> (the context is not thread-safe, and its netlink socket belongs to that thread's namespace).
/// </summary>
internal sealed class LibNftablesExecutor : INftExecutor
{
    private readonly NamespaceThread _thread;
    private nint _ctx;

    private LibNftablesExecutor(NamespaceThread thread, nint ctx)
    {
        _thread = thread;
        _ctx = ctx;
    }

    public string Name => "libnftables";

    /// <summary>True when libnftables.so.1 can be loaded on this machine.</summary>
    public static bool IsAvailable()
    {
        if (!NativeLibrary.TryLoad(NftInterop.LibNftables, out var handle)) return false;
        NativeLibrary.Free(handle);
        return true;
    }

    public static LibNftablesExecutor Create(string? netnsPath)
    {
        var thread = new NamespaceThread("nft", netnsPath);
        try
        {
            var ctx = thread.InvokeAsync(() =>
            {
                var c = NftInterop.NftCtxNew(NftInterop.NFT_CTX_DEFAULT);
                if (c == 0) throw new InvalidOperationException("nft_ctx_new returned NULL");
                if (NftInterop.NftCtxBufferOutput(c) != 0 || NftInterop.NftCtxBufferError(c) != 0)
                {
                    NftInterop.NftCtxFree(c);
                    throw new InvalidOperationException("libnftables could not buffer its output");
                }
                return c;
            }).GetAwaiter().GetResult();
            return new LibNftablesExecutor(thread, ctx);
        }
        catch
        {
            thread.Dispose();
            throw;
        }
    }

    public Task<NftResult> RunAsync(string commands, bool json = false) => _thread.InvokeAsync(() =>
    {
        ObjectDisposedException.ThrowIf(_ctx == 0, this);
        var flags = NftInterop.NftCtxOutputGetFlags(_ctx);
        NftInterop.NftCtxOutputSetFlags(_ctx, json ? flags | NftInterop.NFT_CTX_OUTPUT_JSON : flags & ~NftInterop.NFT_CTX_OUTPUT_JSON);
        var rc = NftInterop.NftRunCmdFromBuffer(_ctx, commands);
        var output = Marshal.PtrToStringUTF8(NftInterop.NftCtxGetOutputBuffer(_ctx)) ?? "";
        var error = Marshal.PtrToStringUTF8(NftInterop.NftCtxGetErrorBuffer(_ctx)) ?? "";
        return new NftResult(rc == 0, output, error);
    });

    public void Dispose()
    {
        if (_ctx != 0)
        {
            var ctx = _ctx;
            _ctx = 0;
            try { _thread.InvokeAsync(() => { NftInterop.NftCtxFree(ctx); return 0; }).Wait(TimeSpan.FromSeconds(10)); }
            catch (AggregateException) { }
        }
        _thread.Dispose();
    }
}
