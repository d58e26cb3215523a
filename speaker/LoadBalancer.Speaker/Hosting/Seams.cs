using LoadBalancer.Kube.Api;
using LoadBalancer.Model.Config;
using LoadBalancer.Speaker.Announcing;
using LoadBalancer.Speaker.Planning;
using LoadBalancer.Speaker.Status;

namespace LoadBalancer.Speaker.Hosting;

/// <summary>What the speaker watches (informer caches in production, plain lists in tests).</summary>
internal interface IClusterView
{
    ClusterObjects Objects();

    IReadOnlyList<V1Lease> Leases();

    /// <summary>The latest configuration build (valid objects in force, errors for the rest).</summary>
    ConfigResult Config();

    /// <summary>Every cache has done its first full list.</summary>
    bool IsSynced { get; }

    /// <summary>Raised (from any thread) when anything watched changes.</summary>
    event Action? Changed;
}

/// <summary>Writes this node's status objects (ServiceAnnouncement, BGPSession).</summary>
internal interface IAnnouncementStatusWriter
{
    /// <summary>Makes this node's ServiceAnnouncements match <paramref name="plan"/> (create, update, delete).</summary>
    Task ApplyAsync(AnnouncementPlan plan, CancellationToken cancellationToken);

    /// <summary>Deletes ServiceAnnouncements of nodes that are not in <paramref name="liveNodes"/> (crashed speakers).</summary>
    Task CollectGarbageAsync(IReadOnlySet<string> liveNodes, CancellationToken cancellationToken);

    /// <summary>Writes one BGPSession status (called on state changes only); null state deletes it.</summary>
    Task WriteSessionAsync(BgpSessionStatus session, bool delete, CancellationToken cancellationToken);
}

/// <summary>Posts Service Events (never blocks, never throws).</summary>
internal interface IServiceEventSink
{
    /// <param name="uid">The Service's UID when known (kubectl describe matches Events by it).</param>
    void Post(ServiceEvent serviceEvent, string? uid);
}

/// <summary>Holds this speaker's liveness Lease.</summary>
internal interface ILeaseHolder
{
    /// <summary>Creates or renews the Lease; true when it is held now.</summary>
    Task<bool> RenewAsync(CancellationToken cancellationToken);

    /// <summary>Deletes the Lease so the other speakers see this one gone at once.</summary>
    Task ReleaseAsync(CancellationToken cancellationToken);
}
