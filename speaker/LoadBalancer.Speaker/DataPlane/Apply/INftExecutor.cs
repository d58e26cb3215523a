namespace LoadBalancer.Speaker.DataPlane.Apply;

/// <summary>The outcome of one nft run: on failure <see cref="Error"/> holds what nft printed (the same text as the CLI).</summary>
internal readonly record struct NftResult(bool Success, string Output, string Error);

/// <summary>Runs nft command text as one transaction (one netlink batch: all or nothing).</summary>
internal interface INftExecutor : IDisposable
{
    /// <summary>"libnftables" or "nft".</summary>
    string Name { get; }

    /// <summary>Runs <paramref name="commands"/>; with <paramref name="json"/> the output (of list commands) is JSON.</summary>
    Task<NftResult> RunAsync(string commands, bool json = false);
}
