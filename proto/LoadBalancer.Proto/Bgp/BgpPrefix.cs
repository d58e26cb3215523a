using System.Net;

namespace LoadBalancer.Proto.Bgp;

/// <summary>The (length, prefix) NLRI encoding of RFC 4271 §4.3 for IPv4 and IPv6 unicast.</summary>
public static class BgpPrefix
{
    public static int MaxBits(BgpAfi afi) => afi == BgpAfi.IPv6 ? 128 : 32;

    public static int GetEncodedLength(IPNetwork prefix) => 1 + (prefix.PrefixLength + 7) / 8;

    /// <summary>Reads one prefix; false when the length exceeds the family or the octets run past the buffer.</summary>
    public static bool TryRead(ReadOnlySpan<byte> source, BgpAfi afi, out IPNetwork prefix, out int consumed)
    {
        prefix = default;
        consumed = 0;
        if (source.IsEmpty) return false;
        int bits = source[0];
        var max = MaxBits(afi);
        if (bits > max) return false;
        var octets = (bits + 7) / 8;
        if (source.Length < 1 + octets) return false;
        Span<byte> address = stackalloc byte[16];
        address.Clear();
        source.Slice(1, octets).CopyTo(address);
        if (bits % 8 != 0) address[octets - 1] &= (byte)(0xFF << (8 - bits % 8)); // trailing bits are irrelevant (RFC 4271)
        prefix = new IPNetwork(new IPAddress(address[..(max / 8)]), bits);
        consumed = 1 + octets;
        return true;
    }

    /// <summary>Writes one prefix; returns the octets written, or 0 when it does not fit.</summary>
    public static int Write(Span<byte> destination, IPNetwork prefix)
    {
        var length = GetEncodedLength(prefix);
        if (destination.Length < length) return 0;
        Span<byte> address = stackalloc byte[16];
        if (!prefix.BaseAddress.TryWriteBytes(address, out _)) return 0;
        destination[0] = (byte)prefix.PrefixLength;
        address[..(length - 1)].CopyTo(destination[1..]);
        return length;
    }

    /// <summary>Reads a whole field of prefixes (withdrawn routes, NLRI, MP NLRI).</summary>
    public static bool TryReadAll(ReadOnlySpan<byte> source, BgpAfi afi, List<IPNetwork> into)
    {
        while (!source.IsEmpty)
        {
            if (!TryRead(source, afi, out var p, out var used)) return false;
            into.Add(p);
            source = source[used..];
        }
        return true;
    }

    public static BgpAfi AfiOf(IPNetwork prefix) => prefix.BaseAddress.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6 ? BgpAfi.IPv6 : BgpAfi.IPv4;
}
