using Microsoft.Extensions.Logging;

namespace LoadBalancer.Kube;

public sealed partial class EventRecorder
{
    private static partial class Log
    {
        [LoggerMessage(Level = LogLevel.Debug, Message = "event {Reason} for {ObjectId} dropped: too many new events for this object")]
        public static partial void Dropped(ILogger logger, string objectId, string reason);

        [LoggerMessage(Level = LogLevel.Warning, Message = "event type {Type} (reason {Reason}) is neither Normal nor Warning; recorded as Warning")]
        public static partial void BadType(ILogger logger, string type, string reason);

        [LoggerMessage(Level = LogLevel.Warning, Message = "could not write event {Namespace}/{Name} ({Reason}): {Detail}")]
        public static partial void WriteFailed(ILogger logger, string @namespace, string name, string reason, string detail);

        [LoggerMessage(Level = LogLevel.Error, Message = "recording event {Reason} failed")]
        public static partial void RecordFailed(ILogger logger, string reason, Exception exception);

        [LoggerMessage(Level = LogLevel.Warning, Message = "event recorder: flush on dispose timed out")]
        public static partial void FlushTimedOut(ILogger logger);
    }
}
