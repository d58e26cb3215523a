namespace LoadBalancer.Kube;

/// <summary>Query of a list call.</summary>
public sealed record ListOptions
{
    /// <summary>Namespace to list in; null lists across all namespaces (or a cluster-scoped kind).</summary>
    public string? Namespace { get; init; }
    /// <summary>Label selector string (<c>app=web,tier in (a,b),!canary</c>); see <see cref="LabelSelectorMatcher"/>.</summary>
    public string? LabelSelector { get; init; }
    /// <summary>Field selector string (<c>metadata.name=foo,spec.type!=ClusterIP</c>).</summary>
    public string? FieldSelector { get; init; }
    /// <summary>Page size; null or 0 for everything at once.</summary>
    public int? Limit { get; init; }
    /// <summary>Continue token from the previous page's <c>metadata.continue</c>.</summary>
    public string? Continue { get; init; }
    /// <summary>resourceVersion semantics of a list (<c>0</c> = any cached version); null = most recent.</summary>
    public string? ResourceVersion { get; init; }
}

/// <summary>Query of a watch call.</summary>
public sealed record WatchOptions
{
    public string? Namespace { get; init; }
    public string? LabelSelector { get; init; }
    public string? FieldSelector { get; init; }
    /// <summary>Start after this version (from a list or a previous event/bookmark); null = "now".</summary>
    public string? ResourceVersion { get; init; }
    /// <summary>Ask for BOOKMARK events (progress markers carrying only a resourceVersion).</summary>
    public bool AllowWatchBookmarks { get; init; } = true;
    /// <summary>Server-side duration of the stream; the server ends it cleanly afterwards. Null lets the server choose.</summary>
    public int? TimeoutSeconds { get; init; }
}

/// <summary>Body of a delete call.</summary>
public sealed record DeleteOptions
{
    /// <summary>Only delete when the object still has this uid.</summary>
    public string? PreconditionUid { get; init; }
    /// <summary>Only delete when the object still has this resourceVersion.</summary>
    public string? PreconditionResourceVersion { get; init; }
    /// <summary>Orphan, Background or Foreground.</summary>
    public string? PropagationPolicy { get; init; }
    public long? GracePeriodSeconds { get; init; }
}
