using System.Reflection;
using System.Text.RegularExpressions;
using LoadBalancer.Kube;
using LoadBalancer.Model.Crds;

namespace LoadBalancer.Manifests.Tests.Support;

/// <summary>One RBAC permission: API group, resource (with "/status" for the subresource) and verb.</summary>
internal sealed record Access(string Group, string Resource, string Verb)
{
    public override string ToString() => $"{Verb} {Resource}{(Group.Length == 0 ? "" : "." + Group)}";
}

/// <summary>
/// Derives the API access a component's code needs from its source: every <see cref="IKubeClient"/> call on a
/// <c>KubeResources.X</c> / <c>ModelResources.X</c> / <c>SpeakerResources.X</c> descriptor (directly, or through a helper
/// that takes a <c>ResourceType&lt;T&gt;</c>), every Informer over one (list + watch), and the calls
/// inside the Kube library classes it uses (LeaderElector, EventRecorder, ...), found the same way.
/// </summary>
internal static partial class ApiAccessScanner
{
    private static readonly Dictionary<string, string[]> Verbs = new(StringComparer.Ordinal)
    {
        ["GetAsync"] = ["get"], ["ListAsync"] = ["list"], ["WatchAsync"] = ["watch"], ["CreateAsync"] = ["create"],
        ["ReplaceAsync"] = ["update"], ["PatchAsync"] = ["patch"], ["DeleteAsync"] = ["delete"],
        ["ReplaceStatusAsync"] = ["update"], ["PatchStatusAsync"] = ["patch"],
    };

    /// <summary>A descriptor reference: <c>KubeResources.X</c>, <c>ModelResources.X</c> or a component's own holder (<c>SpeakerResources.X</c>).</summary>
    private const string Descriptor = @"(\w+Resources)\.(\w+)";

    [GeneratedRegex(@"\.(GetAsync|ListAsync|WatchAsync|CreateAsync|ReplaceAsync|ReplaceStatusAsync|PatchAsync|PatchStatusAsync|DeleteAsync)\s*(<[^>(]*>)?\s*\(\s*" + Descriptor)]
    private static partial Regex Call();

    [GeneratedRegex(@"new\s+Informer\s*<[^>]+>\s*\([^,()]+,\s*" + Descriptor)]
    private static partial Regex Informer();

    /// <summary>
    /// Holder.Property -> (group, plural), read from the real descriptors: every static <c>ResourceType&lt;T&gt;</c>
    /// property of a class named <c>*Resources</c> in the Kube and Model libraries and in the controller and speaker.
    /// </summary>
    private static readonly Dictionary<string, (string Group, string Plural)> Descriptors = LoadDescriptors();

    private static Dictionary<string, (string, string)> LoadDescriptors()
    {
        var result = new Dictionary<string, (string, string)>(StringComparer.Ordinal);
        var assemblies = new[] { typeof(KubeResources).Assembly, typeof(ModelResources).Assembly, Assembly.Load("LoadBalancer.Controller"), Assembly.Load("LoadBalancer.Speaker") };
        foreach (var holder in assemblies.SelectMany(a => a.GetTypes()).Where(t => t.Name.EndsWith("Resources", StringComparison.Ordinal) && t.IsAbstract && t.IsSealed))
            foreach (var p in holder.GetProperties(BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Static)
                         .Where(p => p.PropertyType.IsGenericType && p.PropertyType.GetGenericTypeDefinition() == typeof(ResourceType<>)))
            {
                var value = p.GetValue(null)!;
                var t = value.GetType();
                var key = $"{holder.Name}.{p.Name}";
                if (result.ContainsKey(key)) throw new InvalidOperationException($"two descriptor holders are named {holder.Name}");
                result[key] = ((string)t.GetProperty("Group")!.GetValue(value)!, (string)t.GetProperty("Plural")!.GetValue(value)!);
            }
        return result;
    }

