using System.Globalization;
using LoadBalancer.Sandbox;

namespace LoadBalancer.EndToEnd.Tests;

/// <summary>One full sandbox (API emulator, controller, 3 speakers, BIRD router, client, pods) shared by the scenarios.</summary>
public sealed class SandboxFixture : IAsyncLifetime
{
    public SandboxLab Lab { get; } = new(new SandboxOptions
    {
        Prefix = "lbe" + (Environment.ProcessId % 100000).ToString(CultureInfo.InvariantCulture) + "s",
        StateDir = Path.Combine(Path.GetTempPath(), $"lbe-{Environment.ProcessId}-s"),
        ApiPort = SandboxPorts.Api(7),
        Nodes = 3, DemoServices = false,
    });

    public Task InitializeAsync() => Lab.UpAsync().WaitAsync(TimeSpan.FromSeconds(180));

    public Task DisposeAsync() => Lab.DownAsync().WaitAsync(TimeSpan.FromSeconds(90));
}

[CollectionDefinition("sandbox")]
public sealed class SandboxCollection;
