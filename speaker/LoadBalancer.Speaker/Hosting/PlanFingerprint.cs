using System.Globalization;
using System.Text;
using LoadBalancer.Speaker.Announcing;

namespace LoadBalancer.Speaker.Hosting;

/// <summary>Canonical text of what each back end is told, to push only what changed.</summary>
internal static class PlanFingerprint
{
    public static string Of(IEnumerable<Layer2Announcement> l2)
    {
        var sb = new StringBuilder();
        foreach (var a in l2)
        {
            sb.Append(a.Ip).Append('|').AppendJoin(',', a.Interfaces).Append('|').AppendJoin(',', a.Services)
              .Append('|').Append(a.GratuitousInterval?.Ticks.ToString(CultureInfo.InvariantCulture)).Append('\n');
        }
        return sb.ToString();
    }

    public static string Of(DataPlaneSnapshot dp)
    {
        var sb = new StringBuilder();
        sb.Append(dp.NodeName).Append('|').Append(dp.NodeZone).Append('\n');
        foreach (var s in dp.Services)
        {
            sb.Append(s.Key).Append('|').AppendJoin(',', s.LoadBalancerIps).Append('|')
              .AppendJoin(',', s.Ports.Select(p => $"{p.Name}/{p.Protocol}/{p.Port}")).Append('|')
              .Append(s.ExternalTrafficPolicy).Append(s.InternalTrafficPolicy).Append('|').Append(s.SessionAffinityTimeout?.Ticks.ToString(CultureInfo.InvariantCulture))
              .Append('|').AppendJoin(',', s.SourceRanges).Append('|').Append(s.HealthCheckNodePort?.ToString(CultureInfo.InvariantCulture))
              .Append('|').Append(s.PreferClose).Append(s.LoadBalancing).Append('\n');
            foreach (var e in s.Endpoints)
            {
                sb.Append(' ').Append(e.Address).Append('|').Append(e.NodeName).Append('|').Append(e.Zone).Append('|')
                  .Append(e.Ready).Append(e.Serving).Append(e.Terminating).Append('|')
                  .AppendJoin(',', e.PortsByName.OrderBy(kv => kv.Key, StringComparer.Ordinal).Select(kv => $"{kv.Key}={kv.Value}"))
                  .Append('|').AppendJoin(',', e.ZoneHints.IsDefault ? [] : e.ZoneHints).Append('\n');
            }
        }
        return sb.ToString();
    }
}
