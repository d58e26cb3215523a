namespace LoadBalancer.Speaker.Layer2;

/// <summary>Settings of the ARP/NDP responder (<see cref="Layer2Announcer"/>). The defaults are what docs/layer2.md describes.</summary>
public sealed class Layer2AnnouncerOptions
{
    /// <summary>
    /// Interfaces whose names match one of these regular expressions are never used, even when an
    /// L2Advertisement lists them (MetalLB's default list: container bridges, veths, tunnels, loopback).
    /// </summary>
    public IList<string> ExcludeInterfacePatterns { get; } =
    [
        "^docker.*", "^cbr.*", "^dummy.*", "^virbr.*", "^lxcbr.*", "^veth.*", "^lo$", "^cali.*", "^tunl.*",
        "^flannel.*", "^kube-ipvs.*", "^cni.*", "^nodelocaldns.*", "^lxc.*",
    ];

    /// <summary>Interfaces are re-read on every rtnetlink link/address notification and also at this interval.</summary>
    public TimeSpan InterfaceRescanInterval { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>ARP probes (RFC 5227 §2.1) / DAD solicitations sent before announcing a new IP; 0 announces at once without probing.</summary>
    public int ProbeCount { get; set; } = 2;

    /// <summary>Spacing of the probes; the IP is announced <see cref="ProbeCount"/> × this after the first probe if nobody answered.</summary>
    public TimeSpan ProbeInterval { get; set; } = TimeSpan.FromMilliseconds(20);

    /// <summary>Offsets, after the immediate one, of the gratuitous ARP / unsolicited NA rounds sent on becoming owner.</summary>
    public IList<TimeSpan> GratuitousBurst { get; } = [TimeSpan.FromMilliseconds(250), TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(2)];

    /// <summary>While another host answers for one of our IPs, it is probed again at this interval until it goes quiet.</summary>
    public TimeSpan ConflictRecheckInterval { get; set; } = TimeSpan.FromMilliseconds(500);

    /// <summary>
    /// Network namespace to work in (<c>/var/run/netns/NAME</c>); null means the process's own. The speaker runs with
    /// hostNetwork and leaves this null; tests and the sandbox run several speakers in one process with it.
    /// </summary>
    public string? NetworkNamespacePath { get; set; }
}
