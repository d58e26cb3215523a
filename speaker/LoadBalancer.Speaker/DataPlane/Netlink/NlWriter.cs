using System.Buffers.Binary;
using System.Text;

namespace LoadBalancer.Speaker.DataPlane.Netlink;

/// <summary>
/// Writes netlink messages and attributes into a caller's buffer, allocation-free (linux/netlink.h):
/// <code>
/// nlmsghdr { u32 len; u16 type; u16 flags; u32 seq; u32 pid; }   host byte order
/// nfgenmsg { u8 family; u8 version; be16 res_id; }               nfnetlink's header after it
/// nlattr   { u16 len; u16 type; data; }                           padded to 4; type | 0x8000 when nested
/// </code>
/// Never throws: when the buffer is too small, <see cref="Ok"/> turns false and later writes are ignored
/// (grow the buffer and write again).
/// </summary>
internal ref struct NlWriter
{
    private const ushort NlaFNested = 0x8000;
    private readonly Span<byte> _buffer;
    private int _position;

    public NlWriter(Span<byte> buffer)
    {
        _buffer = buffer;
        _position = 0;
        Ok = true;
    }

    /// <summary>False once something did not fit.</summary>
    public bool Ok { get; private set; }

    public readonly int Length => _position;

    private Span<byte> Take(int length)
    {
        var padded = (length + 3) & ~3;
        if (!Ok || _position + padded > _buffer.Length)
        {
            Ok = false;
            return default;
        }
        var span = _buffer.Slice(_position, padded);
        span.Clear();
        _position += padded;
        return span[..length];
    }

    /// <summary>Starts a message with its nfgenmsg; returns the start to give to <see cref="End"/>.</summary>
    public int BeginMessage(ushort type, ushort flags, uint sequence, byte family, ushort resourceId)
    {
        var start = _position;
        var h = Take(20);
        if (!Ok) return start;
        BinaryPrimitives.WriteUInt16LittleEndian(h[4..], type);
        BinaryPrimitives.WriteUInt16LittleEndian(h[6..], flags);
        BinaryPrimitives.WriteUInt32LittleEndian(h[8..], sequence);
        h[16] = family;
        BinaryPrimitives.WriteUInt16BigEndian(h[18..], resourceId);
        return start;
    }

    /// <summary>Ends a message started at <paramref name="start"/>: writes its length.</summary>
    public void EndMessage(int start)
    {
        if (Ok) BinaryPrimitives.WriteUInt32LittleEndian(_buffer[start..], (uint)(_position - start));
    }

    public int BeginNested(ushort type)
    {
        var start = _position;
        var h = Take(4);
        if (Ok) BinaryPrimitives.WriteUInt16LittleEndian(h[2..], (ushort)(type | NlaFNested));
        return start;
    }

    public void EndNested(int start)
    {
        if (Ok) BinaryPrimitives.WriteUInt16LittleEndian(_buffer[start..], (ushort)(_position - start));
    }

    public void Bytes(ushort type, scoped ReadOnlySpan<byte> data)
    {
        var a = Take(4 + data.Length);
        if (!Ok) return;
        BinaryPrimitives.WriteUInt16LittleEndian(a, (ushort)(4 + data.Length));
        BinaryPrimitives.WriteUInt16LittleEndian(a[2..], type);
        data.CopyTo(a[4..]);
    }

    public void U32(ushort type, uint value)
    {
        Span<byte> b = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(b, value);
        Bytes(type, b);
    }

    public void U64(ushort type, ulong value)
    {
        Span<byte> b = stackalloc byte[8];
        BinaryPrimitives.WriteUInt64BigEndian(b, value);
        Bytes(type, b);
    }

    /// <summary>A NUL-terminated string attribute.</summary>
    public void String(ushort type, string value)
    {
        var n = Encoding.UTF8.GetByteCount(value);
        var a = Take(4 + n + 1);
        if (!Ok) return;
        BinaryPrimitives.WriteUInt16LittleEndian(a, (ushort)(4 + n + 1));
        BinaryPrimitives.WriteUInt16LittleEndian(a[2..], type);
        Encoding.UTF8.GetBytes(value, a[4..]);
    }
}
