using System.Buffers;
using System.Net;
using LoadBalancer.Proto.Bgp;
using static LoadBalancer.Proto.Tests.Bgp.BgpSamples;

namespace LoadBalancer.Proto.Tests.Bgp;

/// <summary>Malformed input maps to the NOTIFICATION of RFC 4271 §6 / RFC 7606 handling.</summary>
public sealed class BgpErrorTests
{
    private static readonly BgpDecodeContext Four = BgpDecodeContext.Modern;

    private static BgpNotification Frame(byte[] message, int max = 4096)
    {
        Assert.Equal(OperationStatus.InvalidData, BgpFraming.TryReadMessage(message, max, out _, out _, out var error));
        return error!;
    }

    private static byte[] Header(int length, byte type) => [.. Enumerable.Repeat((byte)0xFF, 16), (byte)(length >> 8), (byte)length, type];

    [Fact]
    public void Marker_NotAllOnes_IsConnectionNotSynchronized()
    {
        var m = BgpFraming.Keepalive();
        m[3] = 0;
        Assert.Equal(BgpNotification.Header(BgpHeaderSubcode.ConnectionNotSynchronized), Frame(m));
    }

    [Theory]
    [InlineData(18, 4)]
    [InlineData(20, 4)]   // KEEPALIVE is exactly 19
    [InlineData(28, 1)]   // OPEN at least 29
    [InlineData(22, 2)]   // UPDATE at least 23
    [InlineData(20, 3)]   // NOTIFICATION at least 21
    [InlineData(4097, 2)] // over 4096 without RFC 8654
    public void BadLength_CarriesTheLengthField(int length, byte type)
        => Assert.Equal(BgpNotification.Header(BgpHeaderSubcode.BadMessageLength, [(byte)(length >> 8), (byte)length]), Frame(Header(length, type)));

    [Fact]
    public void ExtendedMessages_AllowLargeUpdatesButNotLargeOpens()
    {
        var update = Header(5000, 2);
        Assert.Equal(OperationStatus.NeedMoreData, BgpFraming.TryReadMessage(update, 65535, out _, out _, out _));
        Assert.Equal(BgpHeaderSubcode.BadMessageLength, (BgpHeaderSubcode)Frame(Header(5000, 1), 65535).Subcode);
    }

    [Fact]
    public void UnknownType_IsBadMessageType() => Assert.Equal(BgpNotification.Header(BgpHeaderSubcode.BadMessageType, [9]), Frame(Header(19, 9)));

    [Fact]
    public void RouteRefresh_WrongLength_IsRouteRefreshError()
    {
        var m = Concat(Header(24, 5), [0, 1, 0, 1, 0]);
        var e = Frame(m);
        Assert.Equal(BgpErrorCode.RouteRefreshMessage, e.Code);
        Assert.Equal((byte)BgpRouteRefreshSubcode.InvalidMessageLength, e.Subcode);
        Assert.Equal(m, e.Data.ToArray());
    }

    private static BgpNotification OpenError(byte[] body)
    {
        Assert.False(BgpOpen.TryDecode(body, out _, out var error));
        return error!;
    }

    private static byte[] OpenBody(byte version = 4, ushort hold = 90, uint id = 0xC0000201, byte[]? opt = null)
        => [version, 0xFC, 0x01, (byte)(hold >> 8), (byte)hold, (byte)(id >> 24), (byte)(id >> 16), (byte)(id >> 8), (byte)id, (byte)(opt?.Length ?? 0), .. opt ?? []];

    [Fact]
    public void Open_Version3_IsUnsupportedVersionWithOurVersion()
        => Assert.Equal(BgpNotification.Open(BgpOpenSubcode.UnsupportedVersionNumber, [0, 4]), OpenError(OpenBody(version: 3)));

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    public void Open_HoldTimeOneOrTwo_IsUnacceptable(ushort hold)
        => Assert.Equal(BgpNotification.Open(BgpOpenSubcode.UnacceptableHoldTime), OpenError(OpenBody(hold: hold)));

    [Fact]
    public void Open_ZeroIdentifier_IsBadBgpIdentifier()
        => Assert.Equal(BgpNotification.Open(BgpOpenSubcode.BadBgpIdentifier), OpenError(OpenBody(id: 0)));

    [Fact]
    public void Open_UnknownParameter_IsUnsupportedOptionalParameter()
        => Assert.Equal(BgpNotification.Open(BgpOpenSubcode.UnsupportedOptionalParameter), OpenError(OpenBody(opt: [1, 2, 0, 0])));

    [Fact]
    public void Open_CapabilityOverrun_IsOpenError()
        => Assert.Equal(BgpErrorCode.OpenMessage, OpenError(OpenBody(opt: [2, 4, 65, 4, 0, 0])).Code);

