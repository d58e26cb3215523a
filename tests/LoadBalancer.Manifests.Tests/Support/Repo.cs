namespace LoadBalancer.Manifests.Tests.Support;

/// <summary>Paths inside the repository the tests run from (found by walking up to LoadBalancer.slnx).</summary>
internal static class Repo
{
    public static string Root { get; } = FindRoot();

    public static string Manifests => Path.Combine(Root, "manifests");

    public static string Path_(params string[] parts) => Path.Combine([Root, .. parts]);

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "LoadBalancer.slnx"))) return dir.FullName;
        throw new InvalidOperationException("cannot find LoadBalancer.slnx above " + AppContext.BaseDirectory);
    }
}
