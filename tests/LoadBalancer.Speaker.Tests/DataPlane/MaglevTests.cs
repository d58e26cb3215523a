using LoadBalancer.Speaker.DataPlane.Render;

namespace LoadBalancer.Speaker.Tests.DataPlane;

public class MaglevTests
{
    private static string[] Backends(Random rng, int n) => [.. Enumerable.Range(0, n).Select(_ => $"10.{rng.Next(256)}.{rng.Next(256)}.{rng.Next(1, 255)}/{rng.Next(1024, 65535)}").Distinct()];

    [Fact]
    public void RemovingOrAddingOneBackend_KeepsAlmostEveryOtherFlowOnItsBackend()
    {
        var rng = new Random(20261122);
        for (var round = 0; round < 200; round++)
        {
            var names = Backends(rng, rng.Next(2, 40));
            var size = Maglev.TableSize(names.Length);
            var before = Maglev.Build(names, size);
            var removed = rng.Next(names.Length);
            var fewer = names.Where((_, i) => i != removed).ToArray();
            var after = Maglev.Build(fewer, size);
            // Slots that were on a surviving backend and moved anyway: Maglev keeps these small (paper: ~1-2% at M ≈ 100 N).
            var moved = 0;
            var survivors = 0;
            for (var slot = 0; slot < size; slot++)
            {
                if (before[slot] == removed) continue;
                survivors++;
                if (names[before[slot]] != fewer[after[slot]]) moved++;
            }
            Assert.True(moved <= survivors * 0.06, $"round {round}: {names.Length} backends, {moved} of {survivors} surviving slots moved");
        }
    }

    [Fact]
    public void Table_IsBalanced_AndIndependentOfBackendOrder()
    {
        var rng = new Random(7);
        for (var round = 0; round < 50; round++)
        {
            var names = Backends(rng, rng.Next(1, 40));
            var size = Maglev.TableSize(names.Length);
            var table = Maglev.Build(names, size);
            var counts = table.GroupBy(i => i).Select(g => g.Count()).ToList();
            Assert.Equal(names.Length, counts.Count);
            Assert.True(counts.Max() - counts.Min() <= Math.Max(2, size / names.Length / 10), $"unbalanced: {string.Join(',', counts)}");
            var shuffled = names.OrderBy(_ => rng.Next()).ToArray();
            var other = Maglev.Build(shuffled, size);
            for (var slot = 0; slot < size; slot++) Assert.Equal(names[table[slot]], shuffled[other[slot]]);
        }
    }

    [Theory]
    [InlineData(1, 251)]
    [InlineData(2, 251)]
    [InlineData(3, 509)]
    [InlineData(20, 2039)]
    [InlineData(41, 4093)]
    [InlineData(1000, 4093)]
    public void TableSize_IsPrimeAtLeastHundredPerBackend_Capped(int backends, int expected) => Assert.Equal(expected, Maglev.TableSize(backends));
}
