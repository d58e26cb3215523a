using LoadBalancer.Controller.Allocation;
using LoadBalancer.Model.Config;
using LoadBalancer.Model.Net;
using LoadBalancer.Model.Tests.Support;

namespace LoadBalancer.Controller.Tests.Allocation;

/// <summary>Step tables in the style of MetalLB's allocator tests: each step runs against the same allocator, in order.</summary>
public class AllocatorTests
{
    internal sealed record Step(string Desc, Func<Allocator, string> Act, string Expected);

    private static Allocator New(string yaml)
    {
        var result = ConfigBuilder.Build(YamlObjects.Resources(yaml));
        Assert.True(result.IsValid, string.Join("\n", result.Errors));
        var a = new Allocator();
        Assert.Empty(a.SetPools(result.Config));
        return a;
    }

    private static LoadBalancerConfig Config(string yaml) => ConfigBuilder.Build(YamlObjects.Resources(yaml)).Config;

    internal static AllocationRequest Req(string svc, string? pool = null, string key = "", string backend = "", string ports = "TCP/80",
        FamilyPolicy policy = FamilyPolicy.SingleStack, string families = "IPv4", Dictionary<string, string>? labels = null)
        => new()
        {
            Service = svc,
            Namespace = svc.Split('/')[0],
            Labels = labels,
            Pool = pool,
            SharingKey = key,
            BackendKey = backend,
            Policy = policy,
            Families = [.. families.Split(',').Select(f => Enum.Parse<IPFamily>(f))],
            Ports = [.. ports.Split(',', StringSplitOptions.RemoveEmptyEntries).Select(p => new PortKey(p.Split('/')[0], int.Parse(p.Split('/')[1], System.Globalization.CultureInfo.InvariantCulture)))],
        };

    internal static IPKey[] Ips(string s) => [.. s.Split(',').Select(x => IPKey.TryParse(x, out var k) ? k : throw new FormatException(x))];

    private static string R(AllocationResult r) => r.Success ? $"{r.Pool}:{string.Join(",", r.IPs)}" : $"{r.ErrorKind}: {r.Error}";

    private static void Run(Allocator a, params Step[] steps)
    {
        foreach (var s in steps)
        {
            var actual = s.Act(a);
            Assert.True(actual.StartsWith(s.Expected, StringComparison.Ordinal) || (s.Expected.Contains(": ", StringComparison.Ordinal) && actual.Contains(s.Expected.Split(": ", 2)[1], StringComparison.Ordinal) && actual.StartsWith(s.Expected.Split(": ", 2)[0], StringComparison.Ordinal)),
                $"step \"{s.Desc}\": expected \"{s.Expected}\", got \"{actual}\"");
        }
    }

    private const string Small = """
        kind: IPAddressPool
        metadata: {name: small}
        spec: {addresses: [192.0.2.0/30]}
        """;

    [Fact]
    public void Assignment_StepTable()
    {
        var a = New(Small);
        Run(a,
            new("s1 takes the first free IP", x => R(x.Allocate(Req("ns/s1"))), "small:192.0.2.0"),
            new("s2 takes the next", x => R(x.Allocate(Req("ns/s2"))), "small:192.0.2.1"),
            new("s1 idempotent reassign", x => R(x.Assign(Req("ns/s1"), Ips("192.0.2.0"))), "small:192.0.2.0"),
            new("s3 can't grab s1's IP", x => R(x.Assign(Req("ns/s3"), Ips("192.0.2.0"))), "InUse: requested IP 192.0.2.0 is in use by ns/s1 (which does not allow sharing)"),
            new("s3 requests a free IP", x => R(x.Assign(Req("ns/s3"), Ips("192.0.2.3"))), "small:192.0.2.3"),
            new("s4 gets the hole", x => R(x.Allocate(Req("ns/s4"))), "small:192.0.2.2"),
            new("s5: pool exhausted", x => R(x.Allocate(Req("ns/s5"))), "PoolExhausted: no available IPs: pool \"small\" exhausted"),
            new("s2 released", x => x.Unassign("ns/s2").ToString(), "True"),
            new("releasing twice is a no-op", x => x.Unassign("ns/s2").ToString(), "False"),
            new("s5 now gets s2's IP", x => R(x.Allocate(Req("ns/s5"))), "small:192.0.2.1"),
            new("IP outside every pool", x => R(x.Assign(Req("ns/s6"), Ips("198.51.100.1"))), "NotInPool: 198.51.100.1 is not in any IPAddressPool"),
            new("s1 moves to a requested IP, its old one is freed", x => { x.Unassign("ns/s3"); return R(x.Assign(Req("ns/s1"), Ips("192.0.2.3"))); }, "small:192.0.2.3"),
            new("the old IP is free again", x => R(x.Allocate(Req("ns/s7"))), "small:192.0.2.0"));
        var usage = a.Usage("small");
        Assert.Equal((4L, 0L, 0L), (usage.AssignedIPv4, usage.AvailableIPv4, usage.AssignedIPv6));
    }

