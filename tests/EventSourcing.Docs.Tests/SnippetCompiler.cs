using System.Reflection;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;

namespace EventSourcing.Docs.Tests;

/// <summary>Compiles README blocks with Roslyn against the assemblies this test runs with (the real ones).</summary>
public static class SnippetCompiler
{
    /// <summary>The implicit usings of a new console project (<c>ImplicitUsings</c> on), which every block gets.</summary>
    public const string ImplicitUsings = """
        global using System;
        global using System.Collections.Generic;
        global using System.IO;
        global using System.Linq;
        global using System.Net.Http;
        global using System.Threading;
        global using System.Threading.Tasks;
        """;

    /// <summary>
    /// What a fragment (a block without <c>&lt;!-- snippet: program --&gt;</c>) has in scope: the library's and the
    /// hosting namespaces, the variables a fragment's surrounding application would have (<c>services</c>,
    /// <c>builder</c>, <c>app</c>, <c>provider</c>, <c>configuration</c>, <c>connectionString</c>, <c>registry</c>),
    /// and the README's example types (<c>Deposited</c>, <c>Withdrawn</c>, <c>Account</c>, <c>MyJsonContext</c>).
    /// Fragments are compiled, never run: the variables throw when read.
    /// </summary>
    public const string FragmentPrelude = """
        global using System.Text.Json;
        global using EventSourcing;
        global using EventSourcing.Aggregates;
        global using EventSourcing.Documents;
        global using EventSourcing.Postgres;
        global using EventSourcing.Projections;
        global using EventSourcing.Serialization;
        global using EventSourcing.Sqlite;
        global using EventSourcing.Storage;
        global using Microsoft.AspNetCore.Builder;
        global using Microsoft.AspNetCore.Diagnostics.HealthChecks;
        global using Microsoft.Extensions.Configuration;
        global using Microsoft.Extensions.DependencyInjection;
        global using Microsoft.Extensions.Hosting;
        global using Npgsql;
        global using static ReadmeScope;

        public static class ReadmeScope
        {
            public static IServiceCollection services => throw new NotSupportedException();
            public static WebApplicationBuilder builder => throw new NotSupportedException();
            public static WebApplication app => throw new NotSupportedException();
            public static IServiceProvider provider => throw new NotSupportedException();
            public static IConfiguration configuration => throw new NotSupportedException();
            public static string connectionString => throw new NotSupportedException();
            public static EventTypeRegistry registry => throw new NotSupportedException();
        }

        public sealed record Deposited(decimal Amount);
        public sealed record Withdrawn(decimal Amount);

        public sealed class Account : AggregateRoot
        {
            public decimal Balance { get; private set; }
            public void Deposit(decimal amount) => Raise(new Deposited(amount));
            public void Withdraw(decimal amount) => Raise(new Withdrawn(amount));
            protected override void Apply(object e) => Balance += e switch { Deposited d => d.Amount, Withdrawn w => -w.Amount, _ => 0m };
        }

        /// <summary>Stands for the application's source-generated JsonSerializerContext.</summary>
        public sealed class MyJsonContext
        {
            public static MyJsonContext Default { get; } = new();
            public JsonSerializerOptions Options { get; } = new();
        }
        """;

    private static readonly Lazy<MetadataReference[]> References = new(() =>
        ((string)AppContext.GetData("TRUSTED_PLATFORM_ASSEMBLIES")!)
            .Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
            .Where(File.Exists)
            .Select(p => (MetadataReference)MetadataReference.CreateFromFile(p))
            .ToArray());

    /// <summary>Compiles a block; a program alone, a fragment with the prelude.</summary>
    /// <returns>The assembly's bytes (null on errors) and the errors, each as "file:line:column: CSxxxx: message".</returns>
    public static (byte[]? Assembly, IReadOnlyList<string> Errors) Compile(CodeBlock block)
    {
        var parse = new CSharpParseOptions(LanguageVersion.Latest);
        var code = CSharpSyntaxTree.ParseText(block.Code, parse, path: block.File);
        var trees = new List<SyntaxTree> { CSharpSyntaxTree.ParseText(ImplicitUsings, parse, path: "<implicit usings>"), code };
        if (block.Preceding is { } preceding)
        {
            trees.Add(CSharpSyntaxTree.ParseText(preceding.Code, parse, path: preceding.File));
        }

        if (block.Kind == SnippetKind.Fragment)
        {
            trees.Add(CSharpSyntaxTree.ParseText(FragmentPrelude, parse, path: "<fragment prelude>"));
        }

        var hasStatements = code.GetCompilationUnitRoot().Members.Any(m => m is Microsoft.CodeAnalysis.CSharp.Syntax.GlobalStatementSyntax);
        var options = new CSharpCompilationOptions(hasStatements ? OutputKind.ConsoleApplication : OutputKind.DynamicallyLinkedLibrary, nullableContextOptions: NullableContextOptions.Enable);
        var compilation = CSharpCompilation.Create("Readme_" + Guid.NewGuid().ToString("N"), trees, References.Value, options);
        using var output = new MemoryStream();
        var result = compilation.Emit(output);
        var errors = result.Diagnostics
            .Where(d => d.Severity == DiagnosticSeverity.Error)
            .Select(d => Describe(block, d))
            .ToArray();
        return (result.Success ? output.ToArray() : null, errors);
    }

    /// <summary>Runs a compiled program's entry point with <paramref name="args"/>; returns what it wrote to the console.</summary>
    public static async Task<string> RunAsync(byte[] assembly, string[] args, TimeSpan timeout)
    {
        var entry = Assembly.Load(assembly).EntryPoint ?? throw new InvalidOperationException("The program has no entry point.");
        var output = new StringWriter();
        var original = Console.Out;
        Console.SetOut(TextWriter.Synchronized(output));
        try
        {
            await Task.Run(
                () =>
                {
                    try
                    {
                        entry.Invoke(null, entry.GetParameters().Length == 0 ? null : [args]);
                    }
                    catch (TargetInvocationException ex) when (ex.InnerException is not null)
                    {
                        throw new InvalidOperationException($"The program threw {ex.InnerException.GetType().Name}: {ex.InnerException.Message}\n--- its output ---\n{output}", ex.InnerException);
                    }
                },
                TestContext.Current.CancellationToken).WaitAsync(timeout, TestContext.Current.CancellationToken);
        }
        finally
        {
            Console.SetOut(original);
        }

        return output.ToString();
    }

    /// <summary>"README.md:52:17: CS0103: The name 'x' does not exist in the current context" (the markdown file's line).</summary>
    private static string Describe(CodeBlock block, Diagnostic diagnostic)
    {
        var span = diagnostic.Location.GetLineSpan();
        var where = span.Path == block.File
            ? $"{block.File}:{block.Line + span.StartLinePosition.Line}:{span.StartLinePosition.Character + 1}"
            : $"{block.Id} ({span.Path})";
        return $"{where}: {diagnostic.Id}: {diagnostic.GetMessage(System.Globalization.CultureInfo.InvariantCulture)}";
    }
}
