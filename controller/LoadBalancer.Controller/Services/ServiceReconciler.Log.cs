using Microsoft.Extensions.Logging;

namespace LoadBalancer.Controller.Services;

internal sealed partial class ServiceReconciler
{
    private static partial class Log
    {
        [LoggerMessage(EventId = 2001, Level = LogLevel.Information, Message = "Leading: restored {Restored} assignments from Service status ({Services} Services, {Pools} pools) in {ElapsedMs} ms")]
        public static partial void Started(ILogger logger, int restored, int services, int pools, double elapsedMs);

        [LoggerMessage(EventId = 2002, Level = LogLevel.Information, Message = "Assigned {Ip} from pool {Pool} to {Service}")]
        public static partial void Assigned(ILogger logger, string service, string ip, string pool);

        [LoggerMessage(EventId = 2003, Level = LogLevel.Warning, Message = "{Service} has no IP: {Reason}")]
        public static partial void Pending(ILogger logger, string service, string reason);

        [LoggerMessage(EventId = 2004, Level = LogLevel.Warning, Message = "Work item {Key} failed, will retry: {Reason}")]
        public static partial void WorkFailed(ILogger logger, string key, string reason, Exception exception);

        [LoggerMessage(EventId = 1501, Level = LogLevel.Information, Message = "Configuration loaded: {Pools} pools, {Errors} errors, {Evicted} Services lost their IP")]
        public static partial void ConfigLoaded(ILogger logger, int pools, int errors, int evicted);

        [LoggerMessage(EventId = 1502, Level = LogLevel.Warning, Message = "Invalid configuration: {Object}: {Field}: {Reason}")]
        public static partial void InvalidConfiguration(ILogger logger, string @object, string field, string reason);
    }
}