    [Fact]
    public void Open_Rfc9072ExtendedParameters_Decode()
    {
        // Non-Ext OP Len 255, type 255, 2-octet length 7, then capability parameter with a 2-octet length.
        byte[] opt = [255, 0, 7, 2, 0, 4, 2, 0, 6, 0];
        byte[] body = [4, 0xFC, 0x01, 0, 90, 192, 0, 2, 1, 255, .. opt];
        Assert.True(BgpOpen.TryDecode(body, out var open, out var error), error?.ToString());
        Assert.NotNull(open!.Find<RouteRefreshCapability>());
        Assert.NotNull(open.Find<ExtendedMessageCapability>());
    }

    [Fact]
    public void Open_WrongPeerAs_IsBadPeerAs()
    {
        var config = new BgpFsmConfig(64513, 64512, 0xC000020B, TimeSpan.FromSeconds(9), null, TimeSpan.FromSeconds(5));
        var open = BgpOpen.Create(64999, 9, 0xC0000201, []);
        Assert.Equal(BgpOpenSubcode.BadPeerAs, (BgpOpenSubcode)BgpFsm.CheckOpen(config, open)!.Subcode);
        var same = BgpOpen.Create(64512, 9, 0xC0000201, []);
        Assert.Null(BgpFsm.CheckOpen(config, same));
        var ibgp = config with { PeerAsn = 64513 };
        Assert.Equal(BgpOpenSubcode.BadBgpIdentifier, (BgpOpenSubcode)BgpFsm.CheckOpen(ibgp, BgpOpen.Create(64513, 9, 0xC000020B, []))!.Subcode);
    }

    private static (BgpUpdateStatus Status, BgpUpdate Update, BgpNotification? Error) Decode(byte[] body, BgpDecodeContext? ctx = null)
    {
        var status = BgpUpdate.TryDecode(body, ctx ?? Four, out var update, out var error);
        return (status, update, error);
    }

    [Fact]
    public void Update_WithdrawnLengthOverrun_ResetsWithMalformedAttributeList()
    {
        var (status, _, error) = Decode([0, 50, 0, 0]);
        Assert.Equal(BgpUpdateStatus.SessionReset, status);
        Assert.Equal(BgpNotification.Update(BgpUpdateSubcode.MalformedAttributeList), error);
    }

    [Fact]
    public void Update_TotalAttributeLengthOverrun_Resets()
        => Assert.Equal(BgpUpdateStatus.SessionReset, Decode([0, 0, 0, 40, 0x40, 1, 1, 0]).Status);

    [Fact]
    public void Update_BadNlriPrefixLength_IsInvalidNetworkField()
    {
        var (status, _, error) = Decode(UpdateBody([], Concat(Origin, AsPath, NextHop), [33, 1, 2, 3, 4, 5]));
        Assert.Equal(BgpUpdateStatus.SessionReset, status);
        Assert.Equal(BgpUpdateSubcode.InvalidNetworkField, (BgpUpdateSubcode)error!.Subcode);
    }

