namespace LoadBalancer.Controller.Allocation;

/// <summary>
/// An ordered map keyed by <see cref="UInt128"/> (a treap): insert, remove, floor and ceiling in O(log n) expected.
/// Priorities come from a fixed-seed generator, so the shape (and every result) is deterministic.
/// </summary>
internal sealed class OrderedTree<TValue>
{
    private sealed class Node(UInt128 key, TValue value, uint priority)
    {
        public readonly UInt128 Key = key;
        public TValue Value = value;
        public readonly uint Priority = priority;
        public Node? Left;
        public Node? Right;
    }

    private Node? _root;
    private uint _seed = 2463534242;

    public int Count { get; private set; }

    private uint NextPriority()
    {
        var x = _seed;
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        _seed = x;
        return x;
    }

    /// <summary>The entry with the greatest key &lt;= <paramref name="key"/>.</summary>
    public bool TryFloor(UInt128 key, out UInt128 foundKey, out TValue value)
    {
        Node? best = null;
        var n = _root;
        while (n is not null)
        {
            if (n.Key == key) { best = n; break; }
            if (n.Key < key) { best = n; n = n.Right; }
            else n = n.Left;
        }
        return Result(best, out foundKey, out value);
    }

    /// <summary>The entry with the least key &gt;= <paramref name="key"/>.</summary>
    public bool TryCeiling(UInt128 key, out UInt128 foundKey, out TValue value)
    {
        Node? best = null;
        var n = _root;
        while (n is not null)
        {
            if (n.Key == key) { best = n; break; }
            if (n.Key > key) { best = n; n = n.Left; }
            else n = n.Right;
        }
        return Result(best, out foundKey, out value);
    }

    private static bool Result(Node? n, out UInt128 key, out TValue value)
    {
        if (n is null)
        {
            key = default;
            value = default!;
            return false;
        }
        key = n.Key;
        value = n.Value;
        return true;
    }

    public bool TryGet(UInt128 key, out TValue value)
    {
        var n = Find(key);
        value = n is null ? default! : n.Value;
        return n is not null;
    }

    private Node? Find(UInt128 key)
    {
        var n = _root;
        while (n is not null && n.Key != key) n = key < n.Key ? n.Left : n.Right;
        return n;
    }

    /// <summary>Inserts or replaces.</summary>
    public void Set(UInt128 key, TValue value)
    {
        if (Find(key) is { } existing)
        {
            existing.Value = value;
            return;
        }
        Split(_root, key, out var left, out var right);
        _root = Merge(Merge(left, new Node(key, value, NextPriority())), right);
        Count++;
    }

    public bool Remove(UInt128 key)
    {
        ref var slot = ref _root;
        // Walk with a ref to the parent's link so the removed node is replaced in place.
        while (slot is not null && slot.Key != key) slot = ref (key < slot.Key ? ref slot.Left : ref slot.Right);
        if (slot is null) return false;
        slot = Merge(slot.Left, slot.Right);
        Count--;
        return true;
    }

    public void Clear()
    {
        _root = null;
        Count = 0;
    }

    /// <summary>Entries in key order (for tests and diagnostics).</summary>
    public IEnumerable<KeyValuePair<UInt128, TValue>> InOrder()
    {
        var stack = new Stack<Node>();
        var n = _root;
        while (stack.Count > 0 || n is not null)
        {
            while (n is not null) { stack.Push(n); n = n.Left; }
            n = stack.Pop();
            yield return new(n.Key, n.Value);
            n = n.Right;
        }
    }

    /// <summary>Splits into keys &lt; key and keys &gt;= key.</summary>
    private static void Split(Node? n, UInt128 key, out Node? left, out Node? right)
    {
        if (n is null) { left = right = null; return; }
        if (n.Key < key)
        {
            Split(n.Right, key, out var l, out right);
            n.Right = l;
            left = n;
        }
        else
        {
            Split(n.Left, key, out left, out var r);
            n.Left = r;
            right = n;
        }
    }

    private static Node? Merge(Node? a, Node? b)
    {
        if (a is null) return b;
        if (b is null) return a;
        if (a.Priority > b.Priority)
        {
            a.Right = Merge(a.Right, b);
            return a;
        }
        b.Left = Merge(a, b.Left);
        return b;
    }
}
