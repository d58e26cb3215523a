using LoadBalancer.Kube.Api;

namespace LoadBalancer.Kube;

/// <summary>
/// The Kubernetes API operations, typed by <see cref="ResourceType{T}"/>. Every failure is a
/// <see cref="KubeApiException"/> (or a subclass: <see cref="KubeNotFoundException"/>, <see cref="KubeConflictException"/>,
/// <see cref="KubeResourceExpiredException"/>, <see cref="KubeInvalidException"/>), never a bare HttpRequestException.
/// For cluster-scoped kinds pass <c>null</c> as namespace.
/// </summary>
public interface IKubeClient
{
    /// <summary>The namespace from kubeconfig's context or the service account (<c>default</c> otherwise).</summary>
    string DefaultNamespace { get; }

    /// <summary>GET one object. 404 is <see cref="KubeNotFoundException"/>.</summary>
    Task<T> GetAsync<T>(ResourceType<T> type, string? @namespace, string name, CancellationToken cancellationToken = default)
        where T : class, IKubeObject;

    /// <summary>One page of a list (<see cref="ListOptions.Limit"/> and <see cref="ListOptions.Continue"/>); the
    /// returned <c>Metadata.Continue</c> is the token for the next page, empty on the last one.</summary>
    Task<KubeList<T>> ListAsync<T>(ResourceType<T> type, ListOptions? options = null, CancellationToken cancellationToken = default)
        where T : class, IKubeObject;

    /// <summary>
    /// A watch stream. Yields ADDED/MODIFIED/DELETED/BOOKMARK events; ends when the server closes the stream (normal
    /// after <see cref="WatchOptions.TimeoutSeconds"/>). An ERROR event is thrown: 410 Gone / Expired as
    /// <see cref="KubeResourceExpiredException"/> (relist), other codes as <see cref="KubeApiException"/>.
    /// No client-side timeout applies to a live stream.
    /// </summary>
    IAsyncEnumerable<WatchEvent<T>> WatchAsync<T>(ResourceType<T> type, WatchOptions? options = null, CancellationToken cancellationToken = default)
        where T : class, IKubeObject;

    /// <summary>POST. The namespace is the object's <c>metadata.namespace</c>, or <see cref="DefaultNamespace"/>.
    /// An existing name is <see cref="KubeConflictException"/> with <see cref="KubeConflictException.IsAlreadyExists"/>.</summary>
    Task<T> CreateAsync<T>(ResourceType<T> type, T obj, CancellationToken cancellationToken = default)
        where T : class, IKubeObject;

    /// <summary>PUT with the object's <c>metadata.resourceVersion</c> as precondition: a stale one is
    /// <see cref="KubeConflictException"/> (the caller re-reads and retries if it chooses).</summary>
    Task<T> ReplaceAsync<T>(ResourceType<T> type, T obj, CancellationToken cancellationToken = default)
        where T : class, IKubeObject;

    /// <summary>PUT to the <c>/status</c> subresource (only status is written), same concurrency rule.</summary>
    Task<T> ReplaceStatusAsync<T>(ResourceType<T> type, T obj, CancellationToken cancellationToken = default)
        where T : class, IKubeObject;

    /// <summary>PATCH (merge, strategic merge for built-ins, or JSON patch).</summary>
    Task<T> PatchAsync<T>(ResourceType<T> type, string? @namespace, string name, KubePatch patch, CancellationToken cancellationToken = default)
        where T : class, IKubeObject;

    /// <summary>PATCH the <c>/status</c> subresource.</summary>
    Task<T> PatchStatusAsync<T>(ResourceType<T> type, string? @namespace, string name, KubePatch patch, CancellationToken cancellationToken = default)
        where T : class, IKubeObject;

    /// <summary>DELETE. 404 is <see cref="KubeNotFoundException"/>; a failed precondition is <see cref="KubeConflictException"/>.</summary>
    Task DeleteAsync<T>(ResourceType<T> type, string? @namespace, string name, DeleteOptions? options = null, CancellationToken cancellationToken = default)
        where T : class, IKubeObject;
}
