using System.Runtime.InteropServices;

namespace LoadBalancer.Speaker.Interop;

internal static partial class Interop
{
    internal static partial class Libc
    {
        /// <summary>bind(2) with a raw sockaddr, for families the managed Socket does not know (sockaddr_nl).</summary>
        [LibraryImport(Libraries.Libc, EntryPoint = "bind", SetLastError = true)]
        internal static partial int Bind(SafeHandle fd, ReadOnlySpan<byte> address, int addressLength);
    }
}
