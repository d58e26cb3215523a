using System.Collections.Immutable;

namespace LoadBalancer.Proto.Bgp;

/// <summary>The six session states of RFC 4271 §8.</summary>
public enum BgpState
{
    Idle,
    Connect,
    Active,
    OpenSent,
    OpenConfirm,
    Established,
}

/// <summary>What the local side is configured to do on one session.</summary>
/// <param name="HoldTime">Proposed hold time; 0 disables keepalives and the hold timer (if the peer agrees), else at least 3 s.</param>
/// <param name="KeepaliveTime">Keepalive interval, or null for a third of the negotiated hold time (never more than that).</param>
/// <param name="Passive">Wait for the peer to connect (RFC 4271 PassiveTcpEstablishment) instead of dialling.</param>
public sealed record BgpFsmConfig(uint LocalAsn, uint PeerAsn, uint LocalBgpId, TimeSpan HoldTime, TimeSpan? KeepaliveTime,
    TimeSpan ConnectRetryTime, bool Passive = false)
{
    /// <summary>RFC 4271 §8.2.2: the hold timer while waiting for the peer's OPEN ("a large value", 4 minutes suggested).</summary>
    public static TimeSpan LargeHoldTime { get; } = TimeSpan.FromMinutes(4);

    public bool IsInternal => LocalAsn == PeerAsn;
}

/// <summary>The FSM state: RFC 4271 state plus the session variables of §8 that the decisions need.</summary>
public sealed record BgpFsmState(BgpState State, BgpFsmConfig Config, int ConnectRetryCounter = 0,
    TimeSpan NegotiatedHoldTime = default, TimeSpan KeepaliveInterval = default, BgpOpen? PeerOpen = null, string? LastError = null)
{
    public static BgpFsmState Initial(BgpFsmConfig config) => new(BgpState.Idle, config);
}

/// <summary>Inputs of the FSM (RFC 4271 §8.1 events, grouped where the handling is the same).</summary>
public abstract record BgpEvent
{
    /// <summary>Events 1/3 (ManualStart, AutomaticStart) or 4/5 (… with PassiveTcpEstablishment, per config).</summary>
    public sealed record Start : BgpEvent;

    /// <summary>Event 2 ManualStop: close with this NOTIFICATION (Cease / Administrative Shutdown by default).</summary>
    public sealed record Stop(BgpNotification? Notification = null) : BgpEvent;

    /// <summary>Event 9.</summary>
    public sealed record ConnectRetryTimerExpires : BgpEvent;

    /// <summary>Event 10.</summary>
    public sealed record HoldTimerExpires : BgpEvent;

    /// <summary>Event 11.</summary>
    public sealed record KeepaliveTimerExpires : BgpEvent;

    /// <summary>Events 16/17 (Tcp_CR_Acked, TcpConnectionConfirmed): the transport is up.</summary>
    public sealed record TcpConnected(bool Outbound) : BgpEvent;

    /// <summary>Event 18.</summary>
    public sealed record TcpConnectionFails(string Reason) : BgpEvent;

    /// <summary>Event 19 BGPOpen: a well-formed OPEN.</summary>
    public sealed record OpenReceived(BgpOpen Open) : BgpEvent;

    /// <summary>Events 21/22/28 (header, OPEN, UPDATE errors): send this NOTIFICATION and close.</summary>
    public sealed record MessageError(BgpNotification Notification) : BgpEvent;

    /// <summary>Event 23 OpenCollisionDump: collision detection chose to close this connection.</summary>
    public sealed record OpenCollisionDump : BgpEvent;

    /// <summary>Events 24/25.</summary>
    public sealed record NotificationReceived(BgpNotification Notification) : BgpEvent;

    /// <summary>Event 26.</summary>
    public sealed record KeepaliveReceived : BgpEvent;

    /// <summary>Event 27 (and a ROUTE-REFRESH): restarts the hold timer in Established.</summary>
    public sealed record UpdateReceived : BgpEvent;

    /// <summary>We sent an UPDATE: RFC 4271 §10 restarts the keepalive timer.</summary>
    public sealed record UpdateSent : BgpEvent;
}

/// <summary>Outputs of the FSM, carried out by the session in order.</summary>
public abstract record BgpAction
{
    public sealed record Connect : BgpAction;

    public sealed record DropConnection : BgpAction;

    public sealed record SendOpen : BgpAction;

    public sealed record SendKeepalive : BgpAction;

    public sealed record SendNotification(BgpNotification Notification) : BgpAction;

    /// <summary>Start or restart; <see cref="TimeSpan.Zero"/> stops it.</summary>
    public sealed record SetConnectRetryTimer(TimeSpan Due) : BgpAction;

    /// <summary>Start or restart; <see cref="TimeSpan.Zero"/> stops it.</summary>
    public sealed record SetHoldTimer(TimeSpan Due) : BgpAction;

    /// <summary>Start or restart; <see cref="TimeSpan.Zero"/> stops it.</summary>
    public sealed record SetKeepaliveTimer(TimeSpan Due) : BgpAction;

    /// <summary>The session reached Established: send the Adj-RIB-Out, then End-of-RIB.</summary>
    public sealed record SessionEstablished : BgpAction;

    /// <summary>The session left Established (or a connection attempt ended): the peer no longer holds our routes.</summary>
    public sealed record SessionDown(string Reason) : BgpAction;
}

/// <summary>The result of one step.</summary>
public readonly record struct BgpTransition(BgpFsmState State, ImmutableArray<BgpAction> Actions);
