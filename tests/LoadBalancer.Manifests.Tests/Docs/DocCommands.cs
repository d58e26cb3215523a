namespace LoadBalancer.Manifests.Tests.Docs;

/// <summary>One shell command shown in a document: the file, the line it starts on, and the text (continuations joined).</summary>
internal sealed record DocCommand(string File, int Line, string Text)
{
    public override string ToString() => $"{File}:{Line}: {Text}";
}

/// <summary>
/// Reads the shell commands of the fenced <c>```sh</c> blocks of a Markdown file: a line ending in <c>\</c> continues
/// on the next one, <c>#</c> starts a comment (whole-line, or after whitespace outside quotes), and a comment of the
/// form <c># or: COMMAND</c> shows an alternative command, which counts as a command too.
/// </summary>
internal static class DocCommands
{
    public static IReadOnlyList<DocCommand> Extract(string file, string markdown)
    {
        var result = new List<DocCommand>();
        var lines = markdown.Split('\n');
        var inSh = false;
        var inOther = false;
        for (var i = 0; i < lines.Length; i++)
        {
            var line = lines[i].TrimEnd('\r');
            var trimmed = line.Trim();
            if (trimmed.StartsWith("```", StringComparison.Ordinal))
            {
                if (inSh || inOther) { inSh = inOther = false; continue; }
                var info = trimmed[3..].Trim();
                if (info is "sh" or "bash" or "shell") inSh = true;
                else inOther = true;
                continue;
            }
            if (!inSh || trimmed.Length == 0 || trimmed.StartsWith('#')) continue;
            var start = i + 1;
            var text = trimmed;
            while (text.EndsWith('\\') && i + 1 < lines.Length)
                text = text[..^1].TrimEnd() + " " + lines[++i].TrimEnd('\r').Trim();
            var (command, comment) = SplitComment(text);
            if (command.Length > 0) result.Add(new DocCommand(file, start, command));
            if (comment is not null && comment.StartsWith("or:", StringComparison.Ordinal))
                result.Add(new DocCommand(file, start, comment[3..].Trim()));
        }
        if (inSh) throw new InvalidOperationException($"{file}: a ```sh block is not closed");
        return result;
    }

    /// <summary>The command before a <c> #</c> comment that is outside quotes, and the comment's text.</summary>
    private static (string Command, string? Comment) SplitComment(string text)
    {
        char quote = '\0';
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            if (quote != '\0') { if (c == quote) quote = '\0'; continue; }
            if (c is '\'' or '"') quote = c;
            else if (c == '#' && i > 0 && char.IsWhiteSpace(text[i - 1])) return (text[..i].Trim(), text[(i + 1)..].Trim());
        }
        return (text.Trim(), null);
    }
}
