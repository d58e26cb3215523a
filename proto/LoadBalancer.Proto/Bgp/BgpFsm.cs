using System.Collections.Immutable;

namespace LoadBalancer.Proto.Bgp;

/// <summary>
/// The BGP finite state machine of RFC 4271 §8 as a pure function: <c>Step(state, event) -> (state, actions)</c>.
/// Timers are events the session raises from its <see cref="TimeProvider"/>; the FSM only says when to (re)start or
/// stop them. Optional session attributes not used: DelayOpen, DampPeerOscillations (the session applies a jittered
/// backoff before each automatic start instead), AllowAutomaticStop, SendNOTIFICATIONwithoutOPEN.
/// </summary>
public static class BgpFsm
{
    private static BgpTransition To(BgpFsmState s, params BgpAction[] actions) => new(s, [.. actions]);

    public static BgpTransition Step(BgpFsmState s, BgpEvent e)
    {
        var c = s.Config;
        switch (s.State)
        {
            case BgpState.Idle:
                return e switch
                {
                    BgpEvent.Start when c.Passive => To(s with { State = BgpState.Active, ConnectRetryCounter = 0, LastError = null }),
                    BgpEvent.Start => To(s with { State = BgpState.Connect, ConnectRetryCounter = 0, LastError = null },
                        new BgpAction.SetConnectRetryTimer(c.ConnectRetryTime), new BgpAction.Connect()),
                    BgpEvent.TcpConnected => To(s, new BgpAction.DropConnection()), // not started: refuse
                    _ => To(s), // RFC 4271 §8.2.2: other events are ignored in Idle
                };

            case BgpState.Connect:
            case BgpState.Active:
                switch (e)
                {
                    case BgpEvent.Start:
                        return To(s);
                    case BgpEvent.Stop:
                        return To(s with { State = BgpState.Idle, ConnectRetryCounter = 0 },
                            new BgpAction.DropConnection(), new BgpAction.SetConnectRetryTimer(TimeSpan.Zero));
                    case BgpEvent.ConnectRetryTimerExpires:
                        if (c.Passive) return To(s, new BgpAction.SetConnectRetryTimer(c.ConnectRetryTime));
                        return To(s with { State = BgpState.Connect },
                            new BgpAction.DropConnection(), new BgpAction.SetConnectRetryTimer(c.ConnectRetryTime), new BgpAction.Connect());
                    case BgpEvent.TcpConnected:
                        return To(s with { State = BgpState.OpenSent },
                            new BgpAction.SetConnectRetryTimer(TimeSpan.Zero), new BgpAction.SendOpen(),
                            new BgpAction.SetHoldTimer(BgpFsmConfig.LargeHoldTime));
                    case BgpEvent.TcpConnectionFails f when s.State == BgpState.Connect:
                        // Keep listening with the ConnectRetryTimer running; it dials again when it expires.
                        return To(s with { State = BgpState.Active, LastError = f.Reason }, new BgpAction.DropConnection(),
                            new BgpAction.SetConnectRetryTimer(c.ConnectRetryTime));
                    case BgpEvent.TcpConnectionFails f:
                        return ToIdle(s, f.Reason, countRetry: true);
                    default:
                        return ToIdle(s, $"unexpected {Name(e)} in {s.State}", countRetry: true);
                }

            case BgpState.OpenSent:
                switch (e)
                {
                    case BgpEvent.Start:
                        return To(s);
                    case BgpEvent.Stop stop:
                        return ToIdle(s with { ConnectRetryCounter = 0 }, "stopped", countRetry: false, stop.Notification ?? BgpNotification.Cease(BgpCeaseSubcode.AdministrativeShutdown));
                    case BgpEvent.HoldTimerExpires:
                        return ToIdle(s, "hold timer expired waiting for OPEN", countRetry: true, BgpNotification.HoldTimerExpired);
                    case BgpEvent.TcpConnectionFails f:
                        return To(s with { State = BgpState.Active, LastError = f.Reason }, new BgpAction.DropConnection(),
                            new BgpAction.SetHoldTimer(TimeSpan.Zero), new BgpAction.SetConnectRetryTimer(c.ConnectRetryTime));
                    case BgpEvent.OpenReceived open:
                        var problem = CheckOpen(c, open.Open);
                        if (problem is not null) return ToIdle(s, $"bad OPEN: {problem}", countRetry: true, problem);
                        var hold = TimeSpan.FromSeconds(Math.Min(open.Open.HoldTimeSeconds, (int)c.HoldTime.TotalSeconds));
                        var keepalive = hold == TimeSpan.Zero ? TimeSpan.Zero
                            : c.KeepaliveTime is { } k && k > TimeSpan.Zero && k <= hold / 3 ? k : TimeSpan.FromSeconds(Math.Max(1, (int)(hold.TotalSeconds / 3)));
                        return To(s with { State = BgpState.OpenConfirm, NegotiatedHoldTime = hold, KeepaliveInterval = keepalive, PeerOpen = open.Open },
                            new BgpAction.SetConnectRetryTimer(TimeSpan.Zero), new BgpAction.SendKeepalive(),
                            new BgpAction.SetKeepaliveTimer(keepalive), new BgpAction.SetHoldTimer(hold));
                    case BgpEvent.MessageError m:
                        return ToIdle(s, $"sent {m.Notification}", countRetry: true, m.Notification);
                    case BgpEvent.OpenCollisionDump:
                        return ToIdle(s, "connection collision", countRetry: true, BgpNotification.Cease(BgpCeaseSubcode.ConnectionCollisionResolution));
                    case BgpEvent.NotificationReceived n:
                        return ToIdle(s, $"peer sent {n.Notification}", countRetry: n.Notification.Code != BgpErrorCode.OpenMessage || n.Notification.Subcode != (byte)BgpOpenSubcode.UnsupportedVersionNumber);
                    default:
                        return ToIdle(s, $"unexpected {Name(e)} in OpenSent", countRetry: true, BgpNotification.Fsm(BgpFsmSubcode.UnexpectedMessageInOpenSent));
                }

            case BgpState.OpenConfirm:
                switch (e)
                {
                    case BgpEvent.Start:
                        return To(s);
                    case BgpEvent.Stop stop:
                        return ToIdle(s with { ConnectRetryCounter = 0 }, "stopped", countRetry: false, stop.Notification ?? BgpNotification.Cease(BgpCeaseSubcode.AdministrativeShutdown));
                    case BgpEvent.HoldTimerExpires:
                        return ToIdle(s, "hold timer expired", countRetry: true, BgpNotification.HoldTimerExpired);
                    case BgpEvent.KeepaliveTimerExpires:
                        return To(s, new BgpAction.SendKeepalive(), new BgpAction.SetKeepaliveTimer(s.KeepaliveInterval));
                    case BgpEvent.TcpConnectionFails f:
                        return ToIdle(s, f.Reason, countRetry: true);
                    case BgpEvent.NotificationReceived n:
                        return ToIdle(s, $"peer sent {n.Notification}", countRetry: true);
                    case BgpEvent.KeepaliveReceived:
                        return To(s with { State = BgpState.Established, LastError = null },
                            new BgpAction.SetHoldTimer(s.NegotiatedHoldTime), new BgpAction.SessionEstablished());
                    case BgpEvent.MessageError m:
                        return ToIdle(s, $"sent {m.Notification}", countRetry: true, m.Notification);
                    case BgpEvent.OpenCollisionDump:
                        return ToIdle(s, "connection collision", countRetry: true, BgpNotification.Cease(BgpCeaseSubcode.ConnectionCollisionResolution));
                    default:
                        return ToIdle(s, $"unexpected {Name(e)} in OpenConfirm", countRetry: true, BgpNotification.Fsm(BgpFsmSubcode.UnexpectedMessageInOpenConfirm));
                }

            case BgpState.Established:
                switch (e)
                {
                    case BgpEvent.Start:
                        return To(s);
                    case BgpEvent.Stop stop:
                        return ToIdle(s with { ConnectRetryCounter = 0 }, "stopped", countRetry: false, stop.Notification ?? BgpNotification.Cease(BgpCeaseSubcode.AdministrativeShutdown));
                    case BgpEvent.HoldTimerExpires:
                        return ToIdle(s, "hold timer expired: nothing received from the peer for " + s.NegotiatedHoldTime.TotalSeconds + " s", countRetry: true, BgpNotification.HoldTimerExpired);
                    case BgpEvent.KeepaliveTimerExpires:
                        return To(s, new BgpAction.SendKeepalive(), new BgpAction.SetKeepaliveTimer(s.KeepaliveInterval));
                    case BgpEvent.UpdateSent:
                        return To(s, new BgpAction.SetKeepaliveTimer(s.KeepaliveInterval));
                    case BgpEvent.KeepaliveReceived:
                    case BgpEvent.UpdateReceived:
                        return To(s, new BgpAction.SetHoldTimer(s.NegotiatedHoldTime));
                    case BgpEvent.TcpConnectionFails f:
                        return ToIdle(s, f.Reason, countRetry: true);
                    case BgpEvent.NotificationReceived n:
                        return ToIdle(s, $"peer sent {n.Notification}", countRetry: true);
                    case BgpEvent.MessageError m:
                        return ToIdle(s, $"sent {m.Notification}", countRetry: true, m.Notification);
                    case BgpEvent.OpenCollisionDump:
                        return ToIdle(s, "connection collision", countRetry: true, BgpNotification.Cease(BgpCeaseSubcode.ConnectionCollisionResolution));
                    default:
                        return ToIdle(s, $"unexpected {Name(e)} in Established", countRetry: true, BgpNotification.Fsm(BgpFsmSubcode.UnexpectedMessageInEstablished));
                }

            default:
                return To(s);
        }
    }

