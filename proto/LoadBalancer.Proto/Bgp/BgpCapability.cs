using System.Buffers.Binary;
using System.Collections.Immutable;

namespace LoadBalancer.Proto.Bgp;

/// <summary>One capability of an OPEN (RFC 5492). Unknown capabilities are kept byte for byte.</summary>
public abstract record BgpCapability(byte Code)
{
    /// <summary>Length of the value (without code and length octets).</summary>
    public abstract int ValueLength { get; }

    public abstract void WriteValue(Span<byte> destination);

    /// <summary>Decodes one capability value; false when the value is malformed for a known code.</summary>
    public static bool TryDecode(byte code, ReadOnlySpan<byte> value, out BgpCapability capability)
    {
        capability = new UnknownCapability(code, [.. value]);
        switch ((BgpCapabilityCode)code)
        {
            case BgpCapabilityCode.Multiprotocol:
                if (value.Length != 4) return false;
                capability = new MultiprotocolCapability((BgpAfi)BinaryPrimitives.ReadUInt16BigEndian(value), (BgpSafi)value[3]);
                return true;
            case BgpCapabilityCode.RouteRefresh:
                if (value.Length != 0) return false;
                capability = new RouteRefreshCapability();
                return true;
            case BgpCapabilityCode.ExtendedMessage:
                if (value.Length != 0) return false;
                capability = new ExtendedMessageCapability();
                return true;
            case BgpCapabilityCode.FourOctetAs:
                if (value.Length != 4) return false;
                capability = new FourOctetAsCapability(BinaryPrimitives.ReadUInt32BigEndian(value));
                return true;
            case BgpCapabilityCode.GracefulRestart:
                if (value.Length < 2 || (value.Length - 2) % 4 != 0) return false;
                var flagsAndTime = BinaryPrimitives.ReadUInt16BigEndian(value);
                var families = ImmutableArray.CreateBuilder<GracefulRestartFamily>((value.Length - 2) / 4);
                for (var i = 2; i < value.Length; i += 4)
                    families.Add(new GracefulRestartFamily((BgpAfi)BinaryPrimitives.ReadUInt16BigEndian(value[i..]), (BgpSafi)value[i + 2], (value[i + 3] & 0x80) != 0));
                capability = new GracefulRestartCapability((flagsAndTime & 0x8000) != 0, (flagsAndTime & 0x4000) != 0,
                    (ushort)(flagsAndTime & 0x0FFF), families.MoveToImmutable());
                return true;
            default:
                return true;
        }
    }
}

/// <summary>Multiprotocol extensions (RFC 4760): one AFI/SAFI pair.</summary>
public sealed record MultiprotocolCapability(BgpAfi Afi, BgpSafi Safi) : BgpCapability((byte)BgpCapabilityCode.Multiprotocol)
{
    public override int ValueLength => 4;

    public override void WriteValue(Span<byte> destination)
    {
        BinaryPrimitives.WriteUInt16BigEndian(destination, (ushort)Afi);
        destination[2] = 0;
        destination[3] = (byte)Safi;
    }
}

/// <summary>Route refresh (RFC 2918).</summary>
public sealed record RouteRefreshCapability() : BgpCapability((byte)BgpCapabilityCode.RouteRefresh)
{
    public override int ValueLength => 0;

    public override void WriteValue(Span<byte> destination) { }
}

/// <summary>Extended messages up to 65535 octets (RFC 8654).</summary>
public sealed record ExtendedMessageCapability() : BgpCapability((byte)BgpCapabilityCode.ExtendedMessage)
{
    public override int ValueLength => 0;

    public override void WriteValue(Span<byte> destination) { }
}

/// <summary>4-octet AS numbers (RFC 6793).</summary>
public sealed record FourOctetAsCapability(uint Asn) : BgpCapability((byte)BgpCapabilityCode.FourOctetAs)
{
    public override int ValueLength => 4;

    public override void WriteValue(Span<byte> destination) => BinaryPrimitives.WriteUInt32BigEndian(destination, Asn);
}

/// <summary>One address family in the graceful restart capability; F = forwarding state was preserved.</summary>
public readonly record struct GracefulRestartFamily(BgpAfi Afi, BgpSafi Safi, bool ForwardingPreserved);

/// <summary>Graceful restart (RFC 4724; N bit from RFC 8538).</summary>
/// <param name="Restarting">R bit: the sender has restarted.</param>
/// <param name="Notification">N bit: graceful restart also covers NOTIFICATION (RFC 8538).</param>
/// <param name="RestartTimeSeconds">12 bits: how long the peer should keep our routes while we are away.</param>
public sealed record GracefulRestartCapability(bool Restarting, bool Notification, ushort RestartTimeSeconds,
    ImmutableArray<GracefulRestartFamily> Families) : BgpCapability((byte)BgpCapabilityCode.GracefulRestart)
{
    public override int ValueLength => 2 + 4 * Families.Length;

    public override void WriteValue(Span<byte> destination)
    {
        var value = (ushort)((Restarting ? 0x8000 : 0) | (Notification ? 0x4000 : 0) | (RestartTimeSeconds & 0x0FFF));
        BinaryPrimitives.WriteUInt16BigEndian(destination, value);
        var i = 2;
        foreach (var f in Families)
        {
            BinaryPrimitives.WriteUInt16BigEndian(destination[i..], (ushort)f.Afi);
            destination[i + 2] = (byte)f.Safi;
            destination[i + 3] = f.ForwardingPreserved ? (byte)0x80 : (byte)0;
            i += 4;
        }
    }

    public bool Equals(GracefulRestartCapability? other) => other is not null && Restarting == other.Restarting
        && Notification == other.Notification && RestartTimeSeconds == other.RestartTimeSeconds && Families.SequenceEqual(other.Families);

    public override int GetHashCode() => HashCode.Combine(Restarting, RestartTimeSeconds, Families.Length);
}

/// <summary>A capability this code does not interpret (add-path, FQDN, enhanced route refresh, ...), kept as sent.</summary>
public sealed record UnknownCapability(byte CapabilityCode, ImmutableArray<byte> Value) : BgpCapability(CapabilityCode)
{
    public override int ValueLength => Value.Length;

    public override void WriteValue(Span<byte> destination) => Value.AsSpan().CopyTo(destination);

    public bool Equals(UnknownCapability? other) => other is not null && CapabilityCode == other.CapabilityCode && Value.SequenceEqual(other.Value);

    public override int GetHashCode() => HashCode.Combine(CapabilityCode, Value.Length);
}
