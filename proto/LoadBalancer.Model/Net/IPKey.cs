using System.Buffers.Binary;
using System.Diagnostics.CodeAnalysis;
using System.Net;
using System.Net.Sockets;

namespace LoadBalancer.Model.Net;

/// <summary>
/// An IP address as a number: the family and a <see cref="UInt128"/> (IPv4 uses the low 32 bits). Ordered IPv4 first,
/// then numerically, so sorted collections of addresses need no allocation per comparison.
/// </summary>
public readonly record struct IPKey(IPFamily Family, UInt128 Value) : IComparable<IPKey>
{
    public static IPKey FromAddress(IPAddress address)
    {
        ArgumentNullException.ThrowIfNull(address);
        Span<byte> bytes = stackalloc byte[16];
        if (address.AddressFamily == AddressFamily.InterNetwork)
        {
            address.TryWriteBytes(bytes, out _);
            return new IPKey(IPFamily.IPv4, BinaryPrimitives.ReadUInt32BigEndian(bytes));
        }
        address.TryWriteBytes(bytes, out _);
        return new IPKey(IPFamily.IPv6, BinaryPrimitives.ReadUInt128BigEndian(bytes));
    }

    public static bool TryParse([NotNullWhen(true)] string? text, out IPKey key)
    {
        key = default;
        if (string.IsNullOrWhiteSpace(text) || text.Contains('%', StringComparison.Ordinal)) return false;
        var span = text.AsSpan().Trim();
        // Only dotted quads for IPv4: IPAddress also accepts inet_aton forms ("192.0.2" = 192.0.0.2, hex, octal).
        if (!span.Contains(':') && !IsDottedQuad(span)) return false;
        if (!IPAddress.TryParse(span, out var address)) return false;
        if (address.AddressFamily is not (AddressFamily.InterNetwork or AddressFamily.InterNetworkV6)) return false;
        key = FromAddress(address);
        return true;
    }

    private static bool IsDottedQuad(ReadOnlySpan<char> s)
    {
        var parts = 0;
        foreach (var range in s.Split('.'))
        {
            var part = s[range];
            if (part.Length is 0 or > 3) return false;
            foreach (var c in part) if (!char.IsAsciiDigit(c)) return false;
            if (part.Length > 1 && part[0] == '0') return false;
            parts++;
        }
        return parts == 4;
    }

    public IPAddress ToAddress()
    {
        Span<byte> bytes = stackalloc byte[16];
        if (Family == IPFamily.IPv4)
        {
            BinaryPrimitives.WriteUInt32BigEndian(bytes, (uint)Value);
            return new IPAddress(bytes[..4]);
        }
        BinaryPrimitives.WriteUInt128BigEndian(bytes, Value);
        return new IPAddress(bytes);
    }

    /// <summary>IPv4 addresses ending in .0 or .255 (MetalLB's avoidBuggyIPs).</summary>
    public bool IsBuggy => Family == IPFamily.IPv4 && ((byte)Value == 0 || (byte)Value == 255);

    public int CompareTo(IPKey other)
    {
        var f = Family.CompareTo(other.Family);
        return f != 0 ? f : Value.CompareTo(other.Value);
    }

    public static bool operator <(IPKey a, IPKey b) => a.CompareTo(b) < 0;
    public static bool operator >(IPKey a, IPKey b) => a.CompareTo(b) > 0;
    public static bool operator <=(IPKey a, IPKey b) => a.CompareTo(b) <= 0;
    public static bool operator >=(IPKey a, IPKey b) => a.CompareTo(b) >= 0;

    public override string ToString() => ToAddress().ToString();
}
