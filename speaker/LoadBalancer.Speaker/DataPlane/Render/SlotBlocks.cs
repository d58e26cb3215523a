using System.Collections.Immutable;

namespace LoadBalancer.Speaker.DataPlane.Render;

/// <summary>
/// Which block of the global <c>pick</c> map each endpoint-choice chain owns. A chain's slots are
/// <c>[block * BlockSize, block * BlockSize + n)</c>; <c>numgen random mod n offset base</c> or
/// <c>jhash ... mod M offset base</c> then index one map for the whole table, so no Service needs a set of its own
/// (per-service anonymous sets cost O(N^2) to load, see docs/dataplane.md). Blocks are stable across renders,
/// so a change to one Service never moves another Service's elements. Immutable.
/// </summary>
internal sealed class SlotBlocks
{
    public const int BlockBits = 12;
    public const int BlockSize = 1 << BlockBits;
    public const int MaxBlocks = 1 << (31 - BlockBits);

    public static readonly SlotBlocks Empty = new(ImmutableDictionary<string, int>.Empty.WithComparers(StringComparer.Ordinal), [], 0);

    private SlotBlocks(ImmutableDictionary<string, int> assigned, ImmutableSortedSet<int> free, int next)
    {
        Assigned = assigned;
        Free = free;
        Next = next;
    }

    public ImmutableDictionary<string, int> Assigned { get; }
    private ImmutableSortedSet<int> Free { get; }
    private int Next { get; }

    /// <summary>Keeps the blocks of <paramref name="used"/> keys that already had one, gives new keys the lowest free block, frees the rest.</summary>
    public SlotBlocks Reassign(IEnumerable<string> used, out IReadOnlyList<string> exhausted)
    {
        var usedSet = used as IReadOnlySet<string> ?? used.ToHashSet(StringComparer.Ordinal);
        var assigned = Assigned.ToBuilder();
        var free = Free.ToBuilder();
        var next = Next;
        foreach (var (key, block) in Assigned)
        {
            if (usedSet.Contains(key)) continue;
            assigned.Remove(key);
            free.Add(block);
        }
        var full = new List<string>();
        foreach (var key in usedSet.Order(StringComparer.Ordinal))
        {
            if (assigned.ContainsKey(key)) continue;
            if (free.Count > 0)
            {
                var b = free.Min;
                free.Remove(b);
                assigned[key] = b;
            }
            else if (next < MaxBlocks) assigned[key] = next++;
            else full.Add(key);
        }
        exhausted = full;
        return new SlotBlocks(assigned.ToImmutable(), free.ToImmutable(), next);
    }

    public int BaseOf(string key) => Assigned[key] * BlockSize;
}
