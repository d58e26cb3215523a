namespace LoadBalancer.Model.Crds;

/// <summary>The API group and version of every LoadBalancer CRD.</summary>
public static class ModelGroup
{
    public const string Group = "lb.baremetal.dev";
    public const string Version = "v1beta1";
    public const string ApiVersion = Group + "/" + Version;
    /// <summary>The namespace all our CRs live in by default.</summary>
    public const string DefaultNamespace = "loadbalancer-system";
}
