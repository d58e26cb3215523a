using Microsoft.Extensions.Logging;

namespace LoadBalancer.Speaker.Hosting;

internal sealed partial class SpeakerReconciler
{
    private static partial class Log
    {
        [LoggerMessage(EventId = 9101, Level = LogLevel.Information, Message = "Speaker starting: {Options}")]
        public static partial void Starting(ILogger logger, string options);

        [LoggerMessage(EventId = 9102, Level = LogLevel.Warning, Message = "Renewing the Lease of node {Node} failed: {Reason}")]
        public static partial void RenewFailed(ILogger logger, string node, string reason);

        [LoggerMessage(EventId = 9103, Level = LogLevel.Warning, Message = "Skipped bad input: {Reason}")]
        public static partial void InputProblem(ILogger logger, string reason);

        [LoggerMessage(EventId = 9104, Level = LogLevel.Error, Message = "Pushing the desired state to {Backend} failed (will retry): {Reason}")]
        public static partial void PushFailed(ILogger logger, string backend, string reason);

        [LoggerMessage(EventId = 9105, Level = LogLevel.Warning, Message = "Writing status failed (will retry): {Reason}")]
        public static partial void StatusFailed(ILogger logger, string reason);

        [LoggerMessage(EventId = 9106, Level = LogLevel.Warning, Message = "Clean shutdown step failed: {Reason}")]
        public static partial void StopFailed(ILogger logger, string reason);

        [LoggerMessage(EventId = 9107, Level = LogLevel.Information, Message = "Speaker on node {Node} stopped: announcements withdrawn, Lease released")]
        public static partial void Stopped(ILogger logger, string node);
    }
}
