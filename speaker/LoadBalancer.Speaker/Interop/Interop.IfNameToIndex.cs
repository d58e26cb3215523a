using System.Runtime.InteropServices;

namespace LoadBalancer.Speaker.Interop;

internal static partial class Interop
{
    internal static partial class Libc
    {
        /// <summary>if_nametoindex(3): 0 when there is no such interface (in the calling thread's network namespace).</summary>
        [LibraryImport(Libraries.Libc, EntryPoint = "if_nametoindex", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
        internal static partial uint IfNameToIndex(string name);
    }
}