    private static string Name(BgpEvent e) => e.GetType().Name;

    /// <summary>Back to Idle: notification (if any), close, stop all timers, report the session down.</summary>
    private static BgpTransition ToIdle(BgpFsmState s, string reason, bool countRetry, BgpNotification? notification = null)
    {
        var actions = ImmutableArray.CreateBuilder<BgpAction>();
        if (notification is not null) actions.Add(new BgpAction.SendNotification(notification));
        actions.Add(new BgpAction.DropConnection());
        actions.Add(new BgpAction.SetConnectRetryTimer(TimeSpan.Zero));
        actions.Add(new BgpAction.SetHoldTimer(TimeSpan.Zero));
        actions.Add(new BgpAction.SetKeepaliveTimer(TimeSpan.Zero));
        actions.Add(new BgpAction.SessionDown(reason));
        return new BgpTransition(s with
        {
            State = BgpState.Idle,
            ConnectRetryCounter = s.ConnectRetryCounter + (countRetry ? 1 : 0),
            LastError = reason,
            PeerOpen = null,
        }, actions.ToImmutable());
    }

    /// <summary>The checks of RFC 4271 §6.2 that need the local configuration; null when the OPEN is acceptable.</summary>
    public static BgpNotification? CheckOpen(BgpFsmConfig config, BgpOpen open)
    {
        var four = open.Find<FourOctetAsCapability>();
        if (four is not null && open.MyAutonomousSystem != BgpConstants.AsTrans && open.MyAutonomousSystem != four.Asn)
            return BgpNotification.Open(BgpOpenSubcode.BadPeerAs); // RFC 6793 §4.2: inconsistent ASNs
        if (open.Asn != config.PeerAsn)
            return BgpNotification.Open(BgpOpenSubcode.BadPeerAs, [(byte)(open.MyAutonomousSystem >> 8), (byte)open.MyAutonomousSystem]);
        if (open.BgpIdentifier == 0 || (config.IsInternal && open.BgpIdentifier == config.LocalBgpId))
            return BgpNotification.Open(BgpOpenSubcode.BadBgpIdentifier); // RFC 6286 §2.1
        if (open.HoldTimeSeconds is 1 or 2)
            return BgpNotification.Open(BgpOpenSubcode.UnacceptableHoldTime);
        return null;
    }

