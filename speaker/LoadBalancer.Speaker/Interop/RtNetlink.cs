using System.Buffers.Binary;
using System.Collections.Immutable;
using System.Text;
using LoadBalancer.Proto.Primitives;

namespace LoadBalancer.Speaker.Interop;

/// <summary>
/// Pure rtnetlink encoding and decoding (linux/netlink.h, linux/rtnetlink.h): the dump requests for links and
/// addresses, and the parse of their answers. Messages are host byte order (little-endian here).
/// <code>
/// nlmsghdr  { u32 len; u16 type; u16 flags; u32 seq; u32 pid; }          16 bytes
/// ifinfomsg { u8 family; u8 pad; u16 type; i32 index; u32 flags; u32 change; }  16 bytes, then rtattrs
/// ifaddrmsg { u8 family; u8 prefixlen; u8 flags; u8 scope; u32 index; }   8 bytes, then rtattrs
/// rtattr    { u16 len; u16 type; data; } padded to 4
/// </code>
/// </summary>
internal static class RtNetlink
{
    public const int HeaderLength = 16;

    public static byte[] DumpRequest(ushort type, byte family, uint sequence)
    {
        var bytes = new byte[HeaderLength + 16];
        BinaryPrimitives.WriteUInt32LittleEndian(bytes, (uint)bytes.Length);
        BinaryPrimitives.WriteUInt16LittleEndian(bytes.AsSpan(4), type);
        BinaryPrimitives.WriteUInt16LittleEndian(bytes.AsSpan(6), Interop.Linux.NLM_F_REQUEST | Interop.Linux.NLM_F_DUMP);
        BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(8), sequence);
        bytes[HeaderLength] = family;
        return bytes;
    }

    /// <summary>Walks the messages in one datagram; returns false when a DONE or ERROR message ends the dump.</summary>
    public static bool Parse(ReadOnlySpan<byte> datagram, Dictionary<int, LinkDraft> links, Dictionary<int, List<UInt128>> linkLocal)
    {
        while (datagram.Length >= HeaderLength)
        {
            var length = (int)BinaryPrimitives.ReadUInt32LittleEndian(datagram);
            if (length < HeaderLength || length > datagram.Length) return false;
            var type = BinaryPrimitives.ReadUInt16LittleEndian(datagram[4..]);
            var body = datagram[HeaderLength..length];
            switch (type)
            {
                case Interop.Linux.NLMSG_DONE or Interop.Linux.NLMSG_ERROR:
                    return false;
                case Interop.Linux.RTM_NEWLINK when body.Length >= 16:
                    var draft = new LinkDraft
                    {
                        HardwareType = BinaryPrimitives.ReadUInt16LittleEndian(body[2..]),
                        Index = BinaryPrimitives.ReadInt32LittleEndian(body[4..]),
                        Flags = BinaryPrimitives.ReadUInt32LittleEndian(body[8..]),
                    };
                    foreach (var (attrType, data) in Attributes(body[16..]))
                    {
                        if (attrType == Interop.Linux.IFLA_IFNAME) draft.Name = Encoding.UTF8.GetString(data.TrimEnd((byte)0));
                        else if (attrType == Interop.Linux.IFLA_ADDRESS && data.Length == MacAddress.Length) draft.Address = MacAddress.Read(data);
                        else if (attrType == Interop.Linux.IFLA_MASTER && data.Length >= 4) draft.Master = BinaryPrimitives.ReadInt32LittleEndian(data);
                    }
                    links[draft.Index] = draft;
                    break;
                case Interop.Linux.RTM_NEWADDR when body.Length >= 8:
                    if (body[0] == 10 && body[3] == Interop.Linux.RT_SCOPE_LINK)
                    {
                        var index = (int)BinaryPrimitives.ReadUInt32LittleEndian(body[4..]);
                        foreach (var (attrType, data) in Attributes(body[8..]))
                        {
                            if (attrType != Interop.Linux.IFA_ADDRESS || data.Length != 16) continue;
                            if (!linkLocal.TryGetValue(index, out var list)) linkLocal[index] = list = [];
                            list.Add(BinaryPrimitives.ReadUInt128BigEndian(data));
                        }
                    }
                    break;
            }
            var aligned = (length + 3) & ~3;
            if (aligned >= datagram.Length) break;
            datagram = datagram[aligned..];
        }
        return true;
    }

    public static NetworkLink[] Build(Dictionary<int, LinkDraft> links, Dictionary<int, List<UInt128>> linkLocal)
        => [.. links.Values.Where(l => l.Name is not null).OrderBy(l => l.Index).Select(l => new NetworkLink(l.Index, l.Name!, l.HardwareType, l.Flags, l.Address, l.Master,
            linkLocal.TryGetValue(l.Index, out var ll) ? [.. ll] : ImmutableArray<UInt128>.Empty))];

    private static List<(ushort Type, byte[] Data)> Attributes(ReadOnlySpan<byte> span)
    {
        var result = new List<(ushort, byte[])>();
        while (span.Length >= 4)
        {
            var length = BinaryPrimitives.ReadUInt16LittleEndian(span);
            var type = (ushort)(BinaryPrimitives.ReadUInt16LittleEndian(span[2..]) & 0x3FFF);
            if (length < 4 || length > span.Length) break;
            result.Add((type, span[4..length].ToArray()));
            var aligned = (length + 3) & ~3;
            if (aligned >= span.Length) break;
            span = span[aligned..];
        }
        return result;
    }

    internal sealed class LinkDraft
    {
        public int Index { get; set; }
        public string? Name { get; set; }
        public ushort HardwareType { get; set; }
        public uint Flags { get; set; }
        public MacAddress? Address { get; set; }
        public int Master { get; set; }
    }
}
