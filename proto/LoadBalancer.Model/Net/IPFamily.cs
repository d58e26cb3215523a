namespace LoadBalancer.Model.Net;

/// <summary>An IP family, spelled as Kubernetes spells it in <c>spec.ipFamilies</c>.</summary>
public enum IPFamily
{
    IPv4 = 4,
    IPv6 = 6,
}

public static class IPFamilyNames
{
    public static bool TryParse(string? text, out IPFamily family)
    {
        switch (text)
        {
            case "IPv4": family = IPFamily.IPv4; return true;
            case "IPv6": family = IPFamily.IPv6; return true;
            default: family = default; return false;
        }
    }

    public static string ToName(this IPFamily family) => family == IPFamily.IPv6 ? "IPv6" : "IPv4";

    public static int BitLength(this IPFamily family) => family == IPFamily.IPv6 ? 128 : 32;
}
