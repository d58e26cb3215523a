using System.CommandLine;
using LoadBalancer.Migrate;

var inputs = new Argument<string[]>("files")
{
    Description = "MetalLB YAML files (multi-document, or `kubectl get -o yaml` lists); none or \"-\" reads standard input",
    Arity = ArgumentArity.ZeroOrMore,
};
var targetNamespace = new Option<string>("--namespace", "-n")
{
    Description = "The LoadBalancer install namespace the objects go to",
    DefaultValueFactory = _ => "loadbalancer-system",
};
var outputPath = new Option<string?>("--output", "-o")
{
    Description = "Write the converted YAML here instead of standard output",
};
var root = new RootCommand("Converts MetalLB configuration (metallb.io IPAddressPool, L2Advertisement, BGPAdvertisement, BGPPeer, BFDProfile, Community) to LoadBalancer's (lb.baremetal.dev). Findings go to standard error, field by field.")
{
    inputs, targetNamespace, outputPath,
};
root.SetAction(parse =>
{
    var path = parse.GetValue(outputPath);
    var ns = parse.GetValue(targetNamespace) ?? "loadbalancer-system";
    if (path is null) return MigrateCommand.Run(parse.GetValue(inputs) ?? [], ns, Console.In, Console.Out, Console.Error);
    using var file = new StreamWriter(path);
    return MigrateCommand.Run(parse.GetValue(inputs) ?? [], ns, Console.In, file, Console.Error);
});
return root.Parse(args).Invoke();