    [Theory]
    [InlineData("origin value 3", BgpUpdateSubcode.InvalidOriginAttribute)]
    [InlineData("origin length 2", BgpUpdateSubcode.AttributeLengthError)]
    [InlineData("next hop length 3", BgpUpdateSubcode.AttributeLengthError)]
    [InlineData("missing next hop", BgpUpdateSubcode.MissingWellKnownAttribute)]
    [InlineData("missing origin", BgpUpdateSubcode.MissingWellKnownAttribute)]
    [InlineData("communities length 3", BgpUpdateSubcode.OptionalAttributeError)]
    [InlineData("large community length 8", BgpUpdateSubcode.OptionalAttributeError)]
    [InlineData("extended communities length 4", BgpUpdateSubcode.OptionalAttributeError)]
    [InlineData("as path segment type 5", BgpUpdateSubcode.MalformedAsPath)]
    [InlineData("as path overrun", BgpUpdateSubcode.MalformedAsPath)]
    [InlineData("origin flagged optional", BgpUpdateSubcode.AttributeFlagsError)]
    [InlineData("med length 2", BgpUpdateSubcode.AttributeLengthError)]
    [InlineData("local pref length 5", BgpUpdateSubcode.AttributeLengthError)]
    [InlineData("attribute overruns the field", BgpUpdateSubcode.AttributeLengthError)]
    public void Update_MalformedAttribute_IsTreatAsWithdraw(string caseName, BgpUpdateSubcode expected)
    {
        var attrs = caseName switch
        {
            "origin value 3" => Concat(Attr(0x40, 1, 3), AsPath, NextHop),
            "origin length 2" => Concat(Attr(0x40, 1, 0, 0), AsPath, NextHop),
            "next hop length 3" => Concat(Origin, AsPath, Attr(0x40, 3, 1, 2, 3)),
            "missing next hop" => Concat(Origin, AsPath),
            "missing origin" => Concat(AsPath, NextHop),
            "communities length 3" => Concat(Origin, AsPath, NextHop, Attr(0xC0, 8, 1, 2, 3)),
            "large community length 8" => Concat(Origin, AsPath, NextHop, Attr(0xC0, 32, 1, 2, 3, 4, 5, 6, 7, 8)),
            "extended communities length 4" => Concat(Origin, AsPath, NextHop, Attr(0xC0, 16, 1, 2, 3, 4)),
            "as path segment type 5" => Concat(Origin, Attr(0x40, 2, 5, 1, 0, 0, 0, 1), NextHop),
            "as path overrun" => Concat(Origin, Attr(0x40, 2, 2, 2, 0, 0, 0, 1), NextHop),
            "origin flagged optional" => Concat(Attr(0xC0, 1, 0), AsPath, NextHop),
            "med length 2" => Concat(Origin, AsPath, NextHop, Attr(0x80, 4, 0, 1)),
            "local pref length 5" => Concat(Origin, AsPath, NextHop, Attr(0x40, 5, 0, 0, 0, 0, 1)),
            "attribute overruns the field" => Concat(Origin, AsPath, NextHop, [0xC0, 8, 200, 1, 2, 3, 4]),
            _ => throw new ArgumentOutOfRangeException(nameof(caseName)),
        };
        var (status, update, error) = Decode(UpdateBody([], attrs, Nlri));
        Assert.Equal(BgpUpdateStatus.TreatAsWithdraw, status);
        Assert.Equal(expected, (BgpUpdateSubcode)error!.Subcode);
        Assert.Empty(update.Nlri);
        Assert.Equal(new[] { IPNetwork.Parse("203.0.113.10/32") }, update.Withdrawn.ToArray());
    }

    [Fact]
    public void Update_MalformedAttributeInMpUpdate_WithdrawsTheMpPrefixes()
    {
        var mp = new BgpUpdate([], new BgpPathAttributes
        {
            Origin = BgpOrigin.Igp, AsPath = [],
            MpReach = new BgpMpReach(BgpAfi.IPv6, BgpSafi.Unicast, IPAddress.Parse("2001:db8::11"), null, [IPNetwork.Parse("2001:db8:100::10/128")]),
            Communities = [1],
        }, []).ToArray(Four);
        var i = mp.AsSpan().IndexOf(new byte[] { 0xC0, 8, 4 });
        mp[i + 2] = 3; // community length 3, the attribute field still ends in the right place after shrinking the tail
        var body = mp.AsSpan(19).ToArray();
        var status = BgpUpdate.TryDecode(body.AsSpan(0, body.Length - 1).ToArray().Concat(new byte[] { 0 }).ToArray(), Four, out var update, out _);
        Assert.Equal(BgpUpdateStatus.TreatAsWithdraw, status);
        Assert.Equal(new[] { IPNetwork.Parse("2001:db8:100::10/128") }, update.Attributes.MpUnreach!.Withdrawn.ToArray());
    }

    [Fact]
    public void Update_UnknownWellKnownAttribute_ResetsWithTheAttribute()
    {
        var unknown = Attr(0x40, 99, 1);
        var (status, _, error) = Decode(UpdateBody([], Concat(Origin, AsPath, NextHop, unknown), Nlri));
        Assert.Equal(BgpUpdateStatus.SessionReset, status);
        Assert.Equal(BgpNotification.Update(BgpUpdateSubcode.UnrecognizedWellKnownAttribute, unknown), error);
    }

    [Fact]
    public void Update_UnknownOptionalTransitive_IsKeptAndPassedOnWithPartialBit()
    {
        var (status, update, _) = Decode(UpdateBody([], Concat(Origin, AsPath, NextHop, Attr(0xC0, 99, 7), Attr(0x80, 98, 8)), Nlri));
        Assert.Equal(BgpUpdateStatus.Ok, status);
        Assert.Equal(2, update.Attributes.Other.Length);
        var passed = update.Attributes.ForPropagation().Other;
        Assert.Single(passed);
        Assert.Equal(BgpAttributeFlags.Optional | BgpAttributeFlags.Transitive | BgpAttributeFlags.Partial, passed[0].Flags);
        Assert.Equal(99, passed[0].TypeCode);
    }