    [Fact]
    public void Sharing_StepTable()
    {
        var a = New(Small);
        Run(a,
            new("s1 with key k on TCP/80", x => R(x.Allocate(Req("a/s1", key: "k", ports: "TCP/80"))), "small:192.0.2.0"),
            new("s2 same key, other port: auto-allocation shares the lowest compatible IP", x => R(x.Allocate(Req("b/s2", key: "k", ports: "TCP/443"))), "small:192.0.2.0"),
            new("s3 same key, same port: gets another IP", x => R(x.Allocate(Req("c/s3", key: "k", ports: "TCP/80"))), "small:192.0.2.1"),
            new("s4 requests s1's IP, port overlap", x => R(x.Assign(Req("d/s4", key: "k", ports: "TCP/80"), Ips("192.0.2.0"))), "SharingConflict: sharing conflict on TCP/80 with a/s1 at 192.0.2.0"),
            new("s4 requests s1's IP, UDP/80 is a different port", x => R(x.Assign(Req("d/s4", key: "k", ports: "UDP/80"), Ips("192.0.2.0"))), "small:192.0.2.0"),
            new("s5 requests with a different key", x => R(x.Assign(Req("e/s5", key: "other", ports: "TCP/9"), Ips("192.0.2.0"))), "InUse: requested IP 192.0.2.0 is in use by a/s1 with sharing key \"k\", not \"other\""),
            new("s5 requests without a key", x => R(x.Assign(Req("e/s5", ports: "TCP/9"), Ips("192.0.2.0"))), "InUse: requested IP 192.0.2.0 is in use by a/s1; to share it set the allow-shared-ip annotation to \"k\""),
            new("s6 Local policy cannot share with Cluster", x => R(x.Assign(Req("f/s6", key: "k", backend: "app=web", ports: "TCP/9"), Ips("192.0.2.0"))), "SharingConflict: sharing conflict on 192.0.2.0 with a/s1"),
            new("Local+Local with the same selector share", x => R(x.Allocate(Req("g/l1", key: "loc", backend: "app=web"))), "small:192.0.2.2"),
            new("Local+Local same selector", x => R(x.Assign(Req("g/l2", key: "loc", backend: "app=web", ports: "TCP/81"), Ips("192.0.2.2"))), "small:192.0.2.2"),
            new("Local with another selector", x => R(x.Assign(Req("g/l3", key: "loc", backend: "app=db", ports: "TCP/82"), Ips("192.0.2.2"))), "SharingConflict: sharing conflict on 192.0.2.2 with g/l1"),
            new("sole user of an IP can change its key in place", x => R(x.Assign(Req("c/s3", key: "new", ports: "TCP/80"), Ips("192.0.2.1"))), "small:192.0.2.1"),
            new("a shared IP is freed only when its last user leaves", x => { x.Unassign("a/s1"); x.Unassign("b/s2"); return string.Join(",", x.UsersOf(Ips("192.0.2.0")[0])); }, "d/s4"));
        Assert.Equal(3L, a.Usage("small").AssignedIPv4);
        a.Unassign("d/s4");
        Assert.Equal(2L, a.Usage("small").AssignedIPv4);
    }

    private const string Pools = """
        kind: IPAddressPool
        metadata: {name: default-pool}
        spec: {addresses: [198.51.100.0/24]}
        ---
        kind: IPAddressPool
        metadata: {name: manual}
        spec: {addresses: [203.0.113.0/24], autoAssign: false}
        ---
        kind: IPAddressPool
        metadata: {name: team-a-low}
        spec:
          addresses: [192.0.2.128/25]
          serviceAllocation: {priority: 20, namespaces: [team-a]}
        ---
        kind: IPAddressPool
        metadata: {name: team-a-high}
        spec:
          addresses: [192.0.2.0/26]
          serviceAllocation: {priority: 10, namespaces: [team-a]}
        ---
        kind: IPAddressPool
        metadata: {name: web-only}
        spec:
          addresses: [192.0.2.64/30]
          serviceAllocation: {serviceSelectors: [{matchLabels: {tier: web}}]}
        ---
        kind: IPAddressPool
        metadata: {name: buggy}
        spec: {addresses: [10.0.0.255/32, 10.0.1.0-10.0.1.2], avoidBuggyIPs: true, autoAssign: false}
        """;

