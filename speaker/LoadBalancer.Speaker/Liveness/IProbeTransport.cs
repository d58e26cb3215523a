using System.Net;

namespace LoadBalancer.Speaker.Liveness;

/// <summary>Where probes go (a UDP socket in production, an in-memory switch in tests).</summary>
internal interface IProbeTransport : IAsyncDisposable
{
    /// <summary>Starts delivering received datagrams to <paramref name="receive"/>.</summary>
    void Start(Action<ReadOnlyMemory<byte>, IPEndPoint> receive);

    void Send(ReadOnlySpan<byte> datagram, IPEndPoint destination);
}
