using System.Net;

namespace LoadBalancer.Speaker.Liveness;

/// <summary>Settings of <see cref="PeerProber"/>; see docs/layer2.md for the failure model they produce.</summary>
public sealed class PeerProberOptions
{
    /// <summary>This node's name (from the downward API); peers address their probes to it.</summary>
    public string NodeName { get; set; } = "";

    /// <summary>The shared key (from a Secret), at least 16 bytes; every probe carries an HMAC-SHA256 over it.</summary>
    public byte[] Key { get; set; } = [];

    /// <summary>UDP port the speakers probe each other on.</summary>
    public int Port { get; set; } = 7947;

    /// <summary>Address to listen on; the default, ::, takes IPv4 too (dual mode).</summary>
    public IPAddress BindAddress { get; set; } = IPAddress.IPv6Any;

    /// <summary>How often a probe goes to every peer.</summary>
    public TimeSpan TransmitInterval { get; set; } = TimeSpan.FromMilliseconds(100);

    /// <summary>A peer is unreachable after this many intervals without a valid probe that says it hears us (BFD's detect multiplier).</summary>
    public int DetectMultiplier { get; set; } = 3;

    /// <summary>A peer just added to the set counts as reachable for this long before it must have answered.</summary>
    public TimeSpan StartupGrace { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>Network namespace to open the socket in (tests and the sandbox); null for the process's own.</summary>
    public string? NetworkNamespacePath { get; set; }

    public TimeSpan DetectionTime => TransmitInterval * DetectMultiplier;
}
