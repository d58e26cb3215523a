using LoadBalancer.Proto.Bgp;
using static LoadBalancer.Proto.Bgp.BgpAction;
using E = LoadBalancer.Proto.Bgp.BgpEvent;

namespace LoadBalancer.Proto.Tests.Bgp;

/// <summary>Table tests of the RFC 4271 §8 state machine.</summary>
public sealed class BgpFsmTests
{
    private static readonly TimeSpan S9 = TimeSpan.FromSeconds(9);
    private static readonly BgpFsmConfig Config = new(64513, 64512, 0xC000020B, TimeSpan.FromSeconds(90), null, TimeSpan.FromSeconds(5));
    private static readonly BgpOpen PeerOpen = BgpOpen.Create(64512, 9, 0xC0000201, [new MultiprotocolCapability(BgpAfi.IPv4, BgpSafi.Unicast)]);

    private static BgpFsmState In(BgpState state, BgpFsmConfig? config = null)
        => new(state, config ?? Config, NegotiatedHoldTime: state >= BgpState.OpenConfirm ? S9 : default, KeepaliveInterval: state >= BgpState.OpenConfirm ? TimeSpan.FromSeconds(3) : default);

    private static string Describe(IEnumerable<BgpAction> actions) => string.Join(", ", actions.Select(a => a switch
    {
        SendNotification n => $"Notify {(byte)n.Notification.Code}/{n.Notification.Subcode}",
        SetConnectRetryTimer t => $"ConnectRetry {t.Due.TotalSeconds}",
        SetHoldTimer t => $"Hold {t.Due.TotalSeconds}",
        SetKeepaliveTimer t => $"Keepalive {t.Due.TotalSeconds}",
        SessionDown => "Down",
        _ => a.GetType().Name,
    }));

    public static TheoryData<string, BgpState, BgpEvent, BgpState, string> Table => new()
    {
        { "start dials", BgpState.Idle, new E.Start(), BgpState.Connect, "ConnectRetry 5, Connect" },
        { "idle ignores timers", BgpState.Idle, new E.HoldTimerExpires(), BgpState.Idle, "" },
        { "idle refuses connections", BgpState.Idle, new E.TcpConnected(false), BgpState.Idle, "DropConnection" },
        { "connected sends OPEN", BgpState.Connect, new E.TcpConnected(true), BgpState.OpenSent, "ConnectRetry 0, SendOpen, Hold 240" },
        { "connect retry redials", BgpState.Connect, new E.ConnectRetryTimerExpires(), BgpState.Connect, "DropConnection, ConnectRetry 5, Connect" },
        { "connect fails: active", BgpState.Connect, new E.TcpConnectionFails("refused"), BgpState.Active, "DropConnection, ConnectRetry 5" },
        { "active retry redials", BgpState.Active, new E.ConnectRetryTimerExpires(), BgpState.Connect, "DropConnection, ConnectRetry 5, Connect" },
        { "active accepts", BgpState.Active, new E.TcpConnected(false), BgpState.OpenSent, "ConnectRetry 0, SendOpen, Hold 240" },
        { "stop in connect", BgpState.Connect, new E.Stop(), BgpState.Idle, "DropConnection, ConnectRetry 0" },
        { "OPEN accepted", BgpState.OpenSent, new E.OpenReceived(PeerOpen), BgpState.OpenConfirm, "ConnectRetry 0, SendKeepalive, Keepalive 3, Hold 9" },
        { "OPEN wrong AS", BgpState.OpenSent, new E.OpenReceived(BgpOpen.Create(65000, 9, 1, [])), BgpState.Idle, "Notify 2/2, DropConnection, ConnectRetry 0, Hold 0, Keepalive 0, Down" },
        { "no OPEN in time", BgpState.OpenSent, new E.HoldTimerExpires(), BgpState.Idle, "Notify 4/0, DropConnection, ConnectRetry 0, Hold 0, Keepalive 0, Down" },
        { "KEEPALIVE before OPEN", BgpState.OpenSent, new E.KeepaliveReceived(), BgpState.Idle, "Notify 5/1, DropConnection, ConnectRetry 0, Hold 0, Keepalive 0, Down" },
        { "transport lost in OpenSent", BgpState.OpenSent, new E.TcpConnectionFails("reset"), BgpState.Active, "DropConnection, Hold 0, ConnectRetry 5" },
        { "collision in OpenSent", BgpState.OpenSent, new E.OpenCollisionDump(), BgpState.Idle, "Notify 6/7, DropConnection, ConnectRetry 0, Hold 0, Keepalive 0, Down" },
        { "bad header", BgpState.OpenSent, new E.MessageError(BgpNotification.Header(BgpHeaderSubcode.BadMessageType, [9])), BgpState.Idle, "Notify 1/3, DropConnection, ConnectRetry 0, Hold 0, Keepalive 0, Down" },
        { "KEEPALIVE establishes", BgpState.OpenConfirm, new E.KeepaliveReceived(), BgpState.Established, "Hold 9, SessionEstablished" },
        { "UPDATE in OpenConfirm", BgpState.OpenConfirm, new E.UpdateReceived(), BgpState.Idle, "Notify 5/2, DropConnection, ConnectRetry 0, Hold 0, Keepalive 0, Down" },
        { "keepalive due in OpenConfirm", BgpState.OpenConfirm, new E.KeepaliveTimerExpires(), BgpState.OpenConfirm, "SendKeepalive, Keepalive 3" },
        { "peer NOTIFICATION in OpenConfirm", BgpState.OpenConfirm, new E.NotificationReceived(BgpNotification.Cease(BgpCeaseSubcode.AdministrativeReset)), BgpState.Idle, "DropConnection, ConnectRetry 0, Hold 0, Keepalive 0, Down" },
        { "keepalive due", BgpState.Established, new E.KeepaliveTimerExpires(), BgpState.Established, "SendKeepalive, Keepalive 3" },
        { "update sent restarts keepalive", BgpState.Established, new E.UpdateSent(), BgpState.Established, "Keepalive 3" },
        { "KEEPALIVE restarts hold", BgpState.Established, new E.KeepaliveReceived(), BgpState.Established, "Hold 9" },
        { "UPDATE restarts hold", BgpState.Established, new E.UpdateReceived(), BgpState.Established, "Hold 9" },
        { "silent peer", BgpState.Established, new E.HoldTimerExpires(), BgpState.Idle, "Notify 4/0, DropConnection, ConnectRetry 0, Hold 0, Keepalive 0, Down" },
        { "OPEN in Established", BgpState.Established, new E.OpenReceived(PeerOpen), BgpState.Idle, "Notify 5/3, DropConnection, ConnectRetry 0, Hold 0, Keepalive 0, Down" },
        { "malformed UPDATE", BgpState.Established, new E.MessageError(BgpNotification.Update(BgpUpdateSubcode.MalformedAttributeList)), BgpState.Idle, "Notify 3/1, DropConnection, ConnectRetry 0, Hold 0, Keepalive 0, Down" },
        { "admin shutdown", BgpState.Established, new E.Stop(BgpNotification.Shutdown("bye")), BgpState.Idle, "Notify 6/2, DropConnection, ConnectRetry 0, Hold 0, Keepalive 0, Down" },
        { "transport lost", BgpState.Established, new E.TcpConnectionFails("reset"), BgpState.Idle, "DropConnection, ConnectRetry 0, Hold 0, Keepalive 0, Down" },
    };

