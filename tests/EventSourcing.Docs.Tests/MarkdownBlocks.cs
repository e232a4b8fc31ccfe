using System.Text.RegularExpressions;

namespace EventSourcing.Docs.Tests;

/// <summary>What a README block is: a fragment compiled inside the template, or a complete program that is also run.</summary>
public enum SnippetKind
{
    /// <summary>Compiled with <see cref="SnippetCompiler.FragmentPrelude"/> in scope; not run.</summary>
    Fragment,

    /// <summary>A complete Program.cs: compiled alone (the usings of a new console project), then run.</summary>
    Program,
}

/// <summary>One ```csharp block of a markdown file, as written there.</summary>
/// <param name="File">The markdown file, relative to the repository root.</param>
/// <param name="Line">The 1-based line of the block's first code line in that file.</param>
/// <param name="Code">The block's text, verbatim.</param>
/// <param name="Kind">From the <c>&lt;!-- snippet: ... --&gt;</c> comment before the block; a fragment without one.</param>
/// <param name="Options">The comment's <c>name="value"</c> options (e.g. <c>expect</c>, <c>postgres-args</c>).</param>
public sealed record CodeBlock(string File, int Line, string Code, SnippetKind Kind, IReadOnlyDictionary<string, string> Options)
{
    /// <summary>The C# block before this one in the same file, when this one is marked <c>continues="previous"</c>: it is compiled together with it (e.g. the types it declares).</summary>
    public CodeBlock? Preceding { get; init; }

    /// <summary>"README.md:17": how tests and failure messages name the block.</summary>
    public string Id => $"{File}:{Line}";
}

/// <summary>Finds the C# blocks of the repository's READMEs, at test time, from the files themselves.</summary>
public static partial class MarkdownBlocks
{
    /// <summary>The repository root (the folder holding EventSourcing.Core.sln).</summary>
    public static string RepositoryRoot { get; } = FindRoot();

    /// <summary>README.md, src/*/README.md and samples/*/README.md, relative to the root, with '/' separators.</summary>
    public static IReadOnlyList<string> Files()
    {
        var files = new List<string> { "README.md" };
        foreach (var folder in new[] { "src", "samples" })
        {
            files.AddRange(Directory.GetDirectories(Path.Combine(RepositoryRoot, folder))
                .Select(d => Path.Combine(d, "README.md"))
                .Where(File.Exists)
                .Select(f => Path.GetRelativePath(RepositoryRoot, f).Replace('\\', '/'))
                .Order(StringComparer.Ordinal));
        }

        return files;
    }

    /// <summary>Every C# block of every README.</summary>
    public static IReadOnlyList<CodeBlock> All() => Files().SelectMany(Parse).ToArray();

    /// <summary>The block with this id (see <see cref="CodeBlock.Id"/>).</summary>
    public static CodeBlock Find(string id) =>
        All().SingleOrDefault(b => b.Id == id) ?? throw new InvalidOperationException($"No C# block starts at {id} any more (the README changed while the tests were discovered).");

    /// <summary>The C# blocks of one markdown file.</summary>
    public static IEnumerable<CodeBlock> Parse(string file)
    {
        var lines = File.ReadAllLines(Path.Combine(RepositoryRoot, file));
        CodeBlock? previous = null;
        for (var i = 0; i < lines.Length; i++)
        {
            var fence = Fence().Match(lines[i]);
            if (!fence.Success)
            {
                continue;
            }

            var language = fence.Groups["lang"].Value.Trim();
            var end = Array.FindIndex(lines, i + 1, l => l.TrimStart().StartsWith(fence.Groups["fence"].Value, StringComparison.Ordinal));
            if (end < 0)
            {
                throw new InvalidOperationException($"{file}:{i + 1}: a code block is never closed.");
            }

            if (language is "csharp" or "cs" or "c#")
            {
                var (kind, options) = Annotation(lines, i, file);
                var continues = options.TryGetValue("continues", out var what) && what == "previous";
                if (continues && previous is null)
                {
                    throw new InvalidOperationException($"{file}:{i + 1}: continues=\"previous\" on the first C# block of the file.");
                }

                var block = new CodeBlock(file, i + 2, string.Join('\n', lines[(i + 1)..end]), kind, options) { Preceding = continues ? previous : null };
                previous = block;
                yield return block;
            }

            i = end;
        }
    }

    /// <summary>Reads the <c>&lt;!-- snippet: kind name="value" --&gt;</c> comment on the closest non-blank line above the fence.</summary>
    private static (SnippetKind Kind, IReadOnlyDictionary<string, string> Options) Annotation(string[] lines, int fence, string file)
    {
        var above = fence - 1;
        while (above >= 0 && string.IsNullOrWhiteSpace(lines[above]))
        {
            above--;
        }

        var comment = above >= 0 ? Comment().Match(lines[above]) : Match.Empty;
        if (!comment.Success)
        {
            return (SnippetKind.Fragment, new Dictionary<string, string>());
        }

        var kindText = comment.Groups["kind"].Value;
        if (!Enum.TryParse<SnippetKind>(kindText, ignoreCase: true, out var kind))
        {
            throw new InvalidOperationException($"{file}:{above + 1}: unknown snippet kind '{kindText}' (use 'fragment' or 'program').");
        }

        var options = Option().Matches(comment.Groups["options"].Value).ToDictionary(m => m.Groups["name"].Value, m => m.Groups["value"].Value, StringComparer.Ordinal);
        return (kind, options);
    }

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "EventSourcing.Core.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException($"The repository root (with EventSourcing.Core.sln) is not above {AppContext.BaseDirectory}.");
    }

    [GeneratedRegex(@"^\s*(?<fence>```+)(?<lang>[^`]*)$")]
    private static partial Regex Fence();

    [GeneratedRegex(@"^\s*<!--\s*snippet:\s*(?<kind>\w+)(?<options>.*?)-->\s*$")]
    private static partial Regex Comment();

    [GeneratedRegex(@"(?<name>[\w-]+)=""(?<value>[^""]*)""")]
    private static partial Regex Option();
}
