using LoadBalancer.Controller.Diagnostics;
using LoadBalancer.Controller.Services;
using LoadBalancer.Kube;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace LoadBalancer.Controller.Hosting;

/// <summary>
/// The controller's main loop: informers run on every replica (warm standby); with leader election, only the Lease
/// holder runs a <see cref="ServiceReconciler"/>, and each leadership term starts from a fresh allocator rebuilt from
/// the Services' statuses, so a change of leader moves no IP.
/// </summary>
internal sealed partial class ControllerService(
    IKubeClient client, ControllerOptions options, ControllerMetrics metrics, ControllerState state, TimeProvider time, ILoggerFactory loggers)
    : BackgroundService
{
    private readonly ILogger _logger = loggers.CreateLogger("LoadBalancer.Controller");

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        try
        {
            await using var caches = new ClusterCaches(client, options.Namespace, time, loggers);
            caches.Start(stoppingToken);
            state.Caches = caches;
            await using var recorder = new EventRecorder(client,
                new EventRecorderOptions { ReportingController = "lb.baremetal.dev/controller", ReportingInstance = options.Identity },
                time, loggers.CreateLogger("LoadBalancer.Controller.Events"));
            var sink = new RecorderEventSink(recorder);
            Log.Starting(_logger, options.Identity, options.Namespace, options.LoadBalancerClass, options.LeaderElect);

            async Task LeadAsync(CancellationToken leading)
            {
                using var reconciler = new ServiceReconciler(client, caches, options.Namespace, options.LoadBalancerClass, options.ResyncPeriod,
                    sink, metrics, time, loggers.CreateLogger("LoadBalancer.Controller.Services"));
                state.Reconciler = reconciler;
                try
                {
                    await reconciler.RunAsync(leading).ConfigureAwait(false);
                }
                finally
                {
                    state.Reconciler = null;
                    await recorder.FlushAsync(CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(5), time, CancellationToken.None).ConfigureAwait(false);
                }
            }

            if (!options.LeaderElect)
            {
                await LeadAsync(stoppingToken).ConfigureAwait(false);
                return;
            }
            var elector = new LeaderElector(client, new LeaderElectionOptions
            {
                LeaseNamespace = options.Namespace,
                LeaseName = options.LeaseName,
                Identity = options.Identity,
                LeaseDuration = options.LeaseDuration,
                RenewDeadline = options.RenewDeadline,
                RetryPeriod = options.RetryPeriod,
                OnStartedLeading = LeadAsync,
                OnStoppedLeading = () => Log.StoppedLeading(_logger, options.Identity),
                OnNewLeader = leader => Log.NewLeader(_logger, leader),
            }, time, loggers.CreateLogger("LoadBalancer.Controller.LeaderElection"));
            await elector.RunAsync(stoppingToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
        catch (Exception e)
        {
            state.Failed = true;
            Log.Crashed(_logger, e);
            throw;
        }
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 9001, Level = LogLevel.Information, Message = "Controller {Identity} starting: namespace {Namespace}, class {Class}, leader election {LeaderElect}")]
        public static partial void Starting(ILogger logger, string identity, string @namespace, string @class, bool leaderElect);

        [LoggerMessage(EventId = 9002, Level = LogLevel.Information, Message = "{Identity} stopped leading")]
        public static partial void StoppedLeading(ILogger logger, string identity);

        [LoggerMessage(EventId = 9003, Level = LogLevel.Information, Message = "The leader is now {Node}")]
        public static partial void NewLeader(ILogger logger, string node);

        [LoggerMessage(EventId = 9004, Level = LogLevel.Critical, Message = "The controller loop died")]
        public static partial void Crashed(ILogger logger, Exception exception);
    }
}
