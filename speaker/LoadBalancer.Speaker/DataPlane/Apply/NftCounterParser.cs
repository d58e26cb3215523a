using System.Text.Json;
using LoadBalancer.Speaker.Announcing;
using LoadBalancer.Speaker.DataPlane.Render;

namespace LoadBalancer.Speaker.DataPlane.Apply;

/// <summary>Reads <c>nft -j list counters table inet lb</c> into per-Service traffic. Never throws on bad input.</summary>
internal static class NftCounterParser
{
    public static Dictionary<ServiceKey, ServiceTraffic> Parse(string json, string table)
    {
        var result = new Dictionary<ServiceKey, ServiceTraffic>();
        try
        {
            using var doc = JsonDocument.Parse(json);
            if (!doc.RootElement.TryGetProperty("nftables", out var items) || items.ValueKind != JsonValueKind.Array) return result;
            foreach (var item in items.EnumerateArray())
            {
                if (item.ValueKind != JsonValueKind.Object || !item.TryGetProperty("counter", out var c)) continue;
                if (!c.TryGetProperty("name", out var n) || n.ValueKind != JsonValueKind.String) continue;
                if (c.TryGetProperty("table", out var t) && t.ValueKind == JsonValueKind.String && t.GetString() != table) continue;
                if (!NftNames.TryParseCounter(n.GetString()!, out var key, out var connections)) continue;
                var packets = c.TryGetProperty("packets", out var p) && p.TryGetInt64(out var pv) ? pv : 0;
                var bytes = c.TryGetProperty("bytes", out var b) && b.TryGetInt64(out var bv) ? bv : 0;
                result.TryGetValue(key, out var traffic);
                result[key] = connections ? traffic with { Connections = packets } : traffic with { Packets = packets, Bytes = bytes };
            }
        }
        catch (JsonException)
        {
        }
        return result;
    }
}
