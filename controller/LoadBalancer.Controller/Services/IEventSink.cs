using LoadBalancer.Kube;
using LoadBalancer.Kube.Api;

namespace LoadBalancer.Controller.Services;

/// <summary>Where the reconciler's Events go (the Kube <see cref="EventRecorder"/> in the host).</summary>
internal interface IEventSink
{
    void Record(ObjectReference regarding, string type, string reason, string action, string note);
}

internal sealed class RecorderEventSink(EventRecorder recorder) : IEventSink
{
    public void Record(ObjectReference regarding, string type, string reason, string action, string note)
        => recorder.Record(regarding, type, reason, action, note);
}
