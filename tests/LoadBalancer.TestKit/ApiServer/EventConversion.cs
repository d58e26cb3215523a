using System.Text.Json.Nodes;

namespace LoadBalancer.TestKit.ApiServer;

/// <summary>
/// core/v1 Event &lt;-&gt; events.k8s.io/v1 Event, field for field as the real API server converts them
/// (both APIs share one storage, kept in the core/v1 form).
/// </summary>
internal static class EventConversion
{
    private static readonly (string Core, string Events)[] Renames =
    [
        ("involvedObject", "regarding"),
        ("message", "note"),
        ("source", "deprecatedSource"),
        ("firstTimestamp", "deprecatedFirstTimestamp"),
        ("lastTimestamp", "deprecatedLastTimestamp"),
        ("count", "deprecatedCount"),
        ("reportingComponent", "reportingController"),
    ];

    public static JsonObject CoreToEvents(JsonObject core) => Rename(core, "events.k8s.io/v1", fromCore: true);

    public static JsonObject EventsToCore(JsonObject events) => Rename(events, "v1", fromCore: false);

    private static JsonObject Rename(JsonObject source, string apiVersion, bool fromCore)
    {
        var result = new JsonObject { ["apiVersion"] = apiVersion };
        foreach (var (key, value) in source)
        {
            var target = key;
            foreach (var (core, events) in Renames)
            {
                if (fromCore && key == core) target = events;
                else if (!fromCore && key == events) target = core;
            }
            if (target == "apiVersion") continue;
            result[target] = value?.DeepClone();
        }
        return result;
    }
}
