using System.Buffers.Binary;

namespace LoadBalancer.Proto.Bgp;

/// <summary>ROUTE-REFRESH (RFC 2918; RFC 7313 subtype 0 = normal request, 1 = BoRR, 2 = EoRR).</summary>
public readonly record struct BgpRouteRefresh(BgpAfi Afi, byte Subtype, BgpSafi Safi)
{
    public static bool TryDecode(ReadOnlySpan<byte> body, out BgpRouteRefresh refresh)
    {
        refresh = default;
        if (body.Length != 4) return false;
        refresh = new BgpRouteRefresh((BgpAfi)BinaryPrimitives.ReadUInt16BigEndian(body), body[2], (BgpSafi)body[3]);
        return true;
    }

    public bool TryWrite(Span<byte> destination, out int written)
    {
        written = 0;
        if (destination.Length < BgpConstants.RouteRefreshLength) return false;
        BgpFraming.WriteHeader(destination, BgpConstants.RouteRefreshLength, BgpMessageType.RouteRefresh);
        BinaryPrimitives.WriteUInt16BigEndian(destination[19..], (ushort)Afi);
        destination[21] = Subtype;
        destination[22] = (byte)Safi;
        written = BgpConstants.RouteRefreshLength;
        return true;
    }
}
