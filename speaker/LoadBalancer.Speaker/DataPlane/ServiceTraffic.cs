namespace LoadBalancer.Speaker.DataPlane;

/// <summary>Kernel counters of one Service: packets and bytes towards it, and new connections.</summary>
public readonly record struct ServiceTraffic(long Packets, long Bytes, long Connections);
