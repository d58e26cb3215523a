using LoadBalancer.Kube;
using LoadBalancer.Kube.Api;
using LoadBalancer.Model.Config;
using LoadBalancer.Model.Crds;
using Microsoft.Extensions.Logging;

namespace LoadBalancer.Controller.Services;

internal enum WorkKind
{
    Service,
    /// <summary>Rebuild the configuration from every CR.</summary>
    Config,
    /// <summary>Write pool status and the Valid conditions of every CR.</summary>
    Status,
    /// <summary>Look at every Service again.</summary>
    ReprocessAll,
}

/// <summary>One key of the controller's work queue.</summary>
internal readonly record struct WorkKey(WorkKind Kind, string Namespace = "", string Name = "")
{
    public static WorkKey Config { get; } = new(WorkKind.Config);
    public static WorkKey Status { get; } = new(WorkKind.Status);
    public static WorkKey All { get; } = new(WorkKind.ReprocessAll);
    public static WorkKey ForService(string ns, string name) => new(WorkKind.Service, ns, name);
    public override string ToString() => Kind == WorkKind.Service ? $"{Namespace}/{Name}" : Kind.ToString();
}

/// <summary>
/// The informers the controller reads: Services (all namespaces), our CRs (the install namespace) and Namespaces. They
/// run whether or not this replica leads, so a standby takes over with a warm cache. Events only enqueue keys.
/// </summary>
internal sealed class ClusterCaches : IAsyncDisposable
{
    private Action<WorkKey>? _sink;

    public ClusterCaches(IKubeClient client, string @namespace, TimeProvider time, ILoggerFactory loggers)
    {
        var crOptions = new InformerOptions { Namespace = @namespace };
        Services = new Informer<V1Service>(client, KubeResources.Services, new InformerOptions(), time, loggers.CreateLogger("Informer.Services"));
        Namespaces = new Informer<V1Namespace>(client, KubeResources.Namespaces, new InformerOptions(), time, loggers.CreateLogger("Informer.Namespaces"));
        Pools = new Informer<IPAddressPool>(client, ModelResources.IPAddressPools, crOptions, time, loggers.CreateLogger("Informer.IPAddressPools"));
        L2Advertisements = new Informer<L2Advertisement>(client, ModelResources.L2Advertisements, crOptions, time, loggers.CreateLogger("Informer.L2Advertisements"));
        BgpAdvertisements = new Informer<BGPAdvertisement>(client, ModelResources.BGPAdvertisements, crOptions, time, loggers.CreateLogger("Informer.BGPAdvertisements"));
        Peers = new Informer<BGPPeer>(client, ModelResources.BGPPeers, crOptions, time, loggers.CreateLogger("Informer.BGPPeers"));
        BfdProfiles = new Informer<BFDProfile>(client, ModelResources.BFDProfiles, crOptions, time, loggers.CreateLogger("Informer.BFDProfiles"));
        Communities = new Informer<Community>(client, ModelResources.Communities, crOptions, time, loggers.CreateLogger("Informer.Communities"));

        Services.AddHandler(s => Send(ServiceKey(s)), (_, s) => Send(ServiceKey(s)), s => Send(ServiceKey(s)));
        Namespaces.AddHandler(_ => Send(WorkKey.Config), (o, n) => { if (!SameLabels(o, n)) Send(WorkKey.Config); }, _ => Send(WorkKey.Config));
        Watch(Pools);
        Watch(L2Advertisements);
        Watch(BgpAdvertisements);
        Watch(Peers);
        Watch(BfdProfiles);
        Watch(Communities);
    }

    public Informer<V1Service> Services { get; }
    public Informer<V1Namespace> Namespaces { get; }
    public Informer<IPAddressPool> Pools { get; }
    public Informer<L2Advertisement> L2Advertisements { get; }
    public Informer<BGPAdvertisement> BgpAdvertisements { get; }
    public Informer<BGPPeer> Peers { get; }
    public Informer<BFDProfile> BfdProfiles { get; }
    public Informer<Community> Communities { get; }

    private void Watch<T>(Informer<T> informer) where T : class, IKubeObject
        => informer.AddHandler(_ => Send(WorkKey.Config), (_, _) => Send(WorkKey.Config), _ => Send(WorkKey.Config));

    private static bool SameLabels(V1Namespace a, V1Namespace b)
    {
        var x = a.Metadata.Labels ?? [];
        var y = b.Metadata.Labels ?? [];
        return x.Count == y.Count && x.All(kv => y.TryGetValue(kv.Key, out var v) && v == kv.Value);
    }

    private static WorkKey ServiceKey(V1Service s) => WorkKey.ForService(s.Metadata.Namespace ?? "default", s.Metadata.Name ?? "");

    private void Send(WorkKey key) => Volatile.Read(ref _sink)?.Invoke(key);

    /// <summary>Where informer events go while this replica leads (null = nowhere).</summary>
    public void SetSink(Action<WorkKey>? sink) => Volatile.Write(ref _sink, sink);

    public void Start(CancellationToken cancellationToken)
    {
        Services.Start(cancellationToken);
        Namespaces.Start(cancellationToken);
        Pools.Start(cancellationToken);
        L2Advertisements.Start(cancellationToken);
        BgpAdvertisements.Start(cancellationToken);
        Peers.Start(cancellationToken);
        BfdProfiles.Start(cancellationToken);
        Communities.Start(cancellationToken);
    }

    public bool IsReady => Services.IsReady && Namespaces.IsReady && Pools.IsReady && L2Advertisements.IsReady
        && BgpAdvertisements.IsReady && Peers.IsReady && BfdProfiles.IsReady && Communities.IsReady;

    public Task ReadyAsync(CancellationToken cancellationToken) => Task.WhenAll(
        Services.ReadyAsync(cancellationToken), Namespaces.ReadyAsync(cancellationToken), Pools.ReadyAsync(cancellationToken),
        L2Advertisements.ReadyAsync(cancellationToken), BgpAdvertisements.ReadyAsync(cancellationToken), Peers.ReadyAsync(cancellationToken),
        BfdProfiles.ReadyAsync(cancellationToken), Communities.ReadyAsync(cancellationToken));

    public ClusterResources Resources() => new()
    {
        Pools = Pools.Snapshot(),
        L2Advertisements = L2Advertisements.Snapshot(),
        BgpAdvertisements = BgpAdvertisements.Snapshot(),
        Peers = Peers.Snapshot(),
        BfdProfiles = BfdProfiles.Snapshot(),
        Communities = Communities.Snapshot(),
        Namespaces = Namespaces.Snapshot(),
    };

    public async ValueTask DisposeAsync()
    {
        SetSink(null);
        await Services.DisposeAsync().ConfigureAwait(false);
        await Namespaces.DisposeAsync().ConfigureAwait(false);
        await Pools.DisposeAsync().ConfigureAwait(false);
        await L2Advertisements.DisposeAsync().ConfigureAwait(false);
        await BgpAdvertisements.DisposeAsync().ConfigureAwait(false);
        await Peers.DisposeAsync().ConfigureAwait(false);
        await BfdProfiles.DisposeAsync().ConfigureAwait(false);
        await Communities.DisposeAsync().ConfigureAwait(false);
    }
}
