using System.Net;
using LoadBalancer.Speaker.Announcing;
using Xunit.Abstractions;

namespace LoadBalancer.Integration.Tests.Layer2;

/// <summary>The responder on real AF_PACKET sockets in network namespaces, checked with arping, ndisc6 and the client's kernel.</summary>
[Collection("layer2-netns")]
[Trait("Category", "Privileged")]
public sealed class Layer2NetworkTests(ITestOutputHelper output) : IAsyncLifetime, IDisposable
{
    private const string Node1Mac = "02:00:00:00:00:11";
    private const string Node2Mac = "02:00:00:00:00:12";
    private readonly TestMeters _meters = new();
    private L2Lab _lab = null!;

    public async Task InitializeAsync() => _lab = await L2Lab.CreateAsync();

    public async Task DisposeAsync() => await _lab.DisposeAsync();

    public void Dispose() => _meters.Dispose();

    private static Task Desire(Speaker.Layer2.Layer2Announcer a, params Layer2Announcement[] announcements)
        => a.SetDesiredAsync(announcements, CancellationToken.None).AsTask().WaitAsync(TimeSpan.FromSeconds(10));

    private static async Task WaitAnnounced(Speaker.Layer2.Layer2Announcer a, string ip)
        => Assert.True(await L2Lab.WaitUntilAsync(() => Task.FromResult(a.Announced.Contains(IPAddress.Parse(ip))), TimeSpan.FromSeconds(5)), $"{ip} not announced: {string.Join("; ", a.Failures)}");

    [Fact]
    public async Task Arping_And_Ndisc6_GetAnswersFromTheOwnersMacOnly()
    {
        await using var n1 = L2Lab.NewAnnouncer(_lab.Node1, output, _meters);
        await using var n2 = L2Lab.NewAnnouncer(_lab.Node2, output, _meters);
        await Desire(n1, L2Lab.Announce("192.0.2.200"), L2Lab.Announce("2001:db8::200"));
        await Desire(n2); // node 2 runs too, owning nothing
        await WaitAnnounced(n1, "192.0.2.200");
        await WaitAnnounced(n1, "2001:db8::200");

        var arp = await _lab.ArpingAsync("192.0.2.200");
        Assert.NotEmpty(arp);
        Assert.All(arp, mac => Assert.Equal(Node1Mac, mac));
        Assert.Equal(Node1Mac, await _lab.Ndisc6Async("2001:db8::200"));
        Assert.Empty(n1.Failures);
    }

    [Fact]
    public async Task NothingAnswers_ForAnUnassignedIp_OrAfterRemoval()
    {
        await using var n1 = L2Lab.NewAnnouncer(_lab.Node1, output, _meters);
        await Desire(n1, L2Lab.Announce("192.0.2.200"), L2Lab.Announce("2001:db8::200"));
        await WaitAnnounced(n1, "192.0.2.200");
        Assert.Empty(await _lab.ArpingAsync("192.0.2.202"));
        Assert.Null(await _lab.Ndisc6Async("2001:db8::202"));

        await Desire(n1);
        Assert.Empty(await _lab.ArpingAsync("192.0.2.200"));
        Assert.Null(await _lab.Ndisc6Async("2001:db8::200"));
    }

    [Fact]
    public async Task InterfaceRestriction_Holds()
    {
        await using var n1 = L2Lab.NewAnnouncer(_lab.Node1, output, _meters);
        await Desire(n1, L2Lab.Announce("192.0.2.210", "eth1"));
        await WaitAnnounced(n1, "192.0.2.210");
        Assert.Equal(["02:00:00:00:01:11"], (await _lab.ArpingAsync("192.0.2.210", "eth1", 1)).Distinct());
        Assert.Empty(await _lab.ArpingAsync("192.0.2.210", "eth0", 2));

        await Desire(n1, L2Lab.Announce("192.0.2.210", "eth0"));
        Assert.Empty(await _lab.ArpingAsync("192.0.2.210", "eth1", 2));
        Assert.Equal([Node1Mac], (await _lab.ArpingAsync("192.0.2.210", "eth0", 1)).Distinct());
    }

