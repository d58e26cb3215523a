using LoadBalancer.Controller.Hosting;
using Microsoft.Extensions.Hosting;

// The LoadBalancer controller: flags in ControllerOptions.Usage; composition in ControllerHost.
var options = ControllerOptions.Parse(args, Environment.GetEnvironmentVariable, out var error);
if (options is null)
{
    await Console.Error.WriteLineAsync(error).ConfigureAwait(false);
    return args.Contains("--help") || args.Contains("-h") ? 0 : 2;
}
using var host = ControllerHost.Build(options);
await host.RunAsync().ConfigureAwait(false);
return 0;
