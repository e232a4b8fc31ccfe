using System.Text.RegularExpressions;
using Npgsql;
using Testcontainers.PostgreSql;

namespace EventSourcing.Testing.Postgres;

/// <summary>
/// A PostgreSQL server for tests and benchmarks, found in this order: (1) the connection string in the
/// environment variable <c>EVENTSOURCING_TEST_POSTGRES</c>; (2) Testcontainers when a Docker engine
/// answers; (3) a throwaway cluster from local PostgreSQL binaries (initdb + pg_ctl on a free loopback
/// port), deleted on dispose. With none of them, <see cref="StartAsync"/> throws one exception that
/// names the three ways.
/// </summary>
public sealed partial class PostgresServer : IAsyncDisposable
{
    /// <summary>The environment variable holding a connection string to an existing server.</summary>
    public const string EnvironmentVariable = "EVENTSOURCING_TEST_POSTGRES";

    private readonly Func<ValueTask>? _stop;
    private readonly Func<TimeSpan, CancellationToken, Task>? _restart;
    private int _disposed;

    private PostgresServer(string connectionString, string source, Func<ValueTask>? stop, Func<TimeSpan, CancellationToken, Task>? restart = null)
    {
        ConnectionString = connectionString;
        Source = source;
        _stop = stop;
        _restart = restart;
    }

    /// <summary>True when local PostgreSQL binaries were found, so <see cref="StartLocalAsync(CancellationToken)"/> can work.</summary>
    public static bool HasLocalBinaries => LocalCluster.FindBinaries() is not null;

    /// <summary>True when this instance started the server from local binaries and can restart it.</summary>
    public bool CanRestart => _restart is not null;

    /// <summary>The connection string of the server's maintenance database (usually <c>postgres</c>).</summary>
    public string ConnectionString { get; }

    /// <summary>Where the server came from: "environment", "testcontainers" or "local binaries (...)".</summary>
    public string Source { get; }

    /// <summary>Finds or starts a server.</summary>
    /// <param name="cancellationToken">Cancels the start.</param>
    /// <returns>The server; dispose it to stop what was started.</returns>
    /// <exception cref="InvalidOperationException">No way to get a server worked.</exception>
    public static async Task<PostgresServer> StartAsync(CancellationToken cancellationToken = default)
    {
        var fromEnvironment = Environment.GetEnvironmentVariable(EnvironmentVariable);
        if (!string.IsNullOrWhiteSpace(fromEnvironment))
        {
            return new PostgresServer(fromEnvironment, "environment", stop: null);
        }

        string dockerStatus;
        if (await DockerProbe.AnswersAsync(cancellationToken).ConfigureAwait(false))
        {
            var container = new PostgreSqlBuilder("postgres:17-alpine").Build();
            try
            {
                await container.StartAsync(cancellationToken).ConfigureAwait(false);
                return new PostgresServer(container.GetConnectionString(), "testcontainers", container.DisposeAsync);
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                await container.DisposeAsync().ConfigureAwait(false);
                dockerStatus = $"a Docker engine answered but the container failed: {ex.Message}";
            }
        }
        else
        {
            dockerStatus = "no Docker engine answered";
        }

        string localStatus;
        var binaries = LocalCluster.FindBinaries();
        if (binaries is null)
        {
            localStatus = "no PostgreSQL binaries in /usr/lib/postgresql/*/bin (or EVENTSOURCING_TEST_PG_BIN)";
        }
        else
        {
            try
            {
                var cluster = await LocalCluster.StartAsync(binaries, cancellationToken).ConfigureAwait(false);
                return new PostgresServer(cluster.ConnectionString, $"local binaries ({binaries})", cluster.DisposeAsync, cluster.RestartAsync);
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                localStatus = $"a throwaway cluster from {binaries} failed to start: {ex.Message}";
            }
        }

        throw new InvalidOperationException(
            "No PostgreSQL server for the tests. Provide one of: " +
            $"(1) a connection string in the environment variable {EnvironmentVariable} (not set); " +
            $"(2) a Docker engine for Testcontainers ({dockerStatus}); " +
            $"(3) local PostgreSQL binaries, e.g. `apt-get install postgresql` ({localStatus}).");
    }

    /// <summary>
    /// Starts a dedicated throwaway cluster from local binaries, whatever the environment provides, for
    /// tests that must stop or restart the server without disturbing the others.
    /// </summary>
    /// <param name="cancellationToken">Cancels the start.</param>
    /// <returns>The server; dispose it to stop and delete the cluster.</returns>
    /// <exception cref="InvalidOperationException">No local PostgreSQL binaries were found.</exception>
    public static async Task<PostgresServer> StartLocalAsync(CancellationToken cancellationToken = default)
    {
        var binaries = LocalCluster.FindBinaries() ?? throw new InvalidOperationException("No PostgreSQL binaries in /usr/lib/postgresql/*/bin (or EVENTSOURCING_TEST_PG_BIN).");
        var cluster = await LocalCluster.StartAsync(binaries, cancellationToken).ConfigureAwait(false);
        return new PostgresServer(cluster.ConnectionString, $"local binaries ({binaries})", cluster.DisposeAsync, cluster.RestartAsync);
    }

    /// <summary>
    /// Restarts the server: a fast shutdown (every session is terminated), an optional pause, and a start
    /// on the same port with the same data.
    /// </summary>
    /// <param name="downtime">How long the server stays down.</param>
    /// <param name="cancellationToken">Cancels the restart.</param>
    /// <returns>A task that completes when the server accepts connections again.</returns>
    /// <exception cref="NotSupportedException">The server was not started from local binaries by this instance.</exception>
    public Task RestartAsync(TimeSpan downtime = default, CancellationToken cancellationToken = default) =>
        _restart is { } restart
            ? restart(downtime, cancellationToken)
            : throw new NotSupportedException($"Only a cluster started from local binaries can be restarted; this server is from {Source}.");

    /// <summary>Creates a database (dropping one of that name first) and returns its connection string.</summary>
    /// <param name="name">The database name: lower-case letters, digits and underscores.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The connection string of the new database.</returns>
    public async Task<string> CreateDatabaseAsync(string name, CancellationToken cancellationToken = default)
    {
        if (!IdentifierPattern().IsMatch(name))
        {
            throw new ArgumentException($"'{name}' is not a plain identifier (^[a-z_][a-z0-9_]{{0,62}}$).", nameof(name));
        }

        await using (var connection = new NpgsqlConnection(ConnectionString))
        {
            await connection.OpenAsync(cancellationToken).ConfigureAwait(false);
            await using var drop = new NpgsqlCommand($"drop database if exists \"{name}\" with (force)", connection);
            await drop.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            await using var create = new NpgsqlCommand($"create database \"{name}\"", connection);
            await create.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }

        return new NpgsqlConnectionStringBuilder(ConnectionString) { Database = name }.ConnectionString;
    }

    /// <summary>Stops and deletes whatever this instance started; a server from the environment is left alone.</summary>
    /// <returns>A task that completes when the server is gone.</returns>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 0 && _stop is not null)
        {
            await _stop().ConfigureAwait(false);
        }
    }

    /// <inheritdoc />
    public override string ToString() => $"PostgreSQL from {Source}";

    [GeneratedRegex(@"^[a-z_][a-z0-9_]{0,62}\z")]
    private static partial Regex IdentifierPattern();
}