    [Fact]
    public void PoolSelection_StepTable()
    {
        var a = New(Pools);
        Run(a,
            new("team-a uses its highest-priority pool", x => R(x.Allocate(Req("team-a/s1"))), "team-a-high:192.0.2.0"),
            new("other namespaces use the unpinned pool", x => R(x.Allocate(Req("other/s1"))), "default-pool:198.51.100.0"),
            new("web services get the web pool (priority 0 = last among pinned)", x => R(x.Allocate(Req("other/web", labels: new() { ["tier"] = "web" }))), "web-only:192.0.2.64"),
            new("team-a web: priority 10 beats priority 0", x => R(x.Allocate(Req("team-a/web", labels: new() { ["tier"] = "web" }))), "team-a-high:192.0.2.1"),
            new("autoAssign=false pool by annotation", x => R(x.Allocate(Req("other/m", pool: "manual"))), "manual:203.0.113.0"),
            new("autoAssign=false pool by IP", x => R(x.Assign(Req("other/m2"), Ips("203.0.113.7"))), "manual:203.0.113.7"),
            new("unknown pool", x => R(x.Allocate(Req("other/u", pool: "nope"))), "NoMatchingPool: unknown pool \"nope\""),
            new("pinned pool by annotation, namespace not selected", x => R(x.Allocate(Req("other/p", pool: "team-a-high"))), "NoMatchingPool: pool \"team-a-high\" does not select this Service"),
            new("requested IP in a pinned pool, namespace not selected", x => R(x.Assign(Req("other/p"), Ips("192.0.2.10"))), "NoMatchingPool: pool \"team-a-high\" holds 192.0.2.10 but its serviceAllocation does not select this Service"),
            new("requested IP must lie in the annotated pool", x => R(x.Assign(Req("other/p", pool: "manual"), Ips("198.51.100.9"))), "NotInPool: 198.51.100.9 is in pool \"default-pool\", not in the requested pool \"manual\""),
            new("avoidBuggyIPs skips .255 and .0", x => R(x.Allocate(Req("other/b", pool: "buggy"))), "buggy:10.0.1.1"),
            new("avoidBuggyIPs refuses a requested .0", x => R(x.Assign(Req("other/b2"), Ips("10.0.1.0"))), "NotInPool: 10.0.1.0 ends in .0 or .255 and pool \"buggy\" sets avoidBuggyIPs"),
            new("buggy pool: next", x => R(x.Allocate(Req("other/b3", pool: "buggy"))), "buggy:10.0.1.2"),
            new("buggy pool exhausted although .0 and .255 are free", x => R(x.Allocate(Req("other/b4", pool: "buggy"))), "PoolExhausted: no available IPs: pool \"buggy\" exhausted"));
        var buggy = a.Usage("buggy");
        Assert.Equal((2L, 0L), (buggy.AssignedIPv4, buggy.AvailableIPv4));
    }

    [Fact]
    public void NoPools_And_WrongFamily()
    {
        var empty = new Allocator();
        Assert.Equal("NoMatchingPool: no IPAddressPool is configured", R(empty.Allocate(Req("a/b"))));
        var a = New(Small);
        Run(a,
            new("IPv6 single-stack with only IPv4 pools", x => R(x.Allocate(Req("a/v6", families: "IPv6"))), "FamilyMismatch: family mismatch: the Service needs IPv6 and none of \"small\" has IPv6 addresses"),
            new("requesting an IPv6 address for an IPv4 Service", x => R(x.Assign(Req("a/v4"), Ips("2001:db8::1"))), "FamilyMismatch: family mismatch: 2001:db8::1 is IPv6 but the Service is IPv4 single-stack"),
            new("two IPs of one family", x => R(x.Assign(Req("a/v4"), Ips("192.0.2.1,192.0.2.2"))), "InvalidRequest: at most one IP per family"));
    }

