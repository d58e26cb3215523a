using System.Buffers.Binary;
using System.Collections.Immutable;

namespace LoadBalancer.Proto.Bgp;

/// <summary>
/// An OPEN message (RFC 4271 §4.2) with its capabilities (RFC 5492) and RFC 9072 extended optional parameters on
/// input. <see cref="MyAutonomousSystem"/> is the 2-octet field (AS_TRANS for a 4-octet ASN); <see cref="Asn"/> is the
/// real one.
/// </summary>
public sealed record BgpOpen(byte Version, ushort MyAutonomousSystem, ushort HoldTimeSeconds, uint BgpIdentifier,
    ImmutableArray<BgpCapability> Capabilities)
{
    /// <summary>Builds our OPEN: AS_TRANS in the 2-octet field when the ASN does not fit, the 4-octet AS capability always.</summary>
    public static BgpOpen Create(uint asn, ushort holdTimeSeconds, uint bgpIdentifier, IEnumerable<BgpCapability> capabilities)
    {
        var caps = capabilities.Where(c => c is not FourOctetAsCapability).Append(new FourOctetAsCapability(asn)).ToImmutableArray();
        return new BgpOpen(BgpConstants.Version, asn > ushort.MaxValue ? BgpConstants.AsTrans : (ushort)asn, holdTimeSeconds, bgpIdentifier, caps);
    }

    /// <summary>The speaker's ASN: from the 4-octet AS capability when present.</summary>
    public uint Asn => Find<FourOctetAsCapability>()?.Asn ?? MyAutonomousSystem;

    public T? Find<T>() where T : BgpCapability => Capabilities.OfType<T>().FirstOrDefault();

    public bool Supports(BgpAfi afi, BgpSafi safi)
        => Capabilities.OfType<MultiprotocolCapability>().Any(m => m.Afi == afi && m.Safi == safi)
           // RFC 4760 §8: a speaker without any multiprotocol capability does IPv4 unicast only.
           || (afi == BgpAfi.IPv4 && safi == BgpSafi.Unicast && !Capabilities.OfType<MultiprotocolCapability>().Any());

    /// <summary>Decodes an OPEN body (after the header) and applies the checks of RFC 4271 §6.2 that need no local state.</summary>
    public static bool TryDecode(ReadOnlySpan<byte> body, out BgpOpen? open, out BgpNotification? error)
    {
        open = null;
        error = null;
        if (body.Length < 10)
        {
            error = BgpNotification.Header(BgpHeaderSubcode.BadMessageLength, [0, (byte)(body.Length + 19)]);
            return false;
        }
        var version = body[0];
        if (version != BgpConstants.Version)
        {
            error = BgpNotification.Open(BgpOpenSubcode.UnsupportedVersionNumber, [0, BgpConstants.Version]);
            return false;
        }
        var myAs = BinaryPrimitives.ReadUInt16BigEndian(body[1..]);
        var hold = BinaryPrimitives.ReadUInt16BigEndian(body[3..]);
        var id = BinaryPrimitives.ReadUInt32BigEndian(body[5..]);
        int optLength = body[9];
        var rest = body[10..];
        if (hold is 1 or 2)
        {
            error = BgpNotification.Open(BgpOpenSubcode.UnacceptableHoldTime);
            return false;
        }
        if (id == 0)
        {
            error = BgpNotification.Open(BgpOpenSubcode.BadBgpIdentifier);
            return false;
        }
        var extended = false;
        if (optLength == 255 && rest.Length >= 4 && rest[0] == 255)
        {
            // RFC 9072: Non-Ext OP Type 255, then a 2-octet length and 2-octet parameter lengths.
            extended = true;
            optLength = BinaryPrimitives.ReadUInt16BigEndian(rest[1..]);
            rest = rest[3..];
        }
        if (optLength != rest.Length)
        {
            error = BgpNotification.Open(BgpOpenSubcode.Unspecific);
            return false;
        }
        var caps = ImmutableArray.CreateBuilder<BgpCapability>();
        while (!rest.IsEmpty)
        {
            var headerLength = extended ? 3 : 2;
            if (rest.Length < headerLength)
            {
                error = BgpNotification.Open(BgpOpenSubcode.Unspecific);
                return false;
            }
            var type = rest[0];
            int length = extended ? BinaryPrimitives.ReadUInt16BigEndian(rest[1..]) : rest[1];
            if (rest.Length < headerLength + length)
            {
                error = BgpNotification.Open(BgpOpenSubcode.Unspecific);
                return false;
            }
            var value = rest.Slice(headerLength, length);
            rest = rest[(headerLength + length)..];
            if (type != 2)
            {
                error = BgpNotification.Open(BgpOpenSubcode.UnsupportedOptionalParameter);
                return false;
            }
            while (!value.IsEmpty)
            {
                if (value.Length < 2 || value.Length < 2 + value[1])
                {
                    error = BgpNotification.Open(BgpOpenSubcode.Unspecific);
                    return false;
                }
                if (!BgpCapability.TryDecode(value[0], value.Slice(2, value[1]), out var capability))
                {
                    error = BgpNotification.Open(BgpOpenSubcode.Unspecific);
                    return false;
                }
                caps.Add(capability);
                value = value[(2 + value[1])..];
            }
        }
        open = new BgpOpen(version, myAs, hold, id, caps.ToImmutable());
        return true;
    }

    public int EncodedLength => BgpConstants.HeaderLength + 10 + CapabilitiesLength + (Capabilities.IsEmpty ? 0 : 2);

    private int CapabilitiesLength => Capabilities.Sum(c => 2 + c.ValueLength);

    /// <summary>Writes the whole message; all capabilities go into one optional parameter (at most 255 octets).</summary>
    public bool TryWrite(Span<byte> destination, out int written)
    {
        written = 0;
        var capsLength = CapabilitiesLength;
        if (capsLength > 253 || Capabilities.Any(c => c.ValueLength > 255)) return false;
        var length = EncodedLength;
        if (destination.Length < length) return false;
        BgpFraming.WriteHeader(destination, length, BgpMessageType.Open);
        var body = destination[19..];
        body[0] = Version;
        BinaryPrimitives.WriteUInt16BigEndian(body[1..], MyAutonomousSystem);
        BinaryPrimitives.WriteUInt16BigEndian(body[3..], HoldTimeSeconds);
        BinaryPrimitives.WriteUInt32BigEndian(body[5..], BgpIdentifier);
        if (Capabilities.IsEmpty)
        {
            body[9] = 0;
        }
        else
        {
            body[9] = (byte)(capsLength + 2);
            body[10] = 2;
            body[11] = (byte)capsLength;
            var i = 12;
            foreach (var c in Capabilities)
            {
                body[i] = c.Code;
                body[i + 1] = (byte)c.ValueLength;
                c.WriteValue(body[(i + 2)..]);
                i += 2 + c.ValueLength;
            }
        }
        written = length;
        return true;
    }

    public byte[] ToArray()
    {
        var bytes = new byte[EncodedLength];
        return TryWrite(bytes, out _) ? bytes : throw new InvalidOperationException("OPEN capabilities exceed 255 octets");
    }

    public bool Equals(BgpOpen? other) => other is not null && Version == other.Version && MyAutonomousSystem == other.MyAutonomousSystem
        && HoldTimeSeconds == other.HoldTimeSeconds && BgpIdentifier == other.BgpIdentifier && Capabilities.SequenceEqual(other.Capabilities);

    public override int GetHashCode() => HashCode.Combine(MyAutonomousSystem, HoldTimeSeconds, BgpIdentifier, Capabilities.Length);
}
