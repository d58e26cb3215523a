namespace LoadBalancer.Proto.Bgp;

// Wire constants of BGP-4 (RFC 4271) and its extensions, named after the RFCs that define them.

/// <summary>BGP message types (RFC 4271 §4.1, RFC 2918/7313 ROUTE-REFRESH).</summary>
public enum BgpMessageType : byte
{
    Open = 1,
    Update = 2,
    Notification = 3,
    Keepalive = 4,
    RouteRefresh = 5,
}

/// <summary>NOTIFICATION error codes (RFC 4271 §4.5, RFC 7313).</summary>
public enum BgpErrorCode : byte
{
    MessageHeader = 1,
    OpenMessage = 2,
    UpdateMessage = 3,
    HoldTimerExpired = 4,
    FiniteStateMachine = 5,
    Cease = 6,
    RouteRefreshMessage = 7,
}

/// <summary>Message Header Error subcodes (RFC 4271 §6.1).</summary>
public enum BgpHeaderSubcode : byte
{
    Unspecific = 0,
    ConnectionNotSynchronized = 1,
    BadMessageLength = 2,
    BadMessageType = 3,
}

/// <summary>OPEN Message Error subcodes (RFC 4271 §6.2, RFC 5492 Unsupported Capability, RFC 9234 Role Mismatch).</summary>
public enum BgpOpenSubcode : byte
{
    Unspecific = 0,
    UnsupportedVersionNumber = 1,
    BadPeerAs = 2,
    BadBgpIdentifier = 3,
    UnsupportedOptionalParameter = 4,
    UnacceptableHoldTime = 6,
    UnsupportedCapability = 7,
    RoleMismatch = 11,
}

/// <summary>UPDATE Message Error subcodes (RFC 4271 §6.3).</summary>
public enum BgpUpdateSubcode : byte
{
    Unspecific = 0,
    MalformedAttributeList = 1,
    UnrecognizedWellKnownAttribute = 2,
    MissingWellKnownAttribute = 3,
    AttributeFlagsError = 4,
    AttributeLengthError = 5,
    InvalidOriginAttribute = 6,
    InvalidNextHopAttribute = 8,
    OptionalAttributeError = 9,
    InvalidNetworkField = 10,
    MalformedAsPath = 11,
}

/// <summary>Finite State Machine Error subcodes (RFC 6608).</summary>
public enum BgpFsmSubcode : byte
{
    Unspecified = 0,
    UnexpectedMessageInOpenSent = 1,
    UnexpectedMessageInOpenConfirm = 2,
    UnexpectedMessageInEstablished = 3,
}

/// <summary>Cease subcodes (RFC 4486, RFC 8538 Hard Reset, RFC 9384 BFD Down).</summary>
public enum BgpCeaseSubcode : byte
{
    Unspecific = 0,
    MaximumPrefixesReached = 1,
    AdministrativeShutdown = 2,
    PeerDeconfigured = 3,
    AdministrativeReset = 4,
    ConnectionRejected = 5,
    OtherConfigurationChange = 6,
    ConnectionCollisionResolution = 7,
    OutOfResources = 8,
    HardReset = 9,
    BfdDown = 10,
}

/// <summary>ROUTE-REFRESH Message Error subcodes (RFC 7313).</summary>
public enum BgpRouteRefreshSubcode : byte
{
    Reserved = 0,
    InvalidMessageLength = 1,
}

/// <summary>Address Family Identifiers (IANA).</summary>
public enum BgpAfi : ushort
{
    IPv4 = 1,
    IPv6 = 2,
}

/// <summary>Subsequent Address Family Identifiers (IANA).</summary>
public enum BgpSafi : byte
{
    Unicast = 1,
    Multicast = 2,
}

/// <summary>ORIGIN values (RFC 4271 §5.1.1).</summary>
public enum BgpOrigin : byte
{
    Igp = 0,
    Egp = 1,
    Incomplete = 2,
}

/// <summary>AS_PATH segment types (RFC 4271 §4.3, RFC 5065 confederations).</summary>
public enum AsPathSegmentType : byte
{
    AsSet = 1,
    AsSequence = 2,
    AsConfedSequence = 3,
    AsConfedSet = 4,
}

/// <summary>Path attribute type codes (IANA).</summary>
public enum BgpAttributeType : byte
{
    Origin = 1,
    AsPath = 2,
    NextHop = 3,
    MultiExitDisc = 4,
    LocalPref = 5,
    AtomicAggregate = 6,
    Aggregator = 7,
    Communities = 8,
    OriginatorId = 9,
    ClusterList = 10,
    MpReachNlri = 14,
    MpUnreachNlri = 15,
    ExtendedCommunities = 16,
    As4Path = 17,
    As4Aggregator = 18,
    LargeCommunity = 32,
}

/// <summary>Path attribute flag bits (RFC 4271 §4.3).</summary>
[Flags]
public enum BgpAttributeFlags : byte
{
    None = 0,
    ExtendedLength = 0x10,
    Partial = 0x20,
    Transitive = 0x40,
    Optional = 0x80,
}

/// <summary>Capability codes (IANA, RFC 5492).</summary>
public enum BgpCapabilityCode : byte
{
    Multiprotocol = 1,
    RouteRefresh = 2,
    ExtendedNextHop = 5,
    ExtendedMessage = 6,
    GracefulRestart = 64,
    FourOctetAs = 65,
    AddPath = 69,
    EnhancedRouteRefresh = 70,
}

/// <summary>Protocol-wide numbers.</summary>
public static class BgpConstants
{
    public const int HeaderLength = 19;
    public const int MarkerLength = 16;
    public const int MaxMessageLength = 4096;
    public const int MaxExtendedMessageLength = 65535;
    public const byte Version = 4;
    public const ushort Port = 179;

    /// <summary>AS_TRANS (RFC 6793): the 2-octet stand-in for a 4-octet ASN.</summary>
    public const ushort AsTrans = 23456;

    public const int MinOpenLength = 29;
    public const int MinUpdateLength = 23;
    public const int MinNotificationLength = 21;
    public const int KeepaliveLength = 19;
    public const int RouteRefreshLength = 23;

    /// <summary>RFC 9003: a shutdown communication is at most 255 octets of UTF-8 (RFC 8203 said 128).</summary>
    public const int MaxShutdownCommunicationLength = 255;
}
