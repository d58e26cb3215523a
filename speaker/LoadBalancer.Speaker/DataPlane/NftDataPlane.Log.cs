using Microsoft.Extensions.Logging;

namespace LoadBalancer.Speaker.DataPlane;

internal sealed partial class NftDataPlane
{
    private static partial class Log
    {
        [LoggerMessage(EventId = 5001, Level = LogLevel.Information, Message = "Data plane backend: {Backend}")]
        public static partial void BackendSelected(ILogger logger, string backend);

        [LoggerMessage(EventId = 5002, Level = LogLevel.Debug, Message = "Applied {Kind} nftables transaction: {Changed} of {Total} Services in {Milliseconds} ms")]
        public static partial void Applied(ILogger logger, string kind, int changed, int total, double milliseconds);

        [LoggerMessage(EventId = 5003, Level = LogLevel.Error, Message = "Applying the {Kind} nftables transaction to table inet {Table} failed; the kernel keeps the previous rules: {Reason}")]
        public static partial void ApplyFailed(ILogger logger, string kind, string table, string reason);

        [LoggerMessage(EventId = 5004, Level = LogLevel.Information, Message = "Data plane retry (full replace) in {Seconds} s")]
        public static partial void RetryScheduled(ILogger logger, double seconds);

        [LoggerMessage(EventId = 5005, Level = LogLevel.Information, Message = "Data plane applies succeed again")]
        public static partial void Recovered(ILogger logger);

        [LoggerMessage(EventId = 5006, Level = LogLevel.Warning, Message = "Service {Service} is not fully forwarded: {Reason}")]
        public static partial void ServiceProblem(ILogger logger, string service, string reason);

        [LoggerMessage(EventId = 5007, Level = LogLevel.Warning, Message = "Reading data plane counters failed: {Reason}")]
        public static partial void CountersFailed(ILogger logger, string reason);

        [LoggerMessage(EventId = 5008, Level = LogLevel.Error, Message = "Data plane loop error (continuing)")]
        public static partial void LoopFailed(ILogger logger, Exception exception);

        [LoggerMessage(EventId = 5009, Level = LogLevel.Warning, Message = "nf_tables netlink writer unavailable, incremental transactions go through {Backend}: {Reason}")]
        public static partial void NetlinkUnavailable(ILogger logger, string backend, string reason);

        [LoggerMessage(EventId = 5010, Level = LogLevel.Debug, Message = "Incremental transaction sent through {Backend}: {Reason}")]
        public static partial void NetlinkNotCovered(ILogger logger, string backend, string reason);

        [LoggerMessage(EventId = 5011, Level = LogLevel.Information, Message = "Deleted stale {Proto} conntrack entries of Service {Service}: {Vip}:{Port} -> {Endpoint}")]
        public static partial void ConntrackFlushed(ILogger logger, string proto, LoadBalancer.Speaker.Announcing.ServiceKey service, System.Net.IPAddress vip, int port, System.Net.IPEndPoint endpoint);

        [LoggerMessage(EventId = 5012, Level = LogLevel.Warning, Message = "Flushing stale conntrack entries failed: {Reason}")]
        public static partial void ConntrackFailed(ILogger logger, string reason);
    }
}
