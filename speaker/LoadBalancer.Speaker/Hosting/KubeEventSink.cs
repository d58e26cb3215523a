using LoadBalancer.Kube;
using LoadBalancer.Kube.Api;
using LoadBalancer.Speaker.Status;

namespace LoadBalancer.Speaker.Hosting;

/// <summary>Posts Service Events through the Kube <see cref="EventRecorder"/> (events.k8s.io/v1, series aggregation, per-object rate limit).</summary>
internal sealed class KubeEventSink(EventRecorder recorder) : IServiceEventSink
{
    public void Post(ServiceEvent serviceEvent, string? uid)
    {
        var regarding = new ObjectReference { ApiVersion = "v1", Kind = "Service", Namespace = serviceEvent.Service.Namespace, Name = serviceEvent.Service.Name, Uid = uid };
        var action = serviceEvent.Reason switch { "Withdrawn" => "Withdraw", _ => "Announce" };
        recorder.Record(regarding, serviceEvent.Type, serviceEvent.Reason, action, serviceEvent.Message);
    }
}
