using Npgsql;

namespace EventSourcing.Testing.Postgres;

/// <summary>The cluster's client tools (pg_dump, pg_restore), run like initdb and pg_ctl: as the postgres OS user when root.</summary>
internal sealed partial class LocalCluster
{
    /// <summary>A path in the cluster's own directory (deleted with it, writable by the user the tools run as).</summary>
    public string FilePath(string name) => Path.Combine(_root, name);

    /// <summary>Dumps a database (everything in it: schemas, tables, functions, triggers, data) in pg_dump's custom format.</summary>
    public Task DumpAsync(string database, string file, CancellationToken cancellationToken) =>
        RunClientAsync("pg_dump", ["--format=custom", "--no-owner", "--no-privileges", $"--file={file}", database], cancellationToken);

    /// <summary>Restores a custom-format dump into an existing, empty database; the first error fails the call.</summary>
    public Task RestoreAsync(string file, string database, CancellationToken cancellationToken) =>
        RunClientAsync("pg_restore", ["--exit-on-error", "--single-transaction", "--no-owner", "--no-privileges", $"--dbname={database}", file], cancellationToken);

    private Task RunClientAsync(string tool, string[] arguments, CancellationToken cancellationToken)
    {
        var connection = new NpgsqlConnectionStringBuilder(ConnectionString);
        var environment = new Dictionary<string, string>
        {
            ["PGHOST"] = connection.Host ?? "127.0.0.1",
            ["PGPORT"] = connection.Port.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["PGUSER"] = connection.Username ?? StopOnExit.OsUser,
            ["PGPASSWORD"] = connection.Password ?? string.Empty,
        };
        return RunAsync(Path.Combine(_bin, tool), arguments, StopOnExit.IsRoot, cancellationToken, environment);
    }
}
