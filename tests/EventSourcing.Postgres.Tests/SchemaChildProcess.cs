using System.Diagnostics;
using Npgsql;

namespace EventSourcing.Postgres.Tests;

/// <summary>
/// A child process that applies one schema: it prints "ready", waits for "go" on standard input (so all
/// children start together), applies the schema and prints "applied".
/// </summary>
internal static class SchemaChildProcess
{
    public const string Verb = "apply-schema";

    public static async Task<int> RunAsync(string[] args)
    {
        var (connectionString, schema) = (args[1], args[2]);
        await using var dataSource = NpgsqlDataSource.Create(connectionString);
        var initializer = new PostgresSchemaInitializer(dataSource, new PostgresOptions { Schema = schema });
        Console.WriteLine("ready");
        if (Console.ReadLine() != "go")
        {
            return 2;
        }

        await initializer.ApplyAsync();
        Console.WriteLine("applied");
        return 0;
    }

    /// <summary>Starts the child: this assembly's app host, or <c>dotnet exec</c> on the assembly.</summary>
    public static Process Start(string connectionString, string schema)
    {
        var assembly = typeof(SchemaChildProcess).Assembly.Location;
        var appHost = Path.ChangeExtension(assembly, OperatingSystem.IsWindows() ? ".exe" : null);
        var start = File.Exists(appHost)
            ? new ProcessStartInfo(appHost)
            : new ProcessStartInfo("dotnet") { ArgumentList = { "exec", assembly } };
        start.ArgumentList.Add(Verb);
        start.ArgumentList.Add(connectionString);
        start.ArgumentList.Add(schema);
        start.RedirectStandardInput = true;
        start.RedirectStandardOutput = true;
        start.RedirectStandardError = true;
        start.UseShellExecute = false;
        return Process.Start(start) ?? throw new InvalidOperationException("Could not start the child process.");
    }
}
