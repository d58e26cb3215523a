using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;

namespace LoadBalancer.Proto.Primitives;

/// <summary>
/// Allocation-free forms of IP addresses for codecs: IPv4 as a <see cref="uint"/> and IPv6 as a <see cref="UInt128"/>,
/// both with the first octet most significant (192.0.2.1 is 0xC0000201). Conversions to <see cref="IPAddress"/> are for cold paths.
/// </summary>
public static class IpAddressBits
{
    public static uint ToUInt32(IPAddress address)
    {
        if (address.AddressFamily != AddressFamily.InterNetwork) throw new ArgumentException($"{address} is not an IPv4 address", nameof(address));
        Span<byte> b = stackalloc byte[4];
        address.TryWriteBytes(b, out _);
        return BinaryPrimitives.ReadUInt32BigEndian(b);
    }

    public static UInt128 ToUInt128(IPAddress address)
    {
        if (address.AddressFamily != AddressFamily.InterNetworkV6) throw new ArgumentException($"{address} is not an IPv6 address", nameof(address));
        Span<byte> b = stackalloc byte[16];
        address.TryWriteBytes(b, out _);
        return BinaryPrimitives.ReadUInt128BigEndian(b);
    }

    public static IPAddress ToIPAddress(uint address)
    {
        Span<byte> b = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(b, address);
        return new IPAddress(b);
    }

    public static IPAddress ToIPAddress(UInt128 address)
    {
        Span<byte> b = stackalloc byte[16];
        BinaryPrimitives.WriteUInt128BigEndian(b, address);
        return new IPAddress(b);
    }

    /// <summary>The solicited-node multicast group of an IPv6 address (RFC 4291 §2.7.1: ff02::1:ff00:0/104 + low 24 bits).</summary>
    public static UInt128 SolicitedNodeMulticast(UInt128 address)
        => ((UInt128)0xFF02_0000_0000_0000UL << 64) | 0x0001_FF00_0000UL | (address & 0xFF_FFFF);

    /// <summary>All-nodes multicast ff02::1.</summary>
    public static UInt128 AllNodes => ((UInt128)0xFF02_0000_0000_0000UL << 64) | 1;
}
