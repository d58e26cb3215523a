using LoadBalancer.Speaker.Announcing;

namespace LoadBalancer.Speaker.Hosting;

/// <summary>
/// <c>--layer2 off</c>: the planner produces no Layer 2 announcements, and this takes the place of the ARP/NDP
/// responder so no packet socket is opened. Anything it is asked to announce is reported as a failure.
/// </summary>
internal sealed class DisabledLayer2Announcer : ILayer2Announcer
{
    private IReadOnlyCollection<AnnounceFailure> _failures = [];

    public IReadOnlyCollection<AnnounceFailure> Failures => _failures;

    public event Action? FailuresChanged;

    public ValueTask SetDesiredAsync(IReadOnlyCollection<Layer2Announcement> desired, CancellationToken cancellationToken)
    {
        var next = desired.Select(d => new AnnounceFailure(d.Ip, "layer2Disabled", "this speaker runs with --layer2 off")).ToArray();
        if (next.Length != _failures.Count || !next.SequenceEqual(_failures))
        {
            _failures = next;
            FailuresChanged?.Invoke();
        }
        return ValueTask.CompletedTask;
    }
}

/// <summary>
/// No peer probing (no probe key was provided): nobody is ever reported unreachable, so liveness is the Leases alone.
/// </summary>
internal sealed class LeaseOnlyPeerProber : IPeerProber
{
    public IReadOnlySet<string> Unreachable { get; } = new HashSet<string>();

    public event Action? Changed { add { } remove { } }

    public void SetPeers(IReadOnlyCollection<SpeakerPeer> peers)
    {
    }
}
