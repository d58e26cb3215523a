using System.Net;
using System.Security.Cryptography;
using System.Text;

namespace LoadBalancer.Speaker.Planning;

/// <summary>
/// The Layer 2 owner election: rendezvous (highest-random-weight) hashing, computed the same way on every speaker.
/// For an IP, every eligible node gets the key <c>SHA-256(UTF-8(nodeName) || 0x23 ('#') || UTF-8(ip.ToString()))</c>,
/// where <c>ip.ToString()</c> is the dotted quad for IPv4 and the RFC 5952 text for IPv6 (lower case, longest zero run
/// compressed). The node whose 32-byte digest is smallest in unsigned lexicographic order wins; equal digests (never
/// seen in practice) fall back to the ordinal node name. This is the same input MetalLB's speaker hashes
/// (<c>nodeName + "#" + ip</c>), so a cluster that moves over keeps its owners. Removing a node that does not own an
/// IP cannot move it; adding one moves only the IPs the new node now wins.
/// </summary>
internal static class Layer2Election
{
    public const int DigestLength = 32;

    /// <summary>Writes the election digest of (<paramref name="node"/>, <paramref name="ip"/>) to <paramref name="digest"/>.</summary>
    public static void Digest(string node, IPAddress ip, Span<byte> digest)
    {
        Span<char> ipText = stackalloc char[64];
        if (!ip.TryFormat(ipText, out var ipLength)) ipLength = 0;
        var maxBytes = Encoding.UTF8.GetMaxByteCount(node.Length) + 1 + ipLength;
        byte[]? rented = null;
        Span<byte> input = maxBytes <= 512 ? stackalloc byte[512] : (rented = new byte[maxBytes]);
        var n = Encoding.UTF8.GetBytes(node, input);
        input[n++] = (byte)'#';
        n += Encoding.UTF8.GetBytes(ipText[..ipLength], input[n..]);
        SHA256.HashData(input[..n], digest);
    }

    /// <summary>The digest as a new array (tests, diagnostics).</summary>
    public static byte[] Digest(string node, IPAddress ip)
    {
        var d = new byte[DigestLength];
        Digest(node, ip, d);
        return d;
    }

    /// <summary>The owner of <paramref name="ip"/> among <paramref name="candidates"/>, or null when there are none.</summary>
    public static string? Owner(IEnumerable<string> candidates, IPAddress ip)
    {
        string? best = null;
        Span<byte> bestDigest = stackalloc byte[DigestLength];
        Span<byte> d = stackalloc byte[DigestLength];
        foreach (var c in candidates)
        {
            Digest(c, ip, d);
            if (best is null || Precedes(d, c, bestDigest, best))
            {
                best = c;
                d.CopyTo(bestDigest);
            }
        }
        return best;
    }

    private static bool Precedes(ReadOnlySpan<byte> digest, string node, ReadOnlySpan<byte> otherDigest, string otherNode)
    {
        var c = digest.SequenceCompareTo(otherDigest);
        return c < 0 || (c == 0 && string.CompareOrdinal(node, otherNode) < 0);
    }
}
