using System.Text.Json.Nodes;

namespace LoadBalancer.Kube.Tests.Emulator;

public sealed class EmulatorEventTests : EmulatorTest
{
    private static JsonObject NewEvent(string name, string uid) => JsonNode.Parse($$"""
        {"apiVersion":"events.k8s.io/v1","kind":"Event","metadata":{"name":"{{name}}","namespace":"default"},
         "eventTime":"2026-01-01T00:00:00.000000Z","reportingController":"lb.baremetal.dev/controller","reportingInstance":"c-1",
         "action":"Allocate","reason":"IPAllocated","note":"Assigned IP 192.0.2.10","type":"Normal",
         "regarding":{"kind":"Service","namespace":"default","name":"web","uid":"{{uid}}","apiVersion":"v1"},
         "series":{"count":4,"lastObservedTime":"2026-01-01T00:05:00.000000Z"},
         "deprecatedSource":{"component":"legacy"},"deprecatedCount":2,"deprecatedFirstTimestamp":"2026-01-01T00:00:00Z","deprecatedLastTimestamp":"2026-01-01T00:01:00Z"}
        """)!.AsObject();

    [Fact]
    public async Task Events_written_as_events_k8s_io_read_back_as_core_v1_and_back()
    {
        var created = await Api.CreateAsync("/apis/events.k8s.io/v1/namespaces/default/events", NewEvent("e1", "u-1"));
        Assert.Equal("events.k8s.io/v1", created["apiVersion"]!.GetValue<string>());
        Assert.Equal("Assigned IP 192.0.2.10", created["note"]!.GetValue<string>());

        var core = (await Api.GetAsync("/api/v1/namespaces/default/events/e1")).Object;
        Assert.Equal("v1", core["apiVersion"]!.GetValue<string>());
        Assert.Equal("web", core["involvedObject"]!["name"]!.GetValue<string>());
        Assert.Equal("Assigned IP 192.0.2.10", core["message"]!.GetValue<string>());
        Assert.Equal("lb.baremetal.dev/controller", core["reportingComponent"]!.GetValue<string>());
        Assert.Equal("legacy", core["source"]!["component"]!.GetValue<string>());
        Assert.Equal(2, core["count"]!.GetValue<int>());
        Assert.Equal("2026-01-01T00:00:00Z", core["firstTimestamp"]!.GetValue<string>());
        Assert.Equal("2026-01-01T00:01:00Z", core["lastTimestamp"]!.GetValue<string>());
        Assert.Equal(4, core["series"]!["count"]!.GetValue<int>());
        Assert.Null(core["regarding"]);
        Assert.Null(core["note"]);

        // Written as core/v1, read as events.k8s.io/v1.
        core["message"] = "changed";
        await Api.PutAsync("/api/v1/namespaces/default/events/e1", core);
        var events = (await Api.GetAsync("/apis/events.k8s.io/v1/namespaces/default/events/e1")).Object;
        Assert.Equal("changed", events["note"]!.GetValue<string>());
        Assert.Equal("web", events["regarding"]!["name"]!.GetValue<string>());
        Assert.Null(events["message"]);
    }

    [Fact]
    public async Task Field_selectors_kubectl_describe_uses_find_the_events()
    {
        await Api.CreateAsync("/apis/events.k8s.io/v1/namespaces/default/events", NewEvent("mine", "u-1"));
        var other = NewEvent("theirs", "u-2");
        other["regarding"]!["name"] = "other";
        await Api.CreateAsync("/apis/events.k8s.io/v1/namespaces/default/events", other);
        var selector = Uri.EscapeDataString("involvedObject.name=web,involvedObject.namespace=default,involvedObject.kind=Service,involvedObject.uid=u-1");
        var core = await Api.GetAsync("/api/v1/namespaces/default/events?fieldSelector=" + selector);
        Assert.Equal(["mine"], core.Object["items"]!.AsArray().Select(i => i!["metadata"]!["name"]!.GetValue<string>()));
        var events = await Api.GetAsync("/apis/events.k8s.io/v1/namespaces/default/events?fieldSelector=" + Uri.EscapeDataString("regarding.name=other,reportingController=lb.baremetal.dev/controller"));
        Assert.Equal(["theirs"], events.Object["items"]!.AsArray().Select(i => i!["metadata"]!["name"]!.GetValue<string>()));
    }

    [Fact]
    public async Task Watching_events_through_either_API_converts_each_event()
    {
        using var coreWatch = await Api.WatchAsync("/api/v1/namespaces/default/events?watch=true&resourceVersion=" + Server.ResourceVersion);
        using var newWatch = await Api.WatchAsync("/apis/events.k8s.io/v1/events?watch=true&resourceVersion=" + Server.ResourceVersion);
        await Api.CreateAsync("/apis/events.k8s.io/v1/namespaces/default/events", NewEvent("w", "u-1"));
        var c = await coreWatch.NextAsync();
        Assert.Equal("Assigned IP 192.0.2.10", c!["object"]!["message"]!.GetValue<string>());
        var n = await newWatch.NextAsync();
        Assert.Equal("Assigned IP 192.0.2.10", n!["object"]!["note"]!.GetValue<string>());
    }
}
