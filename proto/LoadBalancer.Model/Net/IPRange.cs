using System.Diagnostics.CodeAnalysis;
using System.Net;

namespace LoadBalancer.Model.Net;

/// <summary>
/// An inclusive range of addresses of one family, from a CIDR (<c>192.0.2.0/24</c>, <c>2001:db8::/64</c>), a range
/// (<c>192.0.2.10-192.0.2.20</c>) or a single address. Arithmetic is on <see cref="UInt128"/>; nothing here ever
/// enumerates addresses, so a /8 or a /64 costs the same as a /32.
/// </summary>
public readonly record struct IPRange
{
    public IPRange(IPFamily family, UInt128 start, UInt128 end)
    {
        if (start > end) throw new ArgumentException("start must not be after end", nameof(start));
        if (family == IPFamily.IPv4 && end > uint.MaxValue) throw new ArgumentOutOfRangeException(nameof(end));
        Family = family;
        Start = start;
        End = end;
    }

    public IPFamily Family { get; }
    public UInt128 Start { get; }
    public UInt128 End { get; }

    public IPKey First => new(Family, Start);
    public IPKey Last => new(Family, End);

    /// <summary>The number of addresses, saturated at <see cref="UInt128.MaxValue"/> for <c>::/0</c>.</summary>
    public UInt128 Count => End - Start == UInt128.MaxValue ? UInt128.MaxValue : End - Start + 1;

    /// <summary>The prefix length when this range is exactly one CIDR, else null.</summary>
    public int? PrefixLength
    {
        get
        {
            var bits = Family.BitLength();
            var size = End - Start;
            if (size == UInt128.MaxValue) return Start == 0 ? 0 : null;
            var count = size + 1;
            if (!UInt128.IsPow2(count)) return null;
            var hostBits = (int)UInt128.Log2(count);
            if ((Start & (count - 1)) != 0) return null;
            return bits - hostBits;
        }
    }

    public bool Contains(IPKey ip) => ip.Family == Family && ip.Value >= Start && ip.Value <= End;

    public bool Contains(IPAddress ip) => Contains(IPKey.FromAddress(ip));

    public bool Overlaps(IPRange other) => other.Family == Family && other.Start <= End && Start <= other.End;

    public static IPRange FromCidr(IPFamily family, UInt128 address, int prefixLength)
    {
        var bits = family.BitLength();
        if (prefixLength < 0 || prefixLength > bits) throw new ArgumentOutOfRangeException(nameof(prefixLength));
        var hostBits = bits - prefixLength;
        var hostMask = hostBits == 128 ? UInt128.MaxValue : (UInt128.One << hostBits) - 1;
        var start = address & ~hostMask;
        if (family == IPFamily.IPv4) start &= uint.MaxValue;
        return new IPRange(family, start, start | hostMask);
    }

    /// <summary>Parses a CIDR, an <c>A-B</c> range (spaces allowed around the dash) or a single address.</summary>
    public static bool TryParse([NotNullWhen(true)] string? text, out IPRange range, [NotNullWhen(false)] out string? error)
    {
        range = default;
        error = null;
        if (string.IsNullOrWhiteSpace(text)) { error = "empty address"; return false; }
        var s = text.Trim();
        var dash = s.IndexOf('-', StringComparison.Ordinal);
        if (dash >= 0)
        {
            var a = s[..dash].Trim();
            var b = s[(dash + 1)..].Trim();
            if (!IPKey.TryParse(a, out var start)) { error = $"invalid range \"{s}\": \"{a}\" is not an IP address"; return false; }
            if (!IPKey.TryParse(b, out var end)) { error = $"invalid range \"{s}\": \"{b}\" is not an IP address"; return false; }
            if (start.Family != end.Family) { error = $"invalid range \"{s}\": start and end are of different IP families"; return false; }
            if (start.Value > end.Value) { error = $"invalid range \"{s}\": start {a} is after end {b}"; return false; }
            range = new IPRange(start.Family, start.Value, end.Value);
            return true;
        }
        var slash = s.IndexOf('/', StringComparison.Ordinal);
        if (slash < 0)
        {
            if (!IPKey.TryParse(s, out var single)) { error = $"invalid CIDR \"{s}\": not an IP address, CIDR or A-B range"; return false; }
            range = new IPRange(single.Family, single.Value, single.Value);
            return true;
        }
        var ipText = s[..slash];
        var lenText = s[(slash + 1)..];
        if (!IPKey.TryParse(ipText, out var ip)) { error = $"invalid CIDR \"{s}\": \"{ipText}\" is not an IP address"; return false; }
        if (lenText.Length == 0 || lenText.Length > 3 || !lenText.All(char.IsAsciiDigit)
            || !int.TryParse(lenText, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var len)
            || len > ip.Family.BitLength())
        {
            error = $"invalid CIDR \"{s}\": prefix length \"{lenText}\" must be 0..{ip.Family.BitLength()}";
            return false;
        }
        range = FromCidr(ip.Family, ip.Value, len);
        return true;
    }

    public static IPRange Parse(string text) => TryParse(text, out var r, out var e) ? r : throw new FormatException(e);

    /// <summary>The smallest list of CIDRs that covers exactly this range (at most 2 per bit).</summary>
    public IReadOnlyList<IPRange> ToCidrs()
    {
        var result = new List<IPRange>();
        var bits = Family.BitLength();
        var start = Start;
        while (true)
        {
            // Largest block aligned at start that does not pass End.
            var hostBits = start == 0 ? bits : Math.Min(bits, (int)UInt128.TrailingZeroCount(start));
            while (hostBits > 0)
            {
                var blockEnd = hostBits == 128 ? UInt128.MaxValue : start + ((UInt128.One << hostBits) - 1);
                if (blockEnd >= start && blockEnd <= End) break;
                hostBits--;
            }
            var last = hostBits == 128 ? UInt128.MaxValue : start + ((UInt128.One << hostBits) - 1);
            result.Add(new IPRange(Family, start, last));
            if (last >= End) break;
            start = last + 1;
        }
        return result;
    }

    public override string ToString()
    {
        if (PrefixLength is int p) return $"{First}/{p}";
        return $"{First}-{Last}";
    }
}