    [Fact]
    public void Update_DuplicateMpReach_Resets()
    {
        var mp = Concat([0x80, 14, 21, 0, 2, 1, 16], new byte[16], [0]);
        var (status, _, error) = Decode(UpdateBody([], Concat(Origin, AsPath, mp, mp), []));
        Assert.Equal(BgpUpdateStatus.SessionReset, status);
        Assert.Equal(BgpUpdateSubcode.MalformedAttributeList, (BgpUpdateSubcode)error!.Subcode);
    }

    [Fact]
    public void Update_DuplicateOrdinaryAttribute_KeepsTheFirst()
    {
        var (status, update, _) = Decode(UpdateBody([], Concat(Origin, AsPath, NextHop, Attr(0x40, 3, 192, 0, 2, 99)), Nlri));
        Assert.Equal(BgpUpdateStatus.Ok, status);
        Assert.Equal(IPAddress.Parse("192.0.2.11"), update.Attributes.NextHop);
    }

    [Fact]
    public void Update_MpReachBadNextHopLength_Resets()
    {
        var (status, _, error) = Decode(UpdateBody([], Concat(Origin, AsPath, [0x80, 14, 11, 0, 2, 1, 5, 1, 2, 3, 4, 5, 0, 0]), []));
        Assert.Equal(BgpUpdateStatus.SessionReset, status);
        Assert.Equal(BgpUpdateSubcode.OptionalAttributeError, (BgpUpdateSubcode)error!.Subcode);
    }

    [Fact]
    public void Update_BadAtomicAggregateOrAggregator_IsDiscarded()
    {
        var (status, update, error) = Decode(UpdateBody([], Concat(Origin, AsPath, NextHop, Attr(0x40, 6, 1), Attr(0xC0, 7, 1, 2, 3)), Nlri));
        Assert.Equal(BgpUpdateStatus.Ok, status);
        Assert.NotNull(error);
        Assert.False(update.Attributes.AtomicAggregate);
        Assert.Null(update.Attributes.Aggregator);
        Assert.Single(update.Nlri);
    }

    [Fact]
    public void Update_MalformedAs4Path_IsDiscarded()
    {
        var (status, update, _) = Decode(UpdateBody([], Concat(Origin, Attr(0x40, 2, 2, 1, 0xFC, 0x01), NextHop, Attr(0xC0, 17, 2, 5, 0)), Nlri), new BgpDecodeContext(false));
        Assert.Equal(BgpUpdateStatus.Ok, status);
        Assert.Null(update.Attributes.As4Path);
        Assert.Single(update.Nlri);
    }

    [Fact]
    public void Update_WithdrawOnly_NeedsNoAttributes()
    {
        var (status, update, _) = Decode(UpdateBody(Nlri, [], []));
        Assert.Equal(BgpUpdateStatus.Ok, status);
        Assert.Single(update.Withdrawn);
    }

    [Fact]
    public void Notification_ShutdownCommunication_RoundTripsAndIsCutOnACharacterBoundary()
    {
        var n = BgpNotification.Shutdown("node drained for maintenance ✓");
        Assert.True(BgpNotification.TryDecode(n.ToArray().AsSpan(19), out var back));
        Assert.True(back.TryGetShutdownCommunication(out var message));
        Assert.Equal("node drained for maintenance ✓", message);
        var longText = new string('é', 200); // 400 octets
        var cut = BgpNotification.Shutdown(longText);
        Assert.True(cut.TryGetShutdownCommunication(out var cutMessage));
        Assert.Equal(127, cutMessage.Length); // 254 octets, never half a character
        Assert.Contains("AdministrativeShutdown", cut.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void Notification_BadShutdownCommunication_IsNotAMessage()
    {
        var n = BgpNotification.Create(BgpErrorCode.Cease, 2, [10, 0x41]);
        Assert.False(n.TryGetShutdownCommunication(out _));
        var invalidUtf8 = BgpNotification.Create(BgpErrorCode.Cease, 2, [2, 0xC3, 0x28]);
        Assert.False(invalidUtf8.TryGetShutdownCommunication(out _));
    }

    [Fact]
    public void AllCodesAndSubcodes_HaveNames()
    {
        foreach (var code in Enum.GetValues<BgpErrorCode>())
            Assert.DoesNotContain("(0/", BgpNotification.Create(code, 1).ToString(), StringComparison.Ordinal);
        Assert.Equal("Cease/HardReset (6/9)", BgpNotification.Cease(BgpCeaseSubcode.HardReset).ToString());
        Assert.Equal("UpdateMessage/MalformedAsPath (3/11)", BgpNotification.Update(BgpUpdateSubcode.MalformedAsPath).ToString());
    }
}
