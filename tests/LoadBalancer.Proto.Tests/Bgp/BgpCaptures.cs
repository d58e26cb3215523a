using System.Runtime.CompilerServices;

namespace LoadBalancer.Proto.Tests.Bgp;

/// <summary>The real messages in testdata/bgp/captures.txt (see the header of that file for their source).</summary>
internal static class BgpCaptures
{
    private static readonly Lazy<IReadOnlyDictionary<string, byte[]>> s_all = new(Load);

    public static IReadOnlyDictionary<string, byte[]> All => s_all.Value;

    public static byte[] Get(string name) => All[name];

    public static IEnumerable<object[]> Names => All.Keys.Select(k => new object[] { k });

    private static Dictionary<string, byte[]> Load()
    {
        var path = Path.Combine(SourceDirectory(), "..", "testdata", "bgp", "captures.txt");
        var result = new Dictionary<string, byte[]>();
        foreach (var line in File.ReadAllLines(path))
        {
            if (line.StartsWith('#') || string.IsNullOrWhiteSpace(line)) continue;
            var parts = line.Split(' ', 2);
            result[parts[0]] = Convert.FromHexString(parts[1].Trim());
        }
        return result;
    }

    private static string SourceDirectory([CallerFilePath] string path = "") => Path.GetDirectoryName(path)!;
}
