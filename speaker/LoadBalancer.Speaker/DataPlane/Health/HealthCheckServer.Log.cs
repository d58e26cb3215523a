using LoadBalancer.Speaker.Announcing;
using Microsoft.Extensions.Logging;

namespace LoadBalancer.Speaker.DataPlane.Health;

internal sealed partial class HealthCheckServer
{
    private static partial class Log
    {
        [LoggerMessage(EventId = 5101, Level = LogLevel.Information, Message = "Serving healthCheckNodePort {Port} for Service {Service}")]
        public static partial void Opened(ILogger logger, int port, ServiceKey service);

        [LoggerMessage(EventId = 5102, Level = LogLevel.Information, Message = "Closed healthCheckNodePort {Port} of Service {Service}")]
        public static partial void Closed(ILogger logger, int port, ServiceKey service);

        [LoggerMessage(EventId = 5103, Level = LogLevel.Error, Message = "Cannot serve healthCheckNodePort {Port} for Service {Service}: {Reason}")]
        public static partial void BindFailed(ILogger logger, int port, ServiceKey service, string reason);

        [LoggerMessage(EventId = 5104, Level = LogLevel.Warning, Message = "healthCheckNodePort {Port} is wanted by {Service} and by {Other}; serving {Other}")]
        public static partial void PortClash(ILogger logger, int port, ServiceKey service, ServiceKey other);

        [LoggerMessage(EventId = 5105, Level = LogLevel.Debug, Message = "Health check request on port {Port} failed: {Reason}")]
        public static partial void RequestFailed(ILogger logger, int port, string reason);
    }
}
