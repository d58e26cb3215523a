using System.Text.Json.Nodes;
using LoadBalancer.Yaml;

namespace LoadBalancer.Migrate;

/// <summary>The command's behaviour, apart from argument parsing so tests can drive it with strings.</summary>
internal static class MigrateCommand
{
    public const int ExitOk = 0;
    public const int ExitUnreadable = 1;

    /// <summary>
    /// Reads every input (a file path, or "-" / no paths for standard input), writes the converted objects to
    /// <paramref name="output"/> and one line per finding to <paramref name="report"/>. Exits non-zero only when
    /// an input cannot be read or is not YAML; findings alone never fail the run.
    /// </summary>
    public static int Run(IReadOnlyList<string> inputs, string targetNamespace, TextReader stdin, TextWriter output, TextWriter report)
    {
        var documents = new List<JsonNode?>();
        var sources = inputs.Count == 0 ? ["-"] : inputs;
        foreach (var source in sources)
        {
            string text;
            try
            {
                text = source == "-" ? stdin.ReadToEnd() : File.ReadAllText(source);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or ArgumentException or NotSupportedException)
            {
                report.WriteLine($"error: cannot read {source}: {ex.Message}");
                return ExitUnreadable;
            }
            if (!YamlJson.TryParse(text, out var docs, out var error))
            {
                report.WriteLine($"error: {(source == "-" ? "standard input" : source)} is not valid YAML: {error}");
                return ExitUnreadable;
            }
            documents.AddRange(docs);
        }

        var result = MetalLbConverter.Convert(documents, targetNamespace);
        output.Write(YamlJson.Write(result.Objects,
            $"LoadBalancer configuration migrated from MetalLB by LoadBalancer.Migrate ({result.Objects.Count} objects, {result.Notes.Count} findings).\nReview, then: kubectl apply -f <this file>"));
        foreach (var note in result.Notes) report.WriteLine(note.ToString());
        report.WriteLine($"migrated {result.Objects.Count} object(s); {result.Notes.Count(n => n.Kind == NoteKind.Dropped)} item(s) not carried over, {result.Notes.Count(n => n.Kind == NoteKind.Changed)} changed");
        return ExitOk;
    }
}
