using Microsoft.Extensions.Logging;

namespace LoadBalancer.Kube;

public sealed partial class LeaderElector
{
    private static partial class Log
    {
        [LoggerMessage(Level = LogLevel.Information, Message = "{Identity} became leader of lease {Namespace}/{Name}")]
        public static partial void StartedLeading(ILogger logger, string identity, string @namespace, string name);

        [LoggerMessage(Level = LogLevel.Warning, Message = "{Identity} stopped leading: {Reason}")]
        public static partial void StoppedLeading(ILogger logger, string identity, string reason);

        [LoggerMessage(Level = LogLevel.Information, Message = "{Identity} observed new leader {Leader}")]
        public static partial void NewLeader(ILogger logger, string identity, string leader);

        [LoggerMessage(Level = LogLevel.Debug, Message = "{Identity}: acquire/renew failed ({Code}): {Detail}")]
        public static partial void AttemptFailed(ILogger logger, string identity, int code, string detail);

        [LoggerMessage(Level = LogLevel.Information, Message = "{Identity} released lease {Namespace}/{Name}")]
        public static partial void Released(ILogger logger, string identity, string @namespace, string name);

        [LoggerMessage(Level = LogLevel.Warning, Message = "{Identity} could not release the lease: {Detail}")]
        public static partial void ReleaseFailed(ILogger logger, string identity, string detail);

        [LoggerMessage(Level = LogLevel.Error, Message = "{Identity}: leader callback threw")]
        public static partial void WorkFailed(ILogger logger, string identity, Exception exception);

        [LoggerMessage(Level = LogLevel.Warning, Message = "{Identity}: leader work did not stop within the renew deadline after its token was cancelled")]
        public static partial void WorkSlowToStop(ILogger logger, string identity);
    }
}
