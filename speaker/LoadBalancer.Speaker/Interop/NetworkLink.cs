using System.Collections.Immutable;
using LoadBalancer.Proto.Primitives;

namespace LoadBalancer.Speaker.Interop;

/// <summary>One network interface as rtnetlink reports it (RTM_NEWLINK plus its IPv6 link-local addresses).</summary>
/// <param name="HardwareType">ARPHRD_* (1 = Ethernet).</param>
/// <param name="Flags">IFF_* flags.</param>
/// <param name="Master">Index of the bridge or bond this interface is enslaved to, 0 when none.</param>
internal sealed record NetworkLink(int Index, string Name, ushort HardwareType, uint Flags, MacAddress? Address, int Master,
    ImmutableArray<UInt128> LinkLocalAddresses)
{
    public bool IsUp => (Flags & Interop.Linux.IFF_UP) != 0;

    public bool IsEthernet => HardwareType == Interop.Linux.ARPHRD_ETHER && Address is not null;

    public bool IsLoopback => (Flags & Interop.Linux.IFF_LOOPBACK) != 0;

    public bool IsNoArp => (Flags & Interop.Linux.IFF_NOARP) != 0;
}
