using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace LoadBalancer.Speaker.Bgp;

/// <summary>
/// TCP MD5 signatures (RFC 2385) through setsockopt(IPPROTO_TCP, TCP_MD5SIG, struct tcp_md5sig), no native library:
/// <c>/usr/include/linux/tcp.h</c>: sockaddr_storage tcpm_addr (128), u8 tcpm_flags, u8 tcpm_prefixlen,
/// u16 tcpm_keylen, int tcpm_ifindex, u8 tcpm_key[80] = 216 octets.
/// </summary>
internal static class TcpMd5
{
    private const int IpProtoTcp = 6;
    private const int TcpMd5Sig = 14;
    private const int MaxKeyLength = 80;
    private const int StructLength = 216;

    /// <summary>Sets the key for <paramref name="peer"/>; false when the key is longer than 80 octets.</summary>
    public static bool TrySet(Socket socket, IPAddress peer, string password)
    {
        var key = Encoding.UTF8.GetBytes(password);
        if (key.Length > MaxKeyLength) return false;
        socket.SetRawSocketOption(IpProtoTcp, TcpMd5Sig, Build(peer, key));
        return true;
    }

    internal static byte[] Build(IPAddress peer, ReadOnlySpan<byte> key)
    {
        var s = new byte[StructLength];
        if (peer.IsIPv4MappedToIPv6) peer = peer.MapToIPv4();
        if (peer.AddressFamily == AddressFamily.InterNetwork)
        {
            BinaryPrimitives.WriteUInt16LittleEndian(s, 2); // AF_INET, host order (x86-64/arm64 are little endian)
            peer.TryWriteBytes(s.AsSpan(4), out _);
        }
        else
        {
            BinaryPrimitives.WriteUInt16LittleEndian(s, 10); // AF_INET6
            peer.TryWriteBytes(s.AsSpan(8), out _);
            BinaryPrimitives.WriteUInt32LittleEndian(s.AsSpan(24), (uint)peer.ScopeId);
        }
        BinaryPrimitives.WriteUInt16LittleEndian(s.AsSpan(130), (ushort)key.Length);
        key.CopyTo(s.AsSpan(136));
        return s;
    }
}
