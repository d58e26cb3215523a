using System.Runtime.InteropServices;

namespace LoadBalancer.Speaker.DataPlane.Apply;

/// <summary>P/Invoke declarations: libnftables (nftables/libnftables.h, libnftables1 on Debian) and setns(2).</summary>
internal static partial class NftInterop
{
    public const string LibNftables = "libnftables.so.1";
    private const string Libc = "libc";

    /// <summary>libnftables.h: NFT_CTX_DEFAULT.</summary>
    public const uint NFT_CTX_DEFAULT = 0;

    /// <summary>libnftables.h: enum nft_output_flags NFT_CTX_OUTPUT_JSON.</summary>
    public const uint NFT_CTX_OUTPUT_JSON = 1 << 4;

    /// <summary>sched.h: CLONE_NEWNET.</summary>
    public const int CLONE_NEWNET = 0x40000000;

    [LibraryImport(LibNftables, EntryPoint = "nft_ctx_new")]
    public static partial nint NftCtxNew(uint flags);

    [LibraryImport(LibNftables, EntryPoint = "nft_ctx_free")]
    public static partial void NftCtxFree(nint ctx);

    [LibraryImport(LibNftables, EntryPoint = "nft_ctx_buffer_output")]
    public static partial int NftCtxBufferOutput(nint ctx);

    [LibraryImport(LibNftables, EntryPoint = "nft_ctx_buffer_error")]
    public static partial int NftCtxBufferError(nint ctx);

    [LibraryImport(LibNftables, EntryPoint = "nft_ctx_get_output_buffer")]
    public static partial nint NftCtxGetOutputBuffer(nint ctx);

    [LibraryImport(LibNftables, EntryPoint = "nft_ctx_get_error_buffer")]
    public static partial nint NftCtxGetErrorBuffer(nint ctx);

    [LibraryImport(LibNftables, EntryPoint = "nft_ctx_output_get_flags")]
    public static partial uint NftCtxOutputGetFlags(nint ctx);

    [LibraryImport(LibNftables, EntryPoint = "nft_ctx_output_set_flags")]
    public static partial void NftCtxOutputSetFlags(nint ctx, uint flags);

    [LibraryImport(LibNftables, EntryPoint = "nft_run_cmd_from_buffer", StringMarshalling = StringMarshalling.Utf8)]
    public static partial int NftRunCmdFromBuffer(nint ctx, string buffer);

    [LibraryImport(Libc, EntryPoint = "setns", SetLastError = true)]
    public static partial int SetNs(int fd, int nstype);
}
