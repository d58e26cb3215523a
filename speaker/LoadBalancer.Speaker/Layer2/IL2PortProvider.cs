namespace LoadBalancer.Speaker.Layer2;

/// <summary>Receives from <see cref="IL2PortProvider"/>: the current ports and every frame that passed the kernel filter.</summary>
internal interface IL2PortHandler
{
    /// <summary>The usable ports now, and interfaces that exist but could not be opened (name → error).</summary>
    void OnPortsChanged(IReadOnlyList<IL2Port> ports, IReadOnlyDictionary<string, string> errors);

    void OnFrame(IL2Port port, ReadOnlySpan<byte> frame);
}

/// <summary>Finds interfaces, opens ports on them and feeds received frames to the handler.</summary>
internal interface IL2PortProvider : IAsyncDisposable
{
    /// <summary>Scans once synchronously (the handler has the ports when this returns), then keeps watching.</summary>
    void Start(IL2PortHandler handler);
}
