using System.Text.RegularExpressions;
using LoadBalancer.Speaker.Interop;

namespace LoadBalancer.Speaker.Layer2;

/// <summary>Which interfaces the responder opens (pure): up, Ethernet with a MAC, ARP on, not loopback, not enslaved to a bridge or bond, not excluded by name.</summary>
internal sealed class InterfaceSelection(IEnumerable<string> excludePatterns)
{
    private readonly Regex[] _exclude = [.. excludePatterns.Select(p => new Regex(p, RegexOptions.CultureInvariant, TimeSpan.FromMilliseconds(100)))];

    public bool IsUsable(NetworkLink link)
        => link.IsUp && link.IsEthernet && !link.IsLoopback && !link.IsNoArp && link.Master == 0
           && (link.Flags & Interop.Interop.Linux.IFF_SLAVE) == 0 && !_exclude.Any(r => r.IsMatch(link.Name));
}
