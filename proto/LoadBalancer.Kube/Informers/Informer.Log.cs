using Microsoft.Extensions.Logging;

namespace LoadBalancer.Kube;

public sealed partial class Informer<T>
{
    private static partial class Log
    {
        [LoggerMessage(Level = LogLevel.Debug, Message = "informer {Resource}: listed {Count} objects at resourceVersion {ResourceVersion}")]
        public static partial void Listed(ILogger logger, string resource, int count, string? resourceVersion);

        [LoggerMessage(Level = LogLevel.Information, Message = "informer {Resource}: resourceVersion {ResourceVersion} expired, listing again ({Detail})")]
        public static partial void Expired(ILogger logger, string resource, string? resourceVersion, string detail);

        [LoggerMessage(Level = LogLevel.Warning, Message = "informer {Resource}: {Operation} failed, retrying in {DelayMs} ms: {Detail}")]
        public static partial void Error(ILogger logger, string resource, string operation, double delayMs, string detail);

        [LoggerMessage(Level = LogLevel.Warning, Message = "informer {Resource}: ignoring watch event of unknown type {Type}")]
        public static partial void UnknownEvent(ILogger logger, string resource, string type);

        [LoggerMessage(Level = LogLevel.Error, Message = "informer {Resource}: a handler threw")]
        public static partial void HandlerFailed(ILogger logger, string resource, Exception exception);
    }
}
