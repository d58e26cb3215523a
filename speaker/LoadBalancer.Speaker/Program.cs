using LoadBalancer.Speaker.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

// The speaker: one per node (DaemonSet, hostNetwork). Flags: see SpeakerCommandLine.Usage or --help.
var parsed = SpeakerCommandLine.Parse(args, Environment.GetEnvironmentVariable);
if (parsed.Help)
{
    Console.WriteLine(SpeakerCommandLine.Usage);
    return 0;
}
if (parsed.Options is not { } options)
{
    foreach (var e in parsed.Errors) Console.Error.WriteLine($"error: {e}");
    Console.Error.WriteLine(SpeakerCommandLine.Usage);
    return 2;
}

var builder = Host.CreateApplicationBuilder();
// Below the pod's terminationGracePeriodSeconds: the withdraw and Lease release take well under a second.
builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = TimeSpan.FromSeconds(10));
builder.Services.AddSpeaker(options);
using var host = builder.Build();
await host.RunAsync().ConfigureAwait(false);
return 0;
