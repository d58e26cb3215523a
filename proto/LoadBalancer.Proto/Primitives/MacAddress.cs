using System.Buffers.Binary;
using System.Diagnostics.CodeAnalysis;
using System.Globalization;

namespace LoadBalancer.Proto.Primitives;

/// <summary>
/// An IEEE 802 48-bit MAC address, stored in the low 48 bits of a <see cref="ulong"/> (first octet most significant).
/// Parses and formats as <c>02:00:00:00:00:0a</c> (also accepts <c>-</c> as separator).
/// </summary>
public readonly struct MacAddress : IEquatable<MacAddress>, ISpanFormattable, ISpanParsable<MacAddress>
{
    public const int Length = 6;
    private const ulong Mask = 0xFFFF_FFFF_FFFFUL;
    private readonly ulong _value;

    public MacAddress(ulong value) => _value = value & Mask;

    public static MacAddress Zero => default;

    public static MacAddress Broadcast => new(Mask);

    public ulong Value => _value;

    public bool IsBroadcast => _value == Mask;

    public bool IsZero => _value == 0;

    /// <summary>The I/G bit of the first octet: group (multicast or broadcast) address.</summary>
    public bool IsMulticast => (_value & 0x0100_0000_0000UL) != 0;

    /// <summary>Reads 6 octets; false when <paramref name="source"/> is shorter.</summary>
    public static bool TryRead(ReadOnlySpan<byte> source, out MacAddress mac)
    {
        if (source.Length < Length) { mac = default; return false; }
        mac = new MacAddress(((ulong)BinaryPrimitives.ReadUInt16BigEndian(source) << 32) | BinaryPrimitives.ReadUInt32BigEndian(source[2..]));
        return true;
    }

    /// <summary>Reads 6 octets from a span the caller has checked is long enough.</summary>
    public static MacAddress Read(ReadOnlySpan<byte> source)
        => new(((ulong)BinaryPrimitives.ReadUInt16BigEndian(source) << 32) | BinaryPrimitives.ReadUInt32BigEndian(source[2..Length]));

    public bool TryWrite(Span<byte> destination)
    {
        if (destination.Length < Length) return false;
        BinaryPrimitives.WriteUInt16BigEndian(destination, (ushort)(_value >> 32));
        BinaryPrimitives.WriteUInt32BigEndian(destination[2..], (uint)_value);
        return true;
    }

    public byte[] ToArray()
    {
        var bytes = new byte[Length];
        TryWrite(bytes);
        return bytes;
    }

    /// <summary>The Ethernet multicast MAC for an IPv6 multicast group (RFC 2464 §7: 33:33 + the low 32 bits).</summary>
    public static MacAddress ForIPv6Multicast(UInt128 group) => new(0x3333_0000_0000UL | (uint)(group & 0xFFFF_FFFF));

    public bool Equals(MacAddress other) => _value == other._value;

    public override bool Equals(object? obj) => obj is MacAddress other && Equals(other);

    public override int GetHashCode() => _value.GetHashCode();

    public static bool operator ==(MacAddress left, MacAddress right) => left.Equals(right);

    public static bool operator !=(MacAddress left, MacAddress right) => !left.Equals(right);

    public override string ToString() => ToString(null, null);

    public string ToString(string? format, IFormatProvider? formatProvider)
    {
        Span<char> buffer = stackalloc char[17];
        TryFormat(buffer, out var written, format, formatProvider);
        return new string(buffer[..written]);
    }

    public bool TryFormat(Span<char> destination, out int charsWritten, ReadOnlySpan<char> format, IFormatProvider? provider)
    {
        charsWritten = 0;
        if (destination.Length < 17) return false;
        const string hex = "0123456789abcdef";
        for (var i = 0; i < Length; i++)
        {
            var b = (byte)(_value >> (8 * (Length - 1 - i)));
            if (i > 0) destination[charsWritten++] = ':';
            destination[charsWritten++] = hex[b >> 4];
            destination[charsWritten++] = hex[b & 0xF];
        }
        return true;
    }

    public static MacAddress Parse(string s) => Parse(s.AsSpan(), null);

    public static MacAddress Parse(string s, IFormatProvider? provider) => Parse(s.AsSpan(), provider);

    public static MacAddress Parse(ReadOnlySpan<char> s, IFormatProvider? provider)
        => TryParse(s, provider, out var mac) ? mac : throw new FormatException($"'{s}' is not a MAC address (expected six hex octets separated by ':')");

    public static bool TryParse([NotNullWhen(true)] string? s, IFormatProvider? provider, out MacAddress result)
        => TryParse(s.AsSpan(), provider, out result);

    public static bool TryParse(ReadOnlySpan<char> s, IFormatProvider? provider, out MacAddress result)
    {
        result = default;
        s = s.Trim();
        if (s.Length != 17) return false;
        ulong value = 0;
        for (var i = 0; i < Length; i++)
        {
            var part = s.Slice(i * 3, 2);
            if (i < Length - 1 && s[i * 3 + 2] is not (':' or '-')) return false;
            if (!byte.TryParse(part, NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out var b)) return false;
            value = (value << 8) | b;
        }
        result = new MacAddress(value);
        return true;
    }
}
