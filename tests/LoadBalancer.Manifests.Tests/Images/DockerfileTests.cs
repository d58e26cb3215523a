using System.Text.RegularExpressions;
using System.Xml.Linq;
using LoadBalancer.Manifests.Tests.Support;

namespace LoadBalancer.Manifests.Tests.Images;

/// <summary>
/// What can be checked of images/*/Dockerfile without a container runtime: the build stage copies every project the
/// binary references (a new reference outside the copied folders would break `docker build`), publishes it with Native
/// AOT as scripts/publish-aot.sh does, and the final stage runs the binary it copied as a non-root user.
/// </summary>
public sealed partial class DockerfileTests
{
    public static TheoryData<string, string> Images() => new()
    {
        { "controller", "controller/LoadBalancer.Controller/LoadBalancer.Controller.csproj" },
        { "speaker", "speaker/LoadBalancer.Speaker/LoadBalancer.Speaker.csproj" },
    };

    [Theory]
    [MemberData(nameof(Images))]
    public void The_build_stage_copies_every_referenced_project_and_publishes_with_native_aot(string image, string project)
    {
        var dockerfile = File.ReadAllText(Repo.Path_("images", image, "Dockerfile"));
        var copied = CopyLine().Matches(dockerfile).SelectMany(m => m.Groups[1].Value.Split(' ', StringSplitOptions.RemoveEmptyEntries)).ToHashSet(StringComparer.Ordinal);
        foreach (var file in (string[])["global.json", "Directory.Build.props", "Directory.Packages.props"])
            Assert.Contains(file, copied);
        foreach (var referenced in ProjectClosure(Repo.Path_(project)))
        {
            var top = Path.GetRelativePath(Repo.Root, referenced).Split('/')[0] + "/";
            Assert.True(copied.Contains(top), $"images/{image}/Dockerfile does not COPY {top}, which holds {Path.GetRelativePath(Repo.Root, referenced)}");
        }
        var publish = Regex.Match(dockerfile, @"dotnet publish (\S+)([^\n]*\\\n)*[^\n]*").Value;
        Assert.Contains(project, publish, StringComparison.Ordinal);
        Assert.Contains("-p:PublishAot=true", publish, StringComparison.Ordinal);
        Assert.Contains("-c Release", publish, StringComparison.Ordinal);
        Assert.Contains("-c Release -r linux-x64 -p:PublishAot=true", File.ReadAllText(Repo.Path_("scripts", "publish-aot.sh")).Replace("\"$rid\"", "linux-x64", StringComparison.Ordinal), StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(Images))]
    public void The_final_stage_runs_the_copied_binary_as_a_non_root_user(string image, string project)
    {
        var dockerfile = File.ReadAllText(Repo.Path_("images", image, "Dockerfile"));
        var final = dockerfile[dockerfile.LastIndexOf("\nFROM ", StringComparison.Ordinal)..];
        var assembly = XDocument.Load(Repo.Path_(project)).Descendants("AssemblyName").Single().Value;
        var copy = Regex.Match(final, @"COPY --from=build /out/(\S+) (\S+)");
        Assert.Equal(assembly, copy.Groups[1].Value);
        Assert.Contains($"ENTRYPOINT [\"{copy.Groups[2].Value}\"]", final, StringComparison.Ordinal);
        Assert.Matches(@"\nUSER [1-9][0-9]*:[1-9][0-9]*\n", final);
        Assert.Contains($"ghcr.io/lb-baremetal/loadbalancer-{image}", dockerfile, StringComparison.Ordinal);
    }

    /// <summary>The project and every project it references, transitively.</summary>
    private static IEnumerable<string> ProjectClosure(string project)
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var todo = new Stack<string>([Path.GetFullPath(project)]);
        while (todo.TryPop(out var p))
        {
            if (!seen.Add(p)) continue;
            foreach (var r in XDocument.Load(p).Descendants("ProjectReference"))
                todo.Push(Path.GetFullPath(Path.Combine(Path.GetDirectoryName(p)!, r.Attribute("Include")!.Value)));
        }
        return seen;
    }

    [GeneratedRegex(@"^COPY (?!--)(.+) \S+$", RegexOptions.Multiline)]
    private static partial Regex CopyLine();
}
