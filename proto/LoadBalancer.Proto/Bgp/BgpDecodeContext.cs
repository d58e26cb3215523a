namespace LoadBalancer.Proto.Bgp;

/// <summary>What the session negotiated that changes how UPDATEs are read and written.</summary>
/// <param name="FourOctetAs">Both sides sent the 4-octet AS capability (RFC 6793): AS_PATH carries 4-octet ASNs.</param>
/// <param name="ExtendedMessages">Both sides sent the extended message capability (RFC 8654): messages up to 65535 octets.</param>
public readonly record struct BgpDecodeContext(bool FourOctetAs, bool ExtendedMessages = false)
{
    public static BgpDecodeContext Modern { get; } = new(true);

    public int MaxMessageLength => ExtendedMessages ? BgpConstants.MaxExtendedMessageLength : BgpConstants.MaxMessageLength;
}

/// <summary>The outcome of decoding an UPDATE under RFC 7606.</summary>
public enum BgpUpdateStatus
{
    /// <summary>Well formed (an attribute may have been discarded; then the error says which).</summary>
    Ok,

    /// <summary>Malformed attribute: every prefix it carried must be handled as withdrawn; the session stays up.</summary>
    TreatAsWithdraw,

    /// <summary>The session must be closed with the NOTIFICATION in the error.</summary>
    SessionReset,
}
