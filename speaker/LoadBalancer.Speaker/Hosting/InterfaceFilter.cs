using LoadBalancer.Speaker.Announcing;

namespace LoadBalancer.Speaker.Hosting;

/// <summary>
/// Applies the speaker's <c>--interfaces</c> filter to the Layer 2 announcements: "all interfaces" becomes the filter,
/// an explicit list is intersected with it; an announcement left with no interface is dropped and reported as a failure
/// (so the Service gets an AnnounceFailed Event instead of silently not being answered).
/// </summary>
internal static class InterfaceFilter
{
    public static (IReadOnlyList<Layer2Announcement> Announcements, IReadOnlyList<AnnounceFailure> Failures) Apply(
        IReadOnlyList<Layer2Announcement> desired, IReadOnlyList<string> filter)
    {
        if (filter.Count == 0) return (desired, []);
        var result = new List<Layer2Announcement>(desired.Count);
        var failures = new List<AnnounceFailure>();
        foreach (var a in desired)
        {
            if (a.Interfaces.IsDefaultOrEmpty)
            {
                result.Add(a with { Interfaces = [.. filter] });
                continue;
            }
            var kept = a.Interfaces.Where(filter.Contains).ToArray();
            if (kept.Length > 0) result.Add(a with { Interfaces = [.. kept] });
            else failures.Add(new AnnounceFailure(a.Ip, "interfaceFiltered",
                $"the L2Advertisement interfaces ({string.Join(", ", a.Interfaces)}) are all outside this speaker's --interfaces ({string.Join(", ", filter)})"));
        }
        return (result, failures);
    }
}
