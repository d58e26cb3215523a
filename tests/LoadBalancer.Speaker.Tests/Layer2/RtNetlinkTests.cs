using System.Buffers.Binary;
using System.Net;
using System.Text;
using LoadBalancer.Proto.Primitives;
using LoadBalancer.Speaker.Interop;
using LoadBalancer.Speaker.Layer2;

namespace LoadBalancer.Speaker.Tests.Layer2;

public class RtNetlinkTests
{
    private static byte[] Attribute(ushort type, byte[] data)
    {
        var length = 4 + data.Length;
        var bytes = new byte[(length + 3) & ~3];
        BinaryPrimitives.WriteUInt16LittleEndian(bytes, (ushort)length);
        BinaryPrimitives.WriteUInt16LittleEndian(bytes.AsSpan(2), type);
        data.CopyTo(bytes, 4);
        return bytes;
    }

    private static byte[] Message(ushort type, byte[] body)
    {
        var bytes = new byte[16 + body.Length];
        BinaryPrimitives.WriteUInt32LittleEndian(bytes, (uint)bytes.Length);
        BinaryPrimitives.WriteUInt16LittleEndian(bytes.AsSpan(4), type);
        body.CopyTo(bytes, 16);
        return bytes;
    }

    private static byte[] Link(int index, string name, ushort hwType, uint flags, string? mac, int master = 0)
    {
        var header = new byte[16];
        BinaryPrimitives.WriteUInt16LittleEndian(header.AsSpan(2), hwType);
        BinaryPrimitives.WriteInt32LittleEndian(header.AsSpan(4), index);
        BinaryPrimitives.WriteUInt32LittleEndian(header.AsSpan(8), flags);
        var attrs = new List<byte>(Attribute(3, [.. Encoding.UTF8.GetBytes(name), 0]));
        if (mac is not null) attrs.AddRange(Attribute(1, MacAddress.Parse(mac).ToArray()));
        if (master != 0) { var m = new byte[4]; BinaryPrimitives.WriteInt32LittleEndian(m, master); attrs.AddRange(Attribute(10, m)); }
        return Message(16, [.. header, .. attrs]);
    }

    private static byte[] LinkLocal(int index, string address)
    {
        var header = new byte[8];
        header[0] = 10; header[1] = 64; header[3] = 253;
        BinaryPrimitives.WriteUInt32LittleEndian(header.AsSpan(4), (uint)index);
        return Message(20, [.. header, .. Attribute(1, IPAddress.Parse(address).GetAddressBytes())]);
    }

    [Fact]
    public void Parse_LinksAndLinkLocalAddresses_ThenDone()
    {
        byte[] datagram = [.. Link(1, "lo", 772, 0x9, "00:00:00:00:00:00"), .. Link(2, "eth0", 1, 0x11043, "02:00:00:00:00:11"),
            .. Link(3, "eth1", 1, 0x1003, "02:00:00:00:01:11", master: 5), .. LinkLocal(2, "fe80::11")];
        var links = new Dictionary<int, RtNetlink.LinkDraft>();
        var ll = new Dictionary<int, List<UInt128>>();
        Assert.True(RtNetlink.Parse(datagram, links, ll));
        Assert.False(RtNetlink.Parse(Message(3, new byte[4]), links, ll)); // NLMSG_DONE
        var built = RtNetlink.Build(links, ll);
        Assert.Equal(["lo", "eth0", "eth1"], built.Select(l => l.Name));
        var eth0 = built[1];
        Assert.Equal(MacAddress.Parse("02:00:00:00:00:11"), eth0.Address);
        Assert.Equal([IpAddressBits.ToUInt128(IPAddress.Parse("fe80::11"))], eth0.LinkLocalAddresses.ToArray());
        Assert.Equal(5, built[2].Master);

        var selection = new InterfaceSelection(new Layer2AnnouncerOptions().ExcludeInterfacePatterns);
        Assert.Equal(["eth0"], built.Where(selection.IsUsable).Select(l => l.Name));
    }

    [Fact]
    public void Parse_Garbage_NeverThrows()
    {
        var random = new Random(3201);
        for (var i = 0; i < 3000; i++)
        {
            var bytes = new byte[random.Next(0, 200)];
            random.NextBytes(bytes);
            if (bytes.Length >= 4) BinaryPrimitives.WriteUInt32LittleEndian(bytes, (uint)random.Next(0, bytes.Length + 8));
            RtNetlink.Parse(bytes, new Dictionary<int, RtNetlink.LinkDraft>(), new Dictionary<int, List<UInt128>>());
        }
    }
}
