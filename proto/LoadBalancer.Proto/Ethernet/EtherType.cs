namespace LoadBalancer.Proto.Ethernet;

/// <summary>EtherType values used here (IEEE 802 numbers, linux/if_ether.h).</summary>
public static class EtherType
{
    public const ushort IPv4 = 0x0800;
    public const ushort Arp = 0x0806;
    public const ushort Vlan = 0x8100;
    public const ushort IPv6 = 0x86DD;
}
