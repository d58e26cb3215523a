using LoadBalancer.Kube.Api;

namespace LoadBalancer.Kube.Tests.Fakes;

internal static class Objects
{
    public static V1Service Service(string ns, string name, Dictionary<string, string>? labels = null, string type = "LoadBalancer") => new()
    {
        Metadata = new ObjectMeta { Namespace = ns, Name = name, Labels = labels },
        Spec = new ServiceSpec { Type = type, Ports = [new ServicePort { Name = "http", Port = 80, Protocol = "TCP" }] },
    };
}
