using LoadBalancer.Controller.Services;

namespace LoadBalancer.Controller.Hosting;

/// <summary>What /healthz and /readyz report, and what tests look at.</summary>
internal sealed class ControllerState
{
    private volatile ClusterCaches? _caches;
    private volatile ServiceReconciler? _reconciler;
    private volatile bool _failed;

    public ClusterCaches? Caches { get => _caches; set => _caches = value; }

    /// <summary>The reconciler of the current leadership term, null while standing by.</summary>
    public ServiceReconciler? Reconciler { get => _reconciler; set => _reconciler = value; }

    public bool IsLeading => _reconciler is not null;

    public bool Failed { get => _failed; set => _failed = value; }

    /// <summary>Alive unless the main loop died.</summary>
    public bool IsHealthy => !_failed;

    /// <summary>Caches synced; when leading, also configuration built and assignments restored.</summary>
    public bool IsReady => !_failed && _caches is { IsReady: true } && (_reconciler is null || _reconciler.IsReady);
}
