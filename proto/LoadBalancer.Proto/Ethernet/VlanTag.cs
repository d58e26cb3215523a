namespace LoadBalancer.Proto.Ethernet;

/// <summary>An IEEE 802.1Q tag control information: priority code point (3 bits), drop eligible (1 bit), VLAN id (12 bits).</summary>
public readonly record struct VlanTag(byte Priority, bool DropEligible, ushort Id)
{
    public ushort ToTci() => (ushort)(((Priority & 0x7) << 13) | (DropEligible ? 0x1000 : 0) | (Id & 0x0FFF));

    public static VlanTag FromTci(ushort tci) => new((byte)(tci >> 13), (tci & 0x1000) != 0, (ushort)(tci & 0x0FFF));
}