    [Theory]
    [MemberData(nameof(Table))]
    public void Step(string name, BgpState from, BgpEvent e, BgpState to, string actions)
    {
        var t = BgpFsm.Step(In(from), e);
        Assert.True(to == t.State.State, $"{name}: {t.State.State}");
        Assert.Equal(actions, Describe(t.Actions));
    }

    [Fact]
    public void Passive_StartWaitsInActiveWithoutDialling()
    {
        var t = BgpFsm.Step(BgpFsmState.Initial(Config with { Passive = true }), new E.Start());
        Assert.Equal(BgpState.Active, t.State.State);
        Assert.Empty(t.Actions);
        var again = BgpFsm.Step(t.State, new E.ConnectRetryTimerExpires());
        Assert.DoesNotContain(again.Actions, a => a is Connect);
        Assert.Equal(BgpState.OpenSent, BgpFsm.Step(t.State, new E.TcpConnected(false)).State.State);
    }

    [Theory]
    [InlineData(90, 9, null, 9, 3)]      // the smaller hold time wins, keepalive a third
    [InlineData(9, 90, null, 9, 3)]
    [InlineData(30, 90, 5, 30, 5)]       // configured keepalive kept when it fits
    [InlineData(9, 90, 10, 9, 3)]        // ...and capped at a third of the hold time
    [InlineData(0, 90, null, 0, 0)]      // hold time 0: no keepalives, no hold timer
    [InlineData(90, 0, null, 0, 0)]
    public void HoldTime_IsNegotiated(int ours, int theirs, int? keepalive, int hold, int expectedKeepalive)
    {
        var config = Config with { HoldTime = TimeSpan.FromSeconds(ours), KeepaliveTime = keepalive is null ? null : TimeSpan.FromSeconds(keepalive.Value) };
        var t = BgpFsm.Step(new BgpFsmState(BgpState.OpenSent, config), new E.OpenReceived(BgpOpen.Create(64512, (ushort)theirs, 0xC0000201, [])));
        Assert.Equal(TimeSpan.FromSeconds(hold), t.State.NegotiatedHoldTime);
        Assert.Equal(TimeSpan.FromSeconds(expectedKeepalive), t.State.KeepaliveInterval);
        Assert.Contains(new SetHoldTimer(TimeSpan.FromSeconds(hold)), t.Actions);
    }

