using LoadBalancer.Speaker.DataPlane.Apply;

namespace LoadBalancer.Speaker.Tests.DataPlane;

/// <summary>Records every transaction; <see cref="Fail"/> decides per call whether the "kernel" refuses it.</summary>
internal sealed class FakeNftExecutor : INftExecutor
{
    private readonly List<string> _runs = [];

    public Func<string, bool> Fail { get; set; } = _ => false;

    public string Name => "fake";

    public IReadOnlyList<string> Runs { get { lock (_runs) return [.. _runs]; } }

    public Task<NftResult> RunAsync(string commands, bool json = false)
    {
        if (json) return Task.FromResult(new NftResult(true, """{"nftables":[{"counter":{"family":"inet","name":"cnt-ns1/a","table":"lb","packets":7,"bytes":700}},{"counter":{"family":"inet","name":"conn-ns1/a","table":"lb","packets":2,"bytes":120}}]}""", ""));
        lock (_runs) _runs.Add(commands);
        return Task.FromResult(Fail(commands) ? new NftResult(false, "", "Error: Could not process rule: No such file or directory") : new NftResult(true, "", ""));
    }

    public void Dispose() { }
}