    public static IReadOnlySet<Access> ForComponent(string componentDir)
    {
        var access = new HashSet<Access>();
        var files = Directory.EnumerateFiles(componentDir, "*.cs", SearchOption.AllDirectories)
            .Where(f => !f.Contains("/obj/", StringComparison.Ordinal) && !f.Contains("/bin/", StringComparison.Ordinal)).ToList();
        var text = string.Join("\n", files.Select(File.ReadAllText));
        Scan(text, access);
        // Kube library classes the component uses bring their own calls.
        var kubeDir = Repo.Path_("proto", "LoadBalancer.Kube");
        foreach (var lib in Directory.EnumerateFiles(kubeDir, "*.cs", SearchOption.AllDirectories).Where(f => !f.Contains("/obj/", StringComparison.Ordinal)))
        {
            var libText = File.ReadAllText(lib);
            var type = Path.GetFileNameWithoutExtension(lib).Split('.')[0];
            if (type is "KubeResources" or "KubeClient" or "IKubeClient") continue;
            if (Regex.IsMatch(text, $@"\b{Regex.Escape(type)}\b")) Scan(libText, access);
        }
        return access;
    }

    [GeneratedRegex(@"\b(\w+)\s*(<[^>()]*>)?\s*\(\s*ResourceType<\w+>\s+(\w+)")]
    private static partial Regex GenericHelper();

    [GeneratedRegex(@"\n    (private|public|internal|protected) ")]
    private static partial Regex NextMember();

    internal static void Scan(string text, HashSet<Access> access)
    {
        // Helpers that take a ResourceType<T> parameter and call the client with it: their verbs apply to every
        // descriptor passed to them (one level of indirection, e.g. a status writer shared by all kinds).
        foreach (Match decl in GenericHelper().Matches(text))
        {
            var method = decl.Groups[1].Value;
            var param = decl.Groups[3].Value;
            var next = NextMember().Match(text, decl.Index + decl.Length);
            var body = text[decl.Index..(next.Success ? next.Index : text.Length)];
            var calls = Regex.Matches(body, $@"\.(GetAsync|ListAsync|WatchAsync|CreateAsync|ReplaceAsync|ReplaceStatusAsync|PatchAsync|PatchStatusAsync|DeleteAsync)\s*(<[^>(]*>)?\s*\(\s*{Regex.Escape(param)}\s*,")
                .Select(m => m.Groups[1].Value).Distinct().ToList();
            // An informer built over the parameter lists and watches it.
            var informs = Regex.IsMatch(body, $@"new\s+Informer\s*<[^>]+>\s*\([^,()]+,\s*{Regex.Escape(param)}\s*,");
            if (calls.Count == 0 && !informs) continue;
            foreach (Match site in Regex.Matches(text, $@"\b{Regex.Escape(method)}\s*(<[^>()]*>)?\s*\(\s*" + Descriptor))
            {
                var (group, plural) = Resolve(site.Groups[2].Value, site.Groups[3].Value);
                foreach (var call in calls)
                    foreach (var verb in Verbs[call])
                        access.Add(new Access(group, call.Contains("Status", StringComparison.Ordinal) ? plural + "/status" : plural, verb));
                if (informs)
                {
                    access.Add(new Access(group, plural, "list"));
                    access.Add(new Access(group, plural, "watch"));
                }
            }
        }

        foreach (Match m in Call().Matches(text))
        {
            var (group, plural) = Resolve(m.Groups[3].Value, m.Groups[4].Value);
            var method = m.Groups[1].Value;
            var resource = method.Contains("Status", StringComparison.Ordinal) ? plural + "/status" : plural;
            foreach (var verb in Verbs[method]) access.Add(new Access(group, resource, verb));
        }
        foreach (Match m in Informer().Matches(text))
        {
            var (group, plural) = Resolve(m.Groups[1].Value, m.Groups[2].Value);
            access.Add(new Access(group, plural, "list"));
            access.Add(new Access(group, plural, "watch"));
        }
    }

    private static (string Group, string Plural) Resolve(string holder, string property)
        => Descriptors.TryGetValue($"{holder}.{property}", out var d) ? d : throw new InvalidOperationException($"{holder}.{property} is not a known resource descriptor");
}
