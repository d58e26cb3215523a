using System.Buffers;
using LoadBalancer.Proto.Arp;
using LoadBalancer.Proto.Ethernet;
using LoadBalancer.Proto.Ip;
using LoadBalancer.Proto.Ndp;
using LoadBalancer.Proto.Primitives;
using LoadBalancer.Speaker.Layer2;

namespace LoadBalancer.Speaker.Tests.Layer2;

/// <summary>A port that records what the responder sends.</summary>
internal sealed class FakePort(int index, string name, MacAddress mac, UInt128? linkLocal = null) : IL2Port
{
    private readonly List<byte[]> _sent = [];

    public int Index { get; } = index;
    public string Name { get; } = name;
    public MacAddress Mac { get; } = mac;
    public UInt128? LinkLocal { get; } = linkLocal;
    public IReadOnlySet<UInt128> Groups { get; private set; } = new HashSet<UInt128>();

    public bool TrySend(ReadOnlySpan<byte> frame)
    {
        lock (_sent) _sent.Add(frame.ToArray());
        return true;
    }

    public void SetMulticastGroups(IReadOnlySet<UInt128> groups) => Groups = new HashSet<UInt128>(groups);

    public List<byte[]> Take()
    {
        lock (_sent)
        {
            var all = _sent.ToList();
            _sent.Clear();
            return all;
        }
    }

    public List<ArpPacket> TakeArp() => [.. Take().Select(f => ArpFrame.TryRead(f, out _, out var a) == OperationStatus.Done ? a : throw new InvalidOperationException("not ARP: " + Convert.ToHexString(f)))];

    public List<(EthernetHeader Eth, IPv6Header Ip, NdpMessage Message)> TakeNdp()
        => [.. Take().Select(f => NdpFrame.TryRead(f, out var e, out var i, out var m) == OperationStatus.Done ? (e, i, m) : throw new InvalidOperationException("not NDP: " + Convert.ToHexString(f)))];
}

/// <summary>A provider whose ports the test sets; frames are injected straight into the handler.</summary>
internal sealed class FakeProvider : IL2PortProvider
{
    public IL2PortHandler? Handler { get; private set; }
    public List<IL2Port> Ports { get; } = [];

    public void Start(IL2PortHandler handler)
    {
        Handler = handler;
        handler.OnPortsChanged([.. Ports], new Dictionary<string, string>());
    }

    public void SetPorts(params IL2Port[] ports)
    {
        Ports.Clear();
        Ports.AddRange(ports);
        Handler?.OnPortsChanged([.. Ports], new Dictionary<string, string>());
    }

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;
}
