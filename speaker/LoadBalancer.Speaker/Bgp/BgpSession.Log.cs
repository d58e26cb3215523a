using System.Net;
using Microsoft.Extensions.Logging;

namespace LoadBalancer.Speaker.Bgp;

internal sealed partial class BgpSession
{
    [LoggerMessage(EventId = 5001, EventName = "BgpSessionEstablished", Level = LogLevel.Information,
        Message = "BGP session {Peer} to {PeerAddress} (AS {PeerAsn}) established, hold time {HoldSeconds} s")]
    private static partial void LogEstablished(ILogger logger, string peer, IPAddress peerAddress, uint peerAsn, double holdSeconds);

    [LoggerMessage(EventId = 5002, EventName = "BgpSessionDown", Level = LogLevel.Warning, Message = "BGP session {Peer} down: {Reason}")]
    private static partial void LogDown(ILogger logger, string peer, string reason);

    [LoggerMessage(EventId = 5003, EventName = "BgpConnectFailed", Level = LogLevel.Debug, Message = "BGP session {Peer}: connecting to {PeerAddress} port {Port} failed: {Reason}")]
    private static partial void LogConnectFailed(ILogger logger, string peer, IPAddress peerAddress, ushort port, string reason);

    [LoggerMessage(EventId = 5004, EventName = "BgpNotificationSent", Level = LogLevel.Warning, Message = "BGP session {Peer}: sending NOTIFICATION {Notification}")]
    private static partial void LogNotificationSent(ILogger logger, string peer, string notification);

    [LoggerMessage(EventId = 5005, EventName = "BgpNotificationReceived", Level = LogLevel.Warning, Message = "BGP session {Peer}: peer sent NOTIFICATION {Notification}")]
    private static partial void LogNotificationReceived(ILogger logger, string peer, string notification);

    [LoggerMessage(EventId = 5006, EventName = "BgpBadMessage", Level = LogLevel.Warning, Message = "BGP session {Peer}: malformed message from the peer, answering {Notification}")]
    private static partial void LogBadMessage(ILogger logger, string peer, string notification);

    [LoggerMessage(EventId = 5007, EventName = "BgpTreatAsWithdraw", Level = LogLevel.Information, Message = "BGP session {Peer}: malformed attribute in an UPDATE from the peer, treated as withdraw (RFC 7606): {Error}")]
    private static partial void LogTreatAsWithdraw(ILogger logger, string peer, LoadBalancer.Proto.Bgp.BgpNotification error);

    [LoggerMessage(EventId = 5008, EventName = "BgpUpdatesSent", Level = LogLevel.Debug, Message = "BGP session {Peer}: sent {Messages} UPDATE messages ({Announced} prefixes announced, {Withdrawn} withdrawn)")]
    private static partial void LogUpdatesSent(ILogger logger, string peer, int messages, int announced, int withdrawn);

    [LoggerMessage(EventId = 5009, EventName = "BgpPeerRoutesIgnored", Level = LogLevel.Trace, Message = "BGP session {Peer}: ignored an UPDATE from the peer ({Announced} announced, {Withdrawn} withdrawn); this speaker accepts no routes")]
    private static partial void LogPeerRoutesIgnored(ILogger logger, string peer, int announced, int withdrawn);

    [LoggerMessage(EventId = 5010, EventName = "BgpSessionLoopFailed", Level = LogLevel.Error, Message = "BGP session {Peer}: session loop failed")]
    private static partial void LogLoopFailed(ILogger logger, Exception exception, string peer);

    [LoggerMessage(EventId = 5011, EventName = "BgpRestartScheduled", Level = LogLevel.Debug, Message = "BGP session {Peer}: starting again in {DelayMs:0} ms (failure {Failures} in a row)")]
    private static partial void LogRestartScheduled(ILogger logger, string peer, double delayMs, int failures);

    [LoggerMessage(EventId = 5012, EventName = "BgpConnecting", Level = LogLevel.Debug, Message = "BGP session {Peer}: connecting to {PeerAddress} port {Port} (attempt {Attempt})")]
    private static partial void LogConnecting(ILogger logger, string peer, IPAddress peerAddress, ushort port, int attempt);

    [LoggerMessage(EventId = 5013, EventName = "BgpConnected", Level = LogLevel.Debug, Message = "BGP session {Peer}: TCP connected {Local} -> {Remote}")]
    private static partial void LogConnected(ILogger logger, string peer, EndPoint? local, EndPoint? remote);
}

internal sealed partial class BgpSession
{
    [LoggerMessage(EventId = 5014, EventName = "BgpAccepted", Level = LogLevel.Debug, Message = "BGP session {Peer}: accepted a connection {Remote} -> {Local} in {State}")]
    private static partial void LogAccepted(ILogger logger, string peer, EndPoint? remote, EndPoint? local, LoadBalancer.Proto.Bgp.BgpState state);

    [LoggerMessage(EventId = 5015, EventName = "BgpCollision", Level = LogLevel.Information,
        Message = "BGP session {Peer}: connection collision (our identifier {LocalId}, the peer's {RemoteId}): keeping the connection {Kept}, closing the other with Cease 6/7")]
    private static partial void LogCollision(ILogger logger, string peer, BgpId localId, BgpId remoteId, string kept);
}
