using System.Diagnostics.CodeAnalysis;
using System.Globalization;

namespace LoadBalancer.Model.Config;

/// <summary>A BGP community: standard (RFC 1997, <c>AA:NN</c>) or large (RFC 8092, <c>large:A:B:C</c>).</summary>
public readonly record struct BgpCommunity(bool IsLarge, uint GlobalAdministrator, uint LocalData1, uint LocalData2) : IComparable<BgpCommunity>
{
    public static BgpCommunity Standard(ushort asn, ushort value) => new(false, asn, value, 0);
    public static BgpCommunity Large(uint global, uint local1, uint local2) => new(true, global, local1, local2);

    /// <summary>The 32-bit wire value of a standard community (AA &lt;&lt; 16 | NN).</summary>
    public uint StandardValue => (GlobalAdministrator << 16) | LocalData1;

    public static bool TryParse([NotNullWhen(true)] string? text, out BgpCommunity community, [NotNullWhen(false)] out string? error)
    {
        community = default;
        error = null;
        if (string.IsNullOrWhiteSpace(text)) { error = "empty community"; return false; }
        var s = text.Trim();
        if (s.StartsWith("large:", StringComparison.OrdinalIgnoreCase))
        {
            var parts = s["large:".Length..].Split(':');
            if (parts.Length != 3 || !TryU32(parts[0], out var a) || !TryU32(parts[1], out var b) || !TryU32(parts[2], out var c))
            {
                error = $"invalid large community \"{s}\": expected large:A:B:C with 32-bit numbers";
                return false;
            }
            community = Large(a, b, c);
            return true;
        }
        var p = s.Split(':');
        if (p.Length != 2 || !TryU32(p[0], out var hi) || !TryU32(p[1], out var lo) || hi > ushort.MaxValue || lo > ushort.MaxValue)
        {
            error = $"invalid community \"{s}\": expected AA:NN with 16-bit numbers, large:A:B:C, or the name of a Community alias";
            return false;
        }
        community = Standard((ushort)hi, (ushort)lo);
        return true;
    }

    private static bool TryU32(string s, out uint v)
        => uint.TryParse(s, NumberStyles.None, CultureInfo.InvariantCulture, out v);

    public int CompareTo(BgpCommunity other)
    {
        var c = IsLarge.CompareTo(other.IsLarge);
        if (c != 0) return c;
        c = GlobalAdministrator.CompareTo(other.GlobalAdministrator);
        if (c != 0) return c;
        c = LocalData1.CompareTo(other.LocalData1);
        return c != 0 ? c : LocalData2.CompareTo(other.LocalData2);
    }

    public static bool operator <(BgpCommunity a, BgpCommunity b) => a.CompareTo(b) < 0;
    public static bool operator >(BgpCommunity a, BgpCommunity b) => a.CompareTo(b) > 0;
    public static bool operator <=(BgpCommunity a, BgpCommunity b) => a.CompareTo(b) <= 0;
    public static bool operator >=(BgpCommunity a, BgpCommunity b) => a.CompareTo(b) >= 0;

    public override string ToString() => IsLarge
        ? $"large:{GlobalAdministrator}:{LocalData1}:{LocalData2}"
        : $"{GlobalAdministrator}:{LocalData1}";
}
