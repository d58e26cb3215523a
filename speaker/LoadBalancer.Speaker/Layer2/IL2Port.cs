using LoadBalancer.Proto.Primitives;

namespace LoadBalancer.Speaker.Layer2;

/// <summary>One interface the responder can send on (a pair of AF_PACKET sockets in production, a recorder in tests).</summary>
internal interface IL2Port
{
    int Index { get; }

    string Name { get; }

    MacAddress Mac { get; }

    /// <summary>An IPv6 link-local address of the interface (source of our NAs), or null.</summary>
    UInt128? LinkLocal { get; }

    /// <summary>Sends one whole Ethernet frame; false when the socket failed (the provider logs it).</summary>
    bool TrySend(ReadOnlySpan<byte> frame);

    /// <summary>Makes the NIC accept exactly these IPv6 multicast groups (solicited-node groups of our IPv6 addresses).</summary>
    void SetMulticastGroups(IReadOnlySet<UInt128> groups);
}
