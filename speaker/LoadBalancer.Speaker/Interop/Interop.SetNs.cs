using System.Runtime.InteropServices;

namespace LoadBalancer.Speaker.Interop;

internal static partial class Interop
{
    internal static partial class Libc
    {
        /// <summary>setns(2): moves the calling thread into the namespace behind <paramref name="fd"/>.</summary>
        [LibraryImport(Libraries.Libc, EntryPoint = "setns", SetLastError = true)]
        internal static partial int SetNs(int fd, int nsType);
    }
}
