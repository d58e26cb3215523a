using Microsoft.Extensions.Logging;

namespace LoadBalancer.Speaker.Layer2;

public sealed partial class Layer2Announcer
{
    private static partial class Log
    {
        [LoggerMessage(EventId = 3001, Level = LogLevel.Information, Message = "Announcing {Ip} on {Interface}")]
        public static partial void Announcing(ILogger logger, string ip, string @interface);

        [LoggerMessage(EventId = 3002, Level = LogLevel.Information, Message = "No longer answering for {Ip}")]
        public static partial void Withdrawn(ILogger logger, string ip);

        [LoggerMessage(EventId = 3003, Level = LogLevel.Warning, Message = "Address conflict: host {Mac} answers for {Ip} on {Interface} while this node is {Reason}; not fighting over it")]
        public static partial void Conflict(ILogger logger, string ip, string mac, string @interface, string reason);

        [LoggerMessage(EventId = 3004, Level = LogLevel.Information, Message = "Address conflict on {Ip} is over: nobody else answered the last probes")]
        public static partial void ConflictCleared(ILogger logger, string ip);

        [LoggerMessage(EventId = 3005, Level = LogLevel.Information, Message = "Layer 2 interfaces: {Interface} ({Reason} could not be opened)")]
        public static partial void PortsChanged(ILogger logger, string @interface, int reason);
    }
}
