namespace LoadBalancer.Controller.Allocation;

/// <summary>
/// The free addresses of one pool and one family as disjoint inclusive intervals keyed by start. Taking, releasing and
/// finding the lowest free address cost O(log intervals), independent of the pool size (a /64 is one interval).
/// </summary>
internal sealed class FreeRangeSet
{
    private readonly OrderedTree<UInt128> _free = new(); // start -> end

    public UInt128 FreeCount { get; private set; }

    public int IntervalCount => _free.Count;

    /// <summary>Adds a range; ranges given to one set never overlap (ConfigBuilder rejects overlaps).</summary>
    public void AddRange(UInt128 start, UInt128 end) => Release(start, end);

    public bool IsFree(UInt128 ip) => _free.TryFloor(ip, out _, out var end) && end >= ip;

    /// <summary>Marks one address used. Returns false when it was not free.</summary>
    public bool Take(UInt128 ip)
    {
        if (!_free.TryFloor(ip, out var start, out var end) || end < ip) return false;
        if (start == ip)
        {
            _free.Remove(start);
            if (end != ip) _free.Set(ip + 1, end);
        }
        else
        {
            _free.Set(start, ip - 1);
            if (end != ip) _free.Set(ip + 1, end);
        }
        FreeCount--;
        return true;
    }

    /// <summary>Marks one address free again. Returns false when it was already free.</summary>
    public bool Release(UInt128 ip) => Release(ip, ip);

    private bool Release(UInt128 start, UInt128 end)
    {
        if (IsFree(start)) return false;
        var newStart = start;
        var newEnd = end;
        if (start > 0 && _free.TryFloor(start - 1, out var ls, out var le) && le == start - 1)
        {
            newStart = ls;
            _free.Remove(ls);
        }
        if (end < UInt128.MaxValue && _free.TryGet(end + 1, out var re))
        {
            newEnd = re;
            _free.Remove(end + 1);
        }
        _free.Set(newStart, newEnd);
        var added = end - start;
        FreeCount = added == UInt128.MaxValue || UInt128.MaxValue - FreeCount <= added ? UInt128.MaxValue : FreeCount + added + 1;
        return true;
    }

    /// <summary>
    /// The lowest free address in [from, to], skipping IPv4 .0/.255 when <paramref name="avoidBuggy"/>. A bounded
    /// number of steps per interval: at most two buggy addresses are adjacent.
    /// </summary>
    public bool TryFindFirst(UInt128 from, UInt128 to, bool avoidBuggy, out UInt128 ip)
    {
        ip = default;
        UInt128 start, end;
        if (_free.TryFloor(from, out var fs, out var fe) && fe >= from) (start, end) = (from, fe);
        else if (_free.TryCeiling(from, out var cs, out var ce)) (start, end) = (cs, ce);
        else return false;
        while (start <= to)
        {
            var last = end < to ? end : to;
            var candidate = start;
            while (avoidBuggy && candidate <= last && IsBuggy(candidate))
            {
                if (candidate == last) break;
                candidate++;
            }
            if (candidate <= last && !(avoidBuggy && IsBuggy(candidate)))
            {
                ip = candidate;
                return true;
            }
            if (end >= to || end == UInt128.MaxValue) return false;
            if (!_free.TryCeiling(end + 1, out start, out end)) return false;
        }
        return false;
    }

    private static bool IsBuggy(UInt128 v) => (byte)v is 0 or 255;

    /// <summary>The free intervals in order (tests).</summary>
    public IEnumerable<(UInt128 Start, UInt128 End)> Intervals() => _free.InOrder().Select(kv => (kv.Key, kv.Value));
}
