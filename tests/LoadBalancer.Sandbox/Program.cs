using System.CommandLine;
using System.Diagnostics;
using LoadBalancer.Sandbox;

// The README's form (the demo built everything already); a non-default state directory must be named again.
static string DownCommand(string stateDir) => "dotnet run --project tests/LoadBalancer.Sandbox -c Release --no-build -- down"
    + (stateDir == SandboxOptions.DefaultStateDir ? "" : " --state-dir " + stateDir);

var nodes = new Option<int>("--nodes") { Description = "Number of node namespaces", DefaultValueFactory = _ => 3 };
var router = new Option<RouterKind>("--router") { Description = "Routing daemon in the router namespace: Bird, Frr or GoBgp", DefaultValueFactory = _ => RouterKind.Bird };
var prefix = new Option<string>("--prefix") { Description = "Namespace name prefix", DefaultValueFactory = _ => "lbsb" };
var stateDir = new Option<string>("--state-dir") { Description = "Kubeconfig, logs and pid files", DefaultValueFactory = _ => SandboxOptions.DefaultStateDir };

var networkOnly = new Option<bool>("--network-only") { Description = "Only namespaces, router and pods (no API, controller or speakers)" };
var up = new Command("up", "Builds the sandbox, runs the demo Services, prints what happened, and leaves it running") { nodes, router, prefix, stateDir, networkOnly };
up.SetAction(async (parse, ct) =>
{
    var options = new SandboxOptions
    {
        Nodes = parse.GetValue(nodes), Router = parse.GetValue(router), Prefix = parse.GetValue(prefix)!, StateDir = parse.GetValue(stateDir)!,
        StartApi = !parse.GetValue(networkOnly),
    };
    var sw = Stopwatch.StartNew();
    try
    {
        var lab = new SandboxLab(options, line => Console.WriteLine($"{sw.Elapsed.TotalSeconds,6:0.0}s {line}"));
        await lab.UpAsync(ct);
        Console.WriteLine();
        if (!options.StartApi)
        {
            Console.WriteLine(Report.Instructions(lab, DownCommand(options.StateDir)));
            return 0;
        }
        Console.WriteLine(await Report.DescribeAsync(lab, SandboxService.Demo, TimeSpan.FromSeconds(30)));
        Console.WriteLine(Report.Instructions(lab, DownCommand(options.StateDir), await lab.ServiceIpAsync(SandboxService.Demo[0].Name)));
        return 0;
    }
    catch (Exception ex) when (ex is SandboxException or ArgumentException or InvalidOperationException or TimeoutException)
    {
        Console.Error.WriteLine(ex.Message);
        return 1;
    }
});

var down = new Command("down", "Stops every sandbox process and deletes its namespaces") { prefix, stateDir };
down.SetAction(async (parse, ct) =>
{
    var dir = parse.GetValue(stateDir)!;
    var savedPrefix = File.Exists(Path.Combine(dir, "prefix")) ? File.ReadAllText(Path.Combine(dir, "prefix")).Trim() : parse.GetValue(prefix)!;
    if (!Environment.IsPrivilegedProcess) { Console.Error.WriteLine("sandbox: run as root"); return 1; }
    await new SandboxLab(new SandboxOptions { Prefix = savedPrefix, StateDir = dir }).DownAsync();
    Console.WriteLine($"sandbox \"{savedPrefix}\" is down");
    return 0;
});

// Internal: the GoBGP router's FIB (started by `up --router GoBgp` inside the router namespace).
var gobgpFib = new Command(GoBgpFib.Command, "(internal) mirrors gobgpd's RIB into this namespace's kernel table") { Hidden = true };
gobgpFib.SetAction((_, ct) => GoBgpFib.RunAsync(Console.Out, ct));

var root = new RootCommand("LoadBalancer sandbox: a bare-metal cluster (API, nodes, router, client, pods) in network namespaces on this machine") { up, down, gobgpFib };
return await root.Parse(args).InvokeAsync();
