using System.Runtime.InteropServices;

namespace LoadBalancer.Speaker.Interop;

internal static partial class Interop
{
    internal static partial class Libc
    {
        /// <summary>socket(2), for families the managed Socket cannot create (AF_NETLINK).</summary>
        [LibraryImport(Libraries.Libc, EntryPoint = "socket", SetLastError = true)]
        internal static partial int Socket(int domain, int type, int protocol);

        [LibraryImport(Libraries.Libc, EntryPoint = "close", SetLastError = true)]
        internal static partial int Close(int fd);
    }
}