    [Fact]
    public async Task InterfaceAppearingLater_IsPickedUp_AndMissingOneIsReported()
    {
        await using var n1 = L2Lab.NewAnnouncer(_lab.Node1, output, _meters);
        await Desire(n1, L2Lab.Announce("192.0.2.211", "eth5"));
        Assert.Equal("InterfaceNotFound", Assert.Single(n1.Failures).Reason);
        await _lab.Node1.CheckAsync("ip", "link", "set", "eth1", "down");
        await _lab.Node1.CheckAsync("ip", "link", "set", "eth1", "name", "eth5");
        await _lab.Node1.CheckAsync("ip", "link", "set", "eth5", "up");
        Assert.True(await L2Lab.WaitUntilAsync(() => Task.FromResult(n1.Failures.Count == 0), TimeSpan.FromSeconds(5)), string.Join("; ", n1.Failures));
        await WaitAnnounced(n1, "192.0.2.211");
        Assert.Equal(["02:00:00:00:01:11"], (await _lab.ArpingAsync("192.0.2.211", "eth1", 1)).Distinct());
    }

    [Fact]
    public async Task ForeignHostSquattingOnAPoolIp_IsDetected_AndNotFought()
    {
        await using var n1 = L2Lab.NewAnnouncer(_lab.Node1, output, _meters);
        await Desire(n1, L2Lab.Announce("192.0.2.201"), L2Lab.Announce("2001:db8::201"));
        Assert.True(await L2Lab.WaitUntilAsync(() => Task.FromResult(n1.Failures.Count(f => f.Reason == "AddressConflict") == 2), TimeSpan.FromSeconds(5)),
            string.Join("; ", n1.Failures));
        Assert.All(n1.Failures, f => Assert.Contains("02:00:00:00:00:99", f.Message));
        Assert.Empty(n1.Announced);
        // The client still reaches the squatter only: we did not fight for the address.
        Assert.All(await _lab.ArpingAsync("192.0.2.201"), mac => Assert.Equal("02:00:00:00:00:99", mac));

        // The squatter leaves: the next recheck finds the IP free and it is announced.
        await _lab.Squatter.CheckAsync("ip", "addr", "del", "192.0.2.201/24", "dev", "eth0");
        await WaitAnnounced(n1, "192.0.2.201");
        Assert.DoesNotContain(n1.Failures, f => f.Ip.Equals(IPAddress.Parse("192.0.2.201")));
    }

    [Fact]
    public async Task ClientNeighbourTable_MovesToTheNewOwner_OnGratuitousArpAndUnsolicitedNa()
    {
        await using var n1 = L2Lab.NewAnnouncer(_lab.Node1, output, _meters);
        await using var n2 = L2Lab.NewAnnouncer(_lab.Node2, output, _meters);
        await Desire(n2);
        await Desire(n1, L2Lab.Announce("192.0.2.200"), L2Lab.Announce("2001:db8::200"));
        await WaitAnnounced(n1, "192.0.2.200");
        await WaitAnnounced(n1, "2001:db8::200");
        // The client learns node 1 through its own kernel (ping creates the entries; nobody has to answer the echo).
        await _lab.Client.ExecAsync("ping", "-c", "1", "-W", "1", "192.0.2.200");
        await _lab.Client.ExecAsync("ping", "-6", "-c", "1", "-W", "1", "2001:db8::200");
        Assert.Equal(Node1Mac, await _lab.ClientNeighbourAsync("192.0.2.200"));
        Assert.Equal(Node1Mac, await _lab.ClientNeighbourAsync("2001:db8::200"));

        await Desire(n1);
        await Desire(n2, L2Lab.Announce("192.0.2.200"), L2Lab.Announce("2001:db8::200"));
        Assert.True(await L2Lab.WaitUntilAsync(async () => await _lab.ClientNeighbourAsync("192.0.2.200") == Node2Mac, TimeSpan.FromSeconds(3)),
            "client's ARP entry did not move to node 2");
        Assert.True(await L2Lab.WaitUntilAsync(async () => await _lab.ClientNeighbourAsync("2001:db8::200") == Node2Mac, TimeSpan.FromSeconds(3)),
            "client's neighbour entry did not move to node 2");
    }
}
