using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace LoadBalancer.Speaker.Layer2;

/// <summary>Instruments of the Layer 2 responder (meter <c>LoadBalancer.Speaker</c>, exported as <c>loadbalancer_layer2_*</c>).</summary>
internal sealed class Layer2Metrics
{
    public const string MeterName = "LoadBalancer.Speaker";

    private readonly Counter<long> _requests;
    private readonly Counter<long> _responses;
    private readonly Counter<long> _gratuitous;
    private readonly Counter<long> _conflicts;
    private readonly Counter<long> _probes;

    public Layer2Metrics(IMeterFactory meterFactory)
    {
        var meter = meterFactory.Create(MeterName);
        _requests = meter.CreateCounter<long>("loadbalancer.layer2.requests_received", "{request}", "ARP requests and neighbor solicitations received for an IP this node announces");
        _responses = meter.CreateCounter<long>("loadbalancer.layer2.responses_sent", "{response}", "ARP replies and neighbor advertisements sent in answer to a request");
        _gratuitous = meter.CreateCounter<long>("loadbalancer.layer2.gratuitous_sent", "{packet}", "Gratuitous ARP and unsolicited neighbor advertisements sent");
        _conflicts = meter.CreateCounter<long>("loadbalancer.layer2.conflicts", "{conflict}", "Times another host was seen answering for an IP this node announces or is about to");
        _probes = meter.CreateCounter<long>("loadbalancer.layer2.probes_sent", "{packet}", "ARP probes and DAD solicitations sent before announcing");
    }

    public void RequestReceived(string ip, string protocol) => _requests.Add(1, Tags(ip, protocol));

    public void ResponseSent(string ip, string protocol) => _responses.Add(1, Tags(ip, protocol));

    public void GratuitousSent(string ip, string protocol, int count) => _gratuitous.Add(count, Tags(ip, protocol));

    public void Conflict(string ip) => _conflicts.Add(1, new KeyValuePair<string, object?>("ip", ip));

    public void ProbeSent(string ip, string protocol, int count) => _probes.Add(count, Tags(ip, protocol));

    private static TagList Tags(string ip, string protocol) => new() { { "ip", ip }, { "protocol", protocol } };
}
