namespace LoadBalancer.Proto.Ndp;

/// <summary>ICMPv6 types for neighbour discovery (RFC 4861 §4.3, §4.4).</summary>
public enum NdpMessageType : byte
{
    NeighborSolicitation = 135,
    NeighborAdvertisement = 136,
}
