using System.Buffers.Binary;

namespace LoadBalancer.Proto.Primitives;

/// <summary>
/// The Internet checksum (RFC 1071): the ones' complement of the ones' complement sum of 16-bit words.
/// <see cref="Accumulate"/> folds more data into a running 32-bit sum; <see cref="Finish"/> folds and complements.
/// </summary>
public static class InternetChecksum
{
    /// <summary>Checksum of <paramref name="data"/> alone.</summary>
    public static ushort Compute(ReadOnlySpan<byte> data) => Finish(Accumulate(0, data));

    /// <summary>Adds <paramref name="data"/> (an odd tail is padded with a zero octet) to a running sum.</summary>
    public static ulong Accumulate(ulong sum, ReadOnlySpan<byte> data)
    {
        while (data.Length >= 4)
        {
            sum += BinaryPrimitives.ReadUInt32BigEndian(data);
            data = data[4..];
        }
        if (data.Length >= 2)
        {
            sum += BinaryPrimitives.ReadUInt16BigEndian(data);
            data = data[2..];
        }
        if (data.Length == 1) sum += (ulong)data[0] << 8;
        return sum;
    }

    /// <summary>Folds the running sum to 16 bits and complements it.</summary>
    public static ushort Finish(ulong sum)
    {
        while (sum >> 16 != 0) sum = (sum & 0xFFFF) + (sum >> 16);
        return (ushort)~sum;
    }

    /// <summary>
    /// ICMPv6 checksum (RFC 4443 §2.3) over the IPv6 pseudo-header (RFC 8200 §8.1: source, destination,
    /// upper-layer length, next header 58) and <paramref name="icmpMessage"/>, whose checksum field must be zero or
    /// hold the received value (then a correct message sums to zero).
    /// </summary>
    public static ushort IcmpV6(UInt128 source, UInt128 destination, ReadOnlySpan<byte> icmpMessage)
    {
        Span<byte> pseudo = stackalloc byte[40];
        BinaryPrimitives.WriteUInt128BigEndian(pseudo, source);
        BinaryPrimitives.WriteUInt128BigEndian(pseudo[16..], destination);
        BinaryPrimitives.WriteUInt32BigEndian(pseudo[32..], (uint)icmpMessage.Length);
        BinaryPrimitives.WriteUInt32BigEndian(pseudo[36..], 58);
        return Finish(Accumulate(Accumulate(0, pseudo), icmpMessage));
    }
}
