namespace LoadBalancer.TestKit.ApiServer;

/// <summary>One change in a storage: what was written and what it replaced (for selector transitions).</summary>
internal sealed record WatchEvent(long ResourceVersion, string StorageKey, string Type, StoredObject Object, StoredObject? Previous);