    private const string Dual = """
        kind: IPAddressPool
        metadata: {name: v4only}
        spec: {addresses: [198.51.100.0/24]}
        ---
        kind: IPAddressPool
        metadata: {name: z-dual}
        spec: {addresses: ["2001:db8::/64", 192.0.2.0/24]}
        ---
        kind: IPAddressPool
        metadata: {name: v6only}
        spec: {addresses: ["2001:db8:1::/64"], serviceAllocation: {namespaces: [six]}}
        """;

    [Fact]
    public void DualStack_StepTable()
    {
        var a = New(Dual);
        Run(a,
            new("SingleStack IPv4 takes the first unpinned pool by name", x => R(x.Allocate(Req("d/s"))), "v4only:198.51.100.0"),
            new("RequireDualStack takes both from one pool, in ipFamilies order", x => R(x.Allocate(Req("d/r", policy: FamilyPolicy.RequireDualStack, families: "IPv6,IPv4"))), "z-dual:2001:db8::,192.0.2.0"),
            new("PreferDualStack prefers a pool with both", x => R(x.Allocate(Req("d/p", policy: FamilyPolicy.PreferDualStack, families: "IPv4,IPv6"))), "z-dual:192.0.2.1,2001:db8::1"),
            new("PreferDualStack falls back to one family", x => R(x.Allocate(Req("six/p", policy: FamilyPolicy.PreferDualStack, families: "IPv6,IPv4"))), "z-dual:2001:db8::2,192.0.2.2"),
            new("RequireDualStack requested pair from one pool", x => R(x.Assign(Req("d/r2", policy: FamilyPolicy.RequireDualStack, families: "IPv4,IPv6"), Ips("2001:db8::99,192.0.2.99"))), "z-dual:192.0.2.99,2001:db8::99"),
            new("RequireDualStack requested single IP", x => R(x.Assign(Req("d/r3", policy: FamilyPolicy.RequireDualStack, families: "IPv4,IPv6"), Ips("192.0.2.98"))), "FamilyMismatch: family mismatch: RequireDualStack needs one IPv4 and one IPv6 address"),
            new("a pair split over two pools", x => R(x.Assign(Req("d/r4", policy: FamilyPolicy.RequireDualStack, families: "IPv4,IPv6"), Ips("198.51.100.50,2001:db8::50"))), "NotInPool: 198.51.100.50 (pool \"v4only\") and 2001:db8::50 (pool \"z-dual\") are in different pools"),
            new("IPv6 single stack in namespace six: pinned v6only", x => R(x.Allocate(Req("six/s", families: "IPv6"))), "v6only:2001:db8:1::"));
    }

    [Fact]
    public void RequireDualStack_NoDualPool_IsAFamilyMismatch()
    {
        var a = New(Small);
        Assert.StartsWith("FamilyMismatch: family mismatch: RequireDualStack needs a pool with both", R(a.Allocate(Req("d/r", policy: FamilyPolicy.RequireDualStack, families: "IPv4,IPv6"))), StringComparison.Ordinal);
        // PreferDualStack settles for IPv4.
        Assert.Equal("small:192.0.2.0", R(a.Allocate(Req("d/p", policy: FamilyPolicy.PreferDualStack, families: "IPv4,IPv6"))));
    }

    [Fact]
    public void SetPools_ShrinkOrDelete_EvictsOnlyServicesWhoseIPLeftEveryPool()
    {
        var a = New("""
            kind: IPAddressPool
            metadata: {name: p}
            spec: {addresses: [192.0.2.0/29]}
            """);
        for (var i = 0; i < 8; i++) Assert.True(a.Allocate(Req($"ns/s{i}")).Success);
        // Shrink to .0-.3 and move .4-.5 to a new pool "q": s6, s7 lose their IPs; s4, s5 are re-homed.
        var evicted = a.SetPools(Config("""
            kind: IPAddressPool
            metadata: {name: p}
            spec: {addresses: [192.0.2.0/30]}
            ---
            kind: IPAddressPool
            metadata: {name: q}
            spec: {addresses: [192.0.2.4/31]}
            """));
        Assert.Equal("ns/s6,ns/s7", string.Join(",", evicted.Select(e => e.Service)));
        Assert.Equal("q", a.GetAssignment("ns/s4")!.Pool);
        Assert.Equal("192.0.2.4", a.GetAssignment("ns/s4")!.IPs[0].ToString());
        Assert.Equal("p", a.GetAssignment("ns/s0")!.Pool);
        Assert.Null(a.GetAssignment("ns/s6"));
        Assert.Equal((4L, 0L), (a.Usage("p").AssignedIPv4, a.Usage("p").AvailableIPv4));
        Assert.Equal((2L, 0L), (a.Usage("q").AssignedIPv4, a.Usage("q").AvailableIPv4));
        // Deleting every pool evicts everyone.
        Assert.Equal(6, a.SetPools(LoadBalancerConfig.Empty).Count);
        Assert.Equal(0, a.ServiceCount);
    }

