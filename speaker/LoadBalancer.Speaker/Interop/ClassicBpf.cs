using System.Buffers.Binary;
using System.Net.Sockets;
using System.Runtime.InteropServices;

namespace LoadBalancer.Speaker.Interop;

/// <summary>
/// Classic BPF (linux/filter.h) socket filters: one instruction is <c>struct sock_filter { u16 code; u8 jt; u8 jf; u32 k; }</c>.
/// <see cref="Attach"/> passes <c>struct sock_fprog { u16 len; (6 bytes padding) struct sock_filter *filter; }</c> to
/// SO_ATTACH_FILTER; the kernel copies the program, so it is pinned only for the call.
/// </summary>
internal static class ClassicBpf
{
    [StructLayout(LayoutKind.Sequential)]
    internal readonly record struct Instruction(ushort Code, byte JumpTrue, byte JumpFalse, uint K);

    // Opcodes: class | size | mode (linux/bpf_common.h).
    private const ushort LdW = 0x00 | 0x00 | 0x20; // BPF_LD | BPF_W | BPF_ABS
    private const ushort LdH = 0x00 | 0x08 | 0x20; // BPF_LD | BPF_H | BPF_ABS
    private const ushort LdB = 0x00 | 0x10 | 0x20; // BPF_LD | BPF_B | BPF_ABS
    private const ushort JeqK = 0x05 | 0x10 | 0x00; // BPF_JMP | BPF_JEQ | BPF_K
    private const ushort RetK = 0x06; // BPF_RET | BPF_K

    public static Instruction LoadWord(uint offset) => new(LdW, 0, 0, offset);
    public static Instruction LoadHalf(uint offset) => new(LdH, 0, 0, offset);
    public static Instruction LoadByte(uint offset) => new(LdB, 0, 0, offset);
    public static Instruction JumpIfEqual(uint k, byte jumpTrue, byte jumpFalse) => new(JeqK, jumpTrue, jumpFalse, k);
    public static Instruction Return(uint k) => new(RetK, 0, 0, k);

    private const uint Accept = 0x4_0000;

    /// <summary>
    /// ARP over Ethernet for IPv4 (hrd 1, pro 0x0800, hln 6, pln 4), request or reply, not sent by this host
    /// (PACKET_OUTGOING is dropped via the pkttype ancillary load). Replies pass too: they are how a conflicting
    /// host is seen.
    /// </summary>
    public static Instruction[] ArpProgram() =>
    [
        /* 0 */ LoadWord(Interop.Linux.SKF_AD_OFF + Interop.Linux.SKF_AD_PKTTYPE),
        /* 1 */ JumpIfEqual(Interop.Linux.PACKET_OUTGOING, 8, 0),
        /* 2 */ LoadHalf(12),
        /* 3 */ JumpIfEqual(Interop.Linux.ETH_P_ARP, 0, 6),
        /* 4 */ LoadWord(14),
        /* 5 */ JumpIfEqual(0x0001_0800, 0, 4),
        /* 6 */ LoadHalf(18),
        /* 7 */ JumpIfEqual(0x0604, 0, 2),
        /* 8 */ Return(Accept),
        /* 9 */ Return(0),
        /* 10 */ Return(0),
    ];

    /// <summary>
    /// IPv6 with ICMPv6 directly after the fixed header (next header 58), hop limit 255, type 135 (NS) or 136 (NA),
    /// not sent by this host. NA passes so a host answering for one of our addresses is seen.
    /// </summary>
    public static Instruction[] NdpProgram() =>
    [
        /* 0 */ LoadWord(Interop.Linux.SKF_AD_OFF + Interop.Linux.SKF_AD_PKTTYPE),
        /* 1 */ JumpIfEqual(Interop.Linux.PACKET_OUTGOING, 10, 0),
        /* 2 */ LoadHalf(12),
        /* 3 */ JumpIfEqual(Interop.Linux.ETH_P_IPV6, 0, 8),
        /* 4 */ LoadHalf(20),
        /* 5 */ JumpIfEqual(58 << 8 | 255, 0, 6),
        /* 6 */ LoadByte(54),
        /* 7 */ JumpIfEqual(135, 2, 0),
        /* 8 */ JumpIfEqual(136, 1, 0),
        /* 9 */ Return(0),
        /* 10 */ Return(Accept),
        /* 11 */ Return(0),
        /* 12 */ Return(0),
    ];

    /// <summary>A program that accepts nothing: attached first so no frame is queued before the real filter.</summary>
    public static Instruction[] DropAll() => [Return(0)];

    public static unsafe void Attach(Socket socket, ReadOnlySpan<Instruction> program)
    {
        Span<byte> fprog = stackalloc byte[16];
        fixed (Instruction* p = program)
        {
            fprog.Clear();
            BinaryPrimitives.WriteUInt16LittleEndian(fprog, (ushort)program.Length);
            BinaryPrimitives.WriteInt64LittleEndian(fprog[8..], (long)(nint)p);
            socket.SetRawSocketOption(Interop.Linux.SOL_SOCKET, Interop.Linux.SO_ATTACH_FILTER, fprog);
        }
    }

    /// <summary>Runs a program over <paramref name="packet"/> like the kernel would (for tests): the accepted length, 0 to drop.</summary>
    public static uint Run(ReadOnlySpan<Instruction> program, ReadOnlySpan<byte> packet, byte packetType)
    {
        uint a = 0;
        var pc = 0;
        while (pc < program.Length)
        {
            var i = program[pc];
            switch (i.Code)
            {
                case LdW or LdH or LdB:
                    if (i.K == Interop.Linux.SKF_AD_OFF + Interop.Linux.SKF_AD_PKTTYPE) { a = packetType; break; }
                    var size = i.Code == LdW ? 4 : i.Code == LdH ? 2 : 1;
                    if (i.K + size > packet.Length) return 0;
                    var s = packet.Slice((int)i.K, size);
                    a = size == 4 ? BinaryPrimitives.ReadUInt32BigEndian(s) : size == 2 ? BinaryPrimitives.ReadUInt16BigEndian(s) : s[0];
                    break;
                case JeqK:
                    pc += a == i.K ? i.JumpTrue : i.JumpFalse;
                    break;
                case RetK:
                    return i.K;
                default:
                    return 0;
            }
            pc++;
        }
        return 0;
    }
}
