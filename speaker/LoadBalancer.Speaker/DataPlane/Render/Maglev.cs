using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;

namespace LoadBalancer.Speaker.DataPlane.Render;

/// <summary>
/// Maglev consistent hashing (Eisenbud et al., NSDI'16 §3.4): each backend gets a permutation of the M slots from
/// two hashes of its name (offset, skip) and the backends claim slots in turn until the table is full. Removing
/// or adding one backend moves only about 1/N of the slots (M &gt; 100·N keeps the extra disruption under ~1%).
/// The table depends only on the backend names, never on their order, so every node computes the same table.
/// </summary>
internal static class Maglev
{
    /// <summary>Prime table sizes (Cilium's list, capped so a table fits one slot block).</summary>
    public static readonly int[] Sizes = [251, 509, 1021, 2039, 4093];

    /// <summary>The smallest size with at least 100 slots per backend, or the largest.</summary>
    public static int TableSize(int backends)
    {
        foreach (var s in Sizes) if (s >= 100 * backends) return s;
        return Sizes[^1];
    }

    /// <summary>Returns, for each of the <paramref name="size"/> slots, the index into <paramref name="backends"/>.</summary>
    public static int[] Build(IReadOnlyList<string> backends, int size)
    {
        ArgumentOutOfRangeException.ThrowIfZero(backends.Count);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(backends.Count, size);
        // Work in name order so the result does not depend on input order; map back at the end.
        var order = Enumerable.Range(0, backends.Count).OrderBy(i => backends[i], StringComparer.Ordinal).ToArray();
        var offset = new long[order.Length];
        var skip = new long[order.Length];
        Span<byte> hash = stackalloc byte[32];
        for (var k = 0; k < order.Length; k++)
        {
            SHA256.HashData(Encoding.UTF8.GetBytes(backends[order[k]]), hash);
            offset[k] = (long)(BinaryPrimitives.ReadUInt64LittleEndian(hash) % (ulong)size);
            skip[k] = (long)(BinaryPrimitives.ReadUInt64LittleEndian(hash[8..]) % (ulong)(size - 1)) + 1;
        }
        var next = new long[order.Length];
        var table = new int[size];
        Array.Fill(table, -1);
        var filled = 0;
        while (true)
        {
            for (var k = 0; k < order.Length; k++)
            {
                var c = (offset[k] + next[k] * skip[k]) % size;
                while (table[c] >= 0)
                {
                    next[k]++;
                    c = (offset[k] + next[k] * skip[k]) % size;
                }
                table[c] = order[k];
                next[k]++;
                if (++filled == size) return table;
            }
        }
    }
}