    [Fact]
    public void HugePools_SlashEight_And_SlashSixtyFour_AreCheap()
    {
        var a = New("""
            kind: IPAddressPool
            metadata: {name: big}
            spec: {addresses: [10.0.0.0/8, "2001:db8::/64"], avoidBuggyIPs: true}
            """);
        var usage = a.Usage("big");
        Assert.Equal(16777216L - 2 * 65536, usage.AvailableIPv4);
        Assert.Equal(long.MaxValue, usage.AvailableIPv6); // 2^64 saturates
        for (var i = 0; i < 300; i++) Assert.True(a.Allocate(Req($"ns/v4-{i}")).Success);
        // 300 addresses skip .0 and .255 of 10.0.0.0/24 and 10.0.1.0/24: the 300th is 10.0.1.46.
        Assert.Equal("10.0.1.46", a.GetAssignment("ns/v4-299")!.IPs[0].ToString());
        Assert.Equal("big:2001:db8::", R(a.Allocate(Req("ns/v6", families: "IPv6"))));
        Assert.Equal("big:2001:db8::ffff:ffff:ffff:ffff", R(a.Assign(Req("ns/v6-last", families: "IPv6"), Ips("2001:db8::ffff:ffff:ffff:ffff"))));
        Assert.Equal("big:2001:db8::1", R(a.Allocate(Req("ns/v6-2", families: "IPv6"))));
    }

    [Fact]
    public void Deterministic_SameOperations_SameResults()
    {
        static string RunOnce()
        {
            var a = New(Pools + "\n---\n" + Dual.Replace("198.51.100.0/24", "198.18.0.0/24", StringComparison.Ordinal).Replace("192.0.2.0/24", "198.18.1.0/24", StringComparison.Ordinal));
            var rng = new Random(123);
            var log = new List<string>();
            for (var i = 0; i < 500; i++)
            {
                var svc = $"ns{rng.Next(3)}/s{rng.Next(60)}";
                switch (rng.Next(3))
                {
                    case 0: log.Add(R(a.Allocate(Req(svc, key: rng.Next(2) == 0 ? "" : "k", ports: $"TCP/{rng.Next(3)}")))); break;
                    case 1: log.Add(a.Unassign(svc).ToString()); break;
                    default: log.Add(R(a.Allocate(Req(svc, policy: FamilyPolicy.PreferDualStack, families: "IPv6,IPv4")))); break;
                }
            }
            return string.Join("\n", log);
        }
        Assert.Equal(RunOnce(), RunOnce());
    }

    [Fact]
    public void FreeRangeSet_MatchesANaiveModel()
    {
        var rng = new Random(99);
        var set = new FreeRangeSet();
        set.AddRange(0, 1023);
        var naive = new SortedSet<int>(Enumerable.Range(0, 1024));
        for (var i = 0; i < 20000; i++)
        {
            var ip = rng.Next(1024);
            if (rng.Next(2) == 0) Assert.Equal(naive.Remove(ip), set.Take((UInt128)ip));
            else Assert.Equal(naive.Add(ip), set.Release((UInt128)ip));
            Assert.Equal((UInt128)naive.Count, set.FreeCount);
            var from = rng.Next(1024);
            var to = Math.Min(1023, from + rng.Next(300));
            var expected = naive.GetViewBetween(from, to).Where(x => (byte)x is not 0 and not 255).Select(x => (int?)x).FirstOrDefault();
            Assert.Equal(expected, set.TryFindFirst((UInt128)from, (UInt128)to, avoidBuggy: true, out var found) ? (int?)(int)found : null);
        }
        // Intervals stay merged: releasing everything leaves one interval.
        for (var ip = 0; ip < 1024; ip++) set.Release((UInt128)ip);
        Assert.Equal(1, set.IntervalCount);
    }
}
