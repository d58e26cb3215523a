using System.Runtime.CompilerServices;

namespace LoadBalancer.Proto.Tests.Ethernet;

/// <summary>Hex frames captured from real tools (see Fixtures/README.md), read from the source tree.</summary>
internal static class L2Fixtures
{
    public static byte[] Load(string name) => Convert.FromHexString(File.ReadAllText(Path.Combine(Directory(), "Fixtures", name + ".hex")).Trim());

    private static string Directory([CallerFilePath] string path = "") => Path.GetDirectoryName(path)!;
}
