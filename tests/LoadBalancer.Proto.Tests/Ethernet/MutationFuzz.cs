using System.Globalization;

namespace LoadBalancer.Proto.Tests.Ethernet;

/// <summary>
/// Seeded mutation fuzzing without packages: flips, inserts and deletes bytes of golden inputs and hands each
/// mutant to <paramref name="check"/>. Iterations: 5,000 per call by default, <c>LB_FUZZ_ITERATIONS</c> raises it.
/// A failure names the seed, iteration and input hex.
/// </summary>
internal static class MutationFuzz
{
    public static int Iterations => int.TryParse(Environment.GetEnvironmentVariable("LB_FUZZ_ITERATIONS"), NumberStyles.Integer, CultureInfo.InvariantCulture, out var n) && n > 0 ? n : 5000;

    public static void Run(int seed, IReadOnlyList<byte[]> seeds, Action<byte[]> check)
    {
        var random = new Random(seed);
        for (var i = 0; i < Iterations; i++)
        {
            var input = Mutate(random, seeds[random.Next(seeds.Count)]);
            try
            {
                check(input);
            }
            catch (Exception ex)
            {
                throw new InvalidOperationException($"fuzz failure: seed {seed}, iteration {i}, input {Convert.ToHexString(input)}: {ex.Message}", ex);
            }
        }
    }

    private static byte[] Mutate(Random random, byte[] original)
    {
        var bytes = new List<byte>(original);
        var edits = random.Next(1, 5);
        for (var e = 0; e < edits; e++)
        {
            switch (random.Next(4))
            {
                case 0 when bytes.Count > 0:
                    var i = random.Next(bytes.Count);
                    bytes[i] ^= (byte)(1 << random.Next(8));
                    break;
                case 1 when bytes.Count > 0:
                    bytes[random.Next(bytes.Count)] = (byte)random.Next(256);
                    break;
                case 2:
                    bytes.Insert(random.Next(bytes.Count + 1), (byte)random.Next(256));
                    break;
                case 3 when bytes.Count > 0:
                    bytes.RemoveAt(random.Next(bytes.Count));
                    break;
            }
        }
        if (random.Next(8) == 0 && bytes.Count > 0)
        {
            var cut = random.Next(bytes.Count);
            bytes.RemoveRange(cut, bytes.Count - cut);
        }
        return [.. bytes];
    }
}