    [Fact]
    public void HappyPath_ThenPeerGoesSilent_CountsTheRetry()
    {
        var s = BgpFsmState.Initial(Config);
        foreach (var e in new BgpEvent[] { new E.Start(), new E.TcpConnected(true), new E.OpenReceived(PeerOpen), new E.KeepaliveReceived() })
            s = BgpFsm.Step(s, e).State;
        Assert.Equal(BgpState.Established, s.State);
        Assert.Equal(PeerOpen, s.PeerOpen);
        var down = BgpFsm.Step(s, new E.HoldTimerExpires());
        Assert.Equal(1, down.State.ConnectRetryCounter);
        Assert.Contains("hold timer expired", down.State.LastError, StringComparison.Ordinal);
        Assert.Equal(BgpState.Connect, BgpFsm.Step(down.State, new E.Start()).State.State);
    }

    [Theory]
    [InlineData(1u, 2u, true)]   // peer has the higher identifier: our outbound connection yields
    [InlineData(2u, 1u, false)]
    public void Collision_HigherIdentifierKeepsItsConnection(uint local, uint remote, bool closeOutbound)
        => Assert.Equal(closeOutbound, BgpFsm.CloseOutboundOnCollision(local, remote));

    [Theory]
    // We dialled first (existing outbound), the peer's connection came second (new inbound).
    [InlineData(0xC000020Bu, 0xC0000201u, BgpState.OpenSent, true, false, BgpCollision.CloseNew)]       // our id higher: our dial survives
    [InlineData(0xC000020Bu, 0xC0000201u, BgpState.OpenConfirm, true, false, BgpCollision.CloseNew)]
    [InlineData(0xC0000101u, 0xC0000201u, BgpState.OpenSent, true, false, BgpCollision.CloseExisting)]  // peer's id higher: its dial survives
    [InlineData(0xC0000101u, 0xC0000201u, BgpState.OpenConfirm, true, false, BgpCollision.CloseExisting)]
    // The peer's connection came first (existing inbound), ours second (new outbound).
    [InlineData(0xC000020Bu, 0xC0000201u, BgpState.OpenConfirm, false, true, BgpCollision.CloseExisting)]
    [InlineData(0xC0000101u, 0xC0000201u, BgpState.OpenConfirm, false, true, BgpCollision.CloseNew)]
    [InlineData(0xC0000101u, 0xC0000201u, BgpState.OpenSent, false, true, BgpCollision.CloseNew)]
    // Established always wins; before OpenSent there is nothing to collide with; same direction: the older attempt goes.
    [InlineData(0xC000020Bu, 0xC0000201u, BgpState.Established, false, true, BgpCollision.CloseNew)]
    [InlineData(0xC0000101u, 0xC0000201u, BgpState.Established, true, false, BgpCollision.CloseNew)]
    [InlineData(0xC0000101u, 0xC0000201u, BgpState.Active, true, false, BgpCollision.None)]
    [InlineData(0xC0000101u, 0xC0000201u, BgpState.Connect, true, false, BgpCollision.None)]
    [InlineData(0xC0000101u, 0xC0000201u, BgpState.OpenSent, false, false, BgpCollision.CloseExisting)]
    public void ResolveCollision_FollowsRfc4271Section6_8(uint local, uint remote, BgpState existing, bool existingOutbound, bool newOutbound, BgpCollision expected)
        => Assert.Equal(expected, BgpFsm.ResolveCollision(local, remote, existing, existingOutbound, newOutbound));

    [Fact]
    public void Collision_BothSidesAgreeWhichConnectionSurvives()
    {
        // Each side sees its own dial as outbound: for any pair of identifiers they must close the same TCP connection.
        foreach (var (a, b) in new[] { (1u, 2u), (2u, 1u), (0xC0000201u, 0xC000020Bu) })
        {
            var aClosesItsDial = BgpFsm.ResolveCollision(a, b, BgpState.OpenConfirm, true, false) == BgpCollision.CloseExisting;
            var bClosesItsAccept = BgpFsm.ResolveCollision(b, a, BgpState.OpenConfirm, false, true) == BgpCollision.CloseExisting;
            Assert.Equal(aClosesItsDial, bClosesItsAccept);
        }
    }
}
