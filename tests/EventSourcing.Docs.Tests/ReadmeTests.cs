// README code is tested from the README itself: every ```csharp block of README.md, src/*/README.md and
// samples/*/README.md is read from the markdown at test time (no copy here to keep in sync), compiled with
// Roslyn against the assemblies this project references (the real EventSourcing packages, the generic host,
// ASP.NET Core, OpenTelemetry, Npgsql), and — when it is a program — run.
//
// Convention (also in the README's "Testing" section):
// - A block is a FRAGMENT unless the closest non-blank line above its fence is an HTML comment
//   `<!-- snippet: program ... -->`. A fragment is compiled, not run, with SnippetCompiler.FragmentPrelude in
//   scope: the usings of a new console project plus the library's, hosting, ASP.NET Core and Npgsql
//   namespaces; the variables `services`, `builder` (a WebApplicationBuilder), `app`, `provider`,
//   `configuration`, `connectionString`, `registry`; the example types `Deposited`, `Withdrawn`, `Account`
//   and `MyJsonContext`. A fragment may hold statements (top-level) and type declarations.
//   `<!-- snippet: fragment continues="previous" -->` compiles a fragment together with the C# block before it
//   in the same file (e.g. a usage block with the types the block above declares).
// - `<!-- snippet: program expect="text" postgres-args="..." -->` marks a complete Program.cs: it is compiled
//   alone, with only the implicit usings of a new console project, then run in memory (no arguments) and its
//   console output must contain `expect`. With `postgres-args`, it runs a second time with those arguments, in
//   which `{connectionString}` becomes the connection string of a fresh database on the test PostgreSQL.
// A failure names the markdown file, the line and the compiler error, e.g.
//   README.md:52:17: CS0103: The name 'wallet' does not exist in the current context
using EventSourcing.Testing.Postgres;

[assembly: AssemblyFixture(typeof(EventSourcing.Docs.Tests.ReadmePostgres))]

namespace EventSourcing.Docs.Tests;

public sealed class ReadmeTests(ReadmePostgres postgres)
{
    private static readonly TimeSpan RunTimeout = TimeSpan.FromMinutes(2);

    public static TheoryData<string> Blocks => new(MarkdownBlocks.All().Select(b => b.Id));

    public static TheoryData<string> Programs => new(MarkdownBlocks.All().Where(b => b.Kind == SnippetKind.Program).Select(b => b.Id));

    public static TheoryData<string> PostgresPrograms => new(MarkdownBlocks.All().Where(b => b.Kind == SnippetKind.Program && b.Options.ContainsKey("postgres-args")).Select(b => b.Id));

    [Theory]
    [MemberData(nameof(Blocks))]
    public void Every_csharp_block_of_every_readme_compiles(string block)
    {
        var code = MarkdownBlocks.Find(block);

        var (_, errors) = SnippetCompiler.Compile(code);

        Assert.True(errors.Count == 0, $"The C# block at {code.Id} ({code.Kind.ToString().ToLowerInvariant()}) does not compile:\n{string.Join('\n', errors)}");
    }

    [Theory]
    [MemberData(nameof(Programs))]
    public async Task Every_program_block_runs_in_memory_and_prints_what_it_promises(string block)
    {
        var code = MarkdownBlocks.Find(block);
        var assembly = CompileOrFail(code);

        var output = await SnippetCompiler.RunAsync(assembly, [], RunTimeout);

        AssertExpected(code, output);
    }

    [Theory]
    [MemberData(nameof(PostgresPrograms))]
    public async Task Program_blocks_with_a_postgres_variant_run_on_postgresql(string block)
    {
        var code = MarkdownBlocks.Find(block);
        var assembly = CompileOrFail(code);
        var connectionString = await postgres.NewDatabaseAsync();
        var args = code.Options["postgres-args"].Split(' ', StringSplitOptions.RemoveEmptyEntries)
            .Select(a => a.Replace("{connectionString}", connectionString, StringComparison.Ordinal))
            .ToArray();

        var output = await SnippetCompiler.RunAsync(assembly, args, RunTimeout);

        AssertExpected(code, output);
        await using var dataSource = Npgsql.NpgsqlDataSource.Create(connectionString);
        await using var count = dataSource.CreateCommand("select count(*) from eventsourcing.events");
        Assert.True((long)(await count.ExecuteScalarAsync(TestContext.Current.CancellationToken))! > 0, $"{code.Id} ran, but nothing reached PostgreSQL.");
    }

    [Fact]
    public void The_readmes_hold_csharp_blocks_and_the_quick_start_is_a_runnable_program()
    {
        var all = MarkdownBlocks.All();

        Assert.Contains("README.md", MarkdownBlocks.Files());
        Assert.Contains(all, b => b.File == "README.md" && b.Kind == SnippetKind.Program && b.Options.ContainsKey("expect") && b.Options.ContainsKey("postgres-args"));
        Assert.All(all.Where(b => b.Kind == SnippetKind.Program), b => Assert.True(b.Options.ContainsKey("expect"), $"{b.Id}: a program block needs expect=\"...\" (what its output must contain)."));
        Assert.True(all.Count >= 8, $"Only {all.Count} C# blocks found: is the markdown parser still finding them?");
    }

    [Fact]
    public void A_broken_block_is_reported_with_its_file_line_and_compiler_error()
    {
        var broken = new CodeBlock("docs/example.md", 40, "var x = 1;\nConsole.WriteLine(y);", SnippetKind.Program, new Dictionary<string, string>());

        var (assembly, errors) = SnippetCompiler.Compile(broken);

        Assert.Null(assembly);
        Assert.Equal("docs/example.md:41:19: CS0103: The name 'y' does not exist in the current context", Assert.Single(errors));
    }

    private static byte[] CompileOrFail(CodeBlock code)
    {
        var (assembly, errors) = SnippetCompiler.Compile(code);
        Assert.True(assembly is not null, $"The program at {code.Id} does not compile:\n{string.Join('\n', errors)}");
        return assembly;
    }

    private static void AssertExpected(CodeBlock code, string output) =>
        Assert.True(output.Contains(code.Options["expect"], StringComparison.Ordinal), $"The program at {code.Id} should print \"{code.Options["expect"]}\"; it printed:\n{output}");
}

/// <summary>The test PostgreSQL (see <see cref="PostgresServer"/>), started on first use; one fresh database per program run.</summary>
public sealed class ReadmePostgres : IAsyncDisposable
{
    private readonly SemaphoreSlim _gate = new(1, 1);
    private readonly List<string> _databases = [];
    private PostgresServer? _server;

    public async Task<string> NewDatabaseAsync()
    {
        await _gate.WaitAsync(TestContext.Current.CancellationToken);
        try
        {
            _server ??= await PostgresServer.StartAsync(TestContext.Current.CancellationToken);
            var name = "readme_" + Guid.NewGuid().ToString("N")[..10];
            _databases.Add(name);
            return await _server.CreateDatabaseAsync(name, TestContext.Current.CancellationToken);
        }
        finally
        {
            _gate.Release();
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_server is not null)
        {
            if (_server.Source == "environment")
            {
                // A server we did not start stays; the databases we made do not.
                await using var dataSource = Npgsql.NpgsqlDataSource.Create(_server.ConnectionString);
                foreach (var name in _databases)
                {
                    await using var drop = dataSource.CreateCommand($"drop database if exists \"{name}\" with (force)");
                    await drop.ExecuteNonQueryAsync();
                }
            }

            await _server.DisposeAsync();
        }

        _gate.Dispose();
    }
}
