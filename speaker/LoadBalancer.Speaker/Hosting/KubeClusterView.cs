using LoadBalancer.Kube;
using LoadBalancer.Kube.Api;
using LoadBalancer.Model.Config;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace LoadBalancer.Speaker.Hosting;

/// <summary>
/// Informer caches of everything the speaker reads: Services, EndpointSlices and Nodes cluster-wide; Leases, Secrets
/// and our configuration CRs in the speaker's namespace. The configuration is rebuilt (ConfigBuilder, keeping the last
/// good version of a broken object) only when a CR changed.
/// </summary>
internal sealed class KubeClusterView : IClusterView, IHostedService, IAsyncDisposable
{
    private readonly Informer<V1Service> _services;
    private readonly Informer<V1EndpointSlice> _slices;
    private readonly Informer<V1Node> _nodes;
    private readonly Informer<V1Lease> _leases;
    private readonly Informer<V1Secret> _secrets;
    private readonly Informer<Model.Crds.IPAddressPool> _pools;
    private readonly Informer<Model.Crds.L2Advertisement> _l2;
    private readonly Informer<Model.Crds.BGPAdvertisement> _bgpAds;
    private readonly Informer<Model.Crds.BGPPeer> _peers;
    private readonly Informer<Model.Crds.Community> _communities;
    private readonly Informer<Model.Crds.BFDProfile> _bfd;
    private readonly IAsyncDisposable[] _all;
    private readonly object _gate = new();
    private readonly string _namespace;
    private ConfigResult? _config;
    private volatile bool _configDirty = true;
    private CancellationTokenSource? _cts;

    public KubeClusterView(IKubeClient client, SpeakerOptions options, TimeProvider time, ILoggerFactory loggers)
    {
        _namespace = options.Namespace;
        var cluster = new InformerOptions();
        var local = new InformerOptions { Namespace = options.Namespace };
        Informer<T> Make<T>(ResourceType<T> type, InformerOptions o, bool config) where T : class, IKubeObject
        {
            var inf = new Informer<T>(client, type, o, time, loggers.CreateLogger($"LoadBalancer.Speaker.Informer.{type.Plural}"));
            inf.AddHandler(_ => OnChange(config), (_, _) => OnChange(config), _ => OnChange(config));
            return inf;
        }
        _services = Make(KubeResources.Services, cluster, false);
        _slices = Make(KubeResources.EndpointSlices, cluster, false);
        _nodes = Make(KubeResources.Nodes, cluster, false);
        _leases = Make(KubeResources.Leases, local, false);
        _secrets = Make(KubeResources.Secrets, local, false);
        _pools = Make(SpeakerResources.Pools, local, true);
        _l2 = Make(SpeakerResources.L2Advertisements, local, true);
        _bgpAds = Make(SpeakerResources.BgpAdvertisements, local, true);
        _peers = Make(SpeakerResources.Peers, local, true);
        _communities = Make(SpeakerResources.Communities, local, true);
        _bfd = Make(SpeakerResources.BfdProfiles, local, true);
        _all = [_services, _slices, _nodes, _leases, _secrets, _pools, _l2, _bgpAds, _peers, _communities, _bfd];
    }

    public event Action? Changed;

    public bool IsSynced => _services.IsReady && _slices.IsReady && _nodes.IsReady && _leases.IsReady && _secrets.IsReady
        && _pools.IsReady && _l2.IsReady && _bgpAds.IsReady && _peers.IsReady && _communities.IsReady && _bfd.IsReady;

    private void OnChange(bool config)
    {
        if (config) _configDirty = true;
        Changed?.Invoke();
    }

    public ClusterObjects Objects() => new(_services.Snapshot(), _slices.Snapshot(), _nodes.Snapshot(), _secrets.Snapshot());

    public IReadOnlyList<V1Lease> Leases() => _leases.Snapshot();

    public ConfigResult Config()
    {
        lock (_gate)
        {
            if (_config is null || _configDirty)
            {
                _configDirty = false;
                _config = ConfigBuilder.Build(new ClusterResources
                {
                    Pools = _pools.Snapshot(),
                    L2Advertisements = _l2.Snapshot(),
                    BgpAdvertisements = _bgpAds.Snapshot(),
                    Peers = _peers.Snapshot(),
                    Communities = _communities.Snapshot(),
                    BfdProfiles = _bfd.Snapshot(),
                }, _config, new ConfigBuilderOptions { Namespace = _namespace });
            }
            return _config;
        }
    }

    public Task StartAsync(CancellationToken cancellationToken)
    {
        _cts = new CancellationTokenSource();
        _services.Start(_cts.Token);
        _slices.Start(_cts.Token);
        _nodes.Start(_cts.Token);
        _leases.Start(_cts.Token);
        _secrets.Start(_cts.Token);
        _pools.Start(_cts.Token);
        _l2.Start(_cts.Token);
        _bgpAds.Start(_cts.Token);
        _peers.Start(_cts.Token);
        _communities.Start(_cts.Token);
        _bfd.Start(_cts.Token);
        return Task.CompletedTask;
    }

    /// <summary>Caches stay up until the host is disposed, so the reconciler's last (withdraw) round still reads them.</summary>
    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public async ValueTask DisposeAsync()
    {
        if (_cts is not null) await _cts.CancelAsync().ConfigureAwait(false);
        foreach (var i in _all) await i.DisposeAsync().ConfigureAwait(false);
        _cts?.Dispose();
    }
}
