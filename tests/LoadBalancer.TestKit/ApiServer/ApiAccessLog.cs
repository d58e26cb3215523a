using System.Collections.Concurrent;

namespace LoadBalancer.TestKit.ApiServer;

/// <summary>
/// One kind of request the server served, as RBAC names it: the client's User-Agent, the API group, the resource
/// (with <c>/status</c> for the subresource), the verb (get, list, watch, create, update, patch, delete,
/// deletecollection) and the namespace (empty for cluster-wide requests and cluster-scoped resources).
/// </summary>
public sealed record ApiAccess(string UserAgent, string Group, string Resource, string Verb, string Namespace)
{
    public override string ToString() => $"{Verb} {Resource}{(Group.Length == 0 ? "" : "." + Group)}{(Namespace.Length == 0 ? "" : " in " + Namespace)} by {UserAgent}";
}

/// <summary>The distinct accesses seen so far (what an audit log would show), for checking a component's RBAC against what it really did.</summary>
internal sealed class ApiAccessLog
{
    private readonly ConcurrentDictionary<ApiAccess, byte> _seen = new();

    public void Record(ApiAccess access) => _seen.TryAdd(access, 0);

    public IReadOnlyCollection<ApiAccess> Snapshot() => [.. _seen.Keys];

    /// <summary>The RBAC verb of a request: GET on a collection is list (or watch), on a name get; DELETE on a collection is deletecollection.</summary>
    public static string? Verb(string method, bool named, bool watch) => method switch
    {
        "GET" when !named => watch ? "watch" : "list",
        "GET" => "get",
        "POST" => "create",
        "PUT" => "update",
        "PATCH" => "patch",
        "DELETE" => named ? "delete" : "deletecollection",
        _ => null,
    };
}
