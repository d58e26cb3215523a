using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Text;

namespace LoadBalancer.Model.Config;

/// <summary>
/// Kubernetes (Go <c>time.ParseDuration</c>) durations: a sequence of decimal numbers with units
/// <c>ns us µs ms s m h</c>, such as <c>90s</c>, <c>1m30s</c>, <c>300ms</c>, <c>1.5h</c>; <c>0</c> alone is zero.
/// Negative durations are rejected (no field here accepts them).
/// </summary>
public static class KubeDuration
{
    public static bool TryParse([NotNullWhen(true)] string? text, out TimeSpan value, [NotNullWhen(false)] out string? error)
    {
        value = TimeSpan.Zero;
        error = null;
        if (string.IsNullOrWhiteSpace(text)) { error = "empty duration"; return false; }
        var s = text.AsSpan().Trim();
        if (s is "0") return true;
        if (s[0] == '-') { error = $"negative duration \"{text}\""; return false; }
        if (s[0] == '+') s = s[1..];
        decimal totalTicks = 0;
        var any = false;
        while (!s.IsEmpty)
        {
            var i = 0;
            while (i < s.Length && (char.IsAsciiDigit(s[i]) || s[i] == '.')) i++;
            if (i == 0) { error = $"invalid duration \"{text}\": expected a number at \"{s.ToString()}\""; return false; }
            if (!decimal.TryParse(s[..i], NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var number))
            {
                error = $"invalid duration \"{text}\": bad number \"{s[..i].ToString()}\"";
                return false;
            }
            s = s[i..];
            var u = 0;
            while (u < s.Length && !char.IsAsciiDigit(s[u]) && s[u] != '.') u++;
            if (u == 0) { error = $"invalid duration \"{text}\": missing unit (use ms, s, m or h)"; return false; }
            decimal ticksPerUnit;
            switch (s[..u])
            {
                case "ns": ticksPerUnit = 0.01m; break;
                case "us": case "µs": case "μs": ticksPerUnit = 10m; break;
                case "ms": ticksPerUnit = TimeSpan.TicksPerMillisecond; break;
                case "s": ticksPerUnit = TimeSpan.TicksPerSecond; break;
                case "m": ticksPerUnit = TimeSpan.TicksPerMinute; break;
                case "h": ticksPerUnit = TimeSpan.TicksPerHour; break;
                default:
                    error = $"invalid duration \"{text}\": unknown unit \"{s[..u].ToString()}\" (use ms, s, m or h)";
                    return false;
            }
            s = s[u..];
            try { totalTicks += number * ticksPerUnit; }
            catch (OverflowException) { error = $"duration \"{text}\" is too large"; return false; }
            any = true;
        }
        if (!any) { error = $"invalid duration \"{text}\""; return false; }
        if (totalTicks > TimeSpan.MaxValue.Ticks) { error = $"duration \"{text}\" is too large"; return false; }
        value = TimeSpan.FromTicks((long)decimal.Truncate(totalTicks));
        return true;
    }

    public static TimeSpan Parse(string text)
        => TryParse(text, out var v, out var error) ? v : throw new FormatException(error);

    /// <summary>Formats like Go: <c>1m30s</c>, <c>90ms</c>, <c>0s</c>.</summary>
    public static string Format(TimeSpan value)
    {
        if (value == TimeSpan.Zero) return "0s";
        var sb = new StringBuilder();
        if (value < TimeSpan.Zero) { sb.Append('-'); value = value.Duration(); }
        if (value < TimeSpan.FromSeconds(1))
        {
            var ms = value.TotalMilliseconds;
            return sb.Append(ms.ToString("0.###", CultureInfo.InvariantCulture)).Append("ms").ToString();
        }
        var hours = (long)value.TotalHours;
        if (hours > 0) sb.Append(hours.ToString(CultureInfo.InvariantCulture)).Append('h');
        if (hours > 0 || value.Minutes > 0) sb.Append(value.Minutes.ToString(CultureInfo.InvariantCulture)).Append('m');
        var seconds = value.Seconds + value.Milliseconds / 1000m + (value.Ticks % TimeSpan.TicksPerMillisecond) / (decimal)TimeSpan.TicksPerSecond;
        sb.Append(seconds.ToString("0.#######", CultureInfo.InvariantCulture)).Append('s');
        return sb.ToString();
    }
}