    /// <summary>
    /// Connection collision (RFC 4271 §6.8): when two connections to the same peer reach OpenConfirm, the one
    /// initiated by the speaker with the higher BGP Identifier survives. True when the connection that we
    /// initiated (outbound) must be closed.
    /// </summary>
    public static bool CloseOutboundOnCollision(uint localBgpId, uint remoteBgpId) => localBgpId < remoteBgpId;

    /// <summary>
    /// RFC 4271 §6.8 for a session with one connection in <paramref name="existing"/> state when a second connection
    /// to the same peer carries the peer's OPEN (<paramref name="remoteBgpId"/>): a collision with an Established
    /// connection closes the new one; in OpenSent/OpenConfirm the connection initiated by the side with the higher
    /// BGP Identifier survives (the peer's identifier is known from the OPEN, so OpenSent counts too). Two
    /// connections in the same direction mean the initiator gave up the older one: it is closed.
    /// </summary>
    public static BgpCollision ResolveCollision(uint localBgpId, uint remoteBgpId, BgpState existing, bool existingOutbound, bool newOutbound)
    {
        if (existing == BgpState.Established) return BgpCollision.CloseNew;
        if (existing is not (BgpState.OpenSent or BgpState.OpenConfirm)) return BgpCollision.None;
        if (existingOutbound == newOutbound) return BgpCollision.CloseExisting;
        return CloseOutboundOnCollision(localBgpId, remoteBgpId) == existingOutbound ? BgpCollision.CloseExisting : BgpCollision.CloseNew;
    }
}

/// <summary>The outcome of <see cref="BgpFsm.ResolveCollision"/>; the closed connection gets CEASE / Connection Collision Resolution (6/7).</summary>
public enum BgpCollision
{
    /// <summary>The existing connection has not got that far (Idle, Connect, Active): the new one simply replaces the attempt.</summary>
    None,
    CloseExisting,
    CloseNew,
}
