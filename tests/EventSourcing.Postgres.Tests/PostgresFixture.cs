using System.Collections.Concurrent;
using EventSourcing.Testing.Postgres;
using Npgsql;
using Xunit;

[assembly: AssemblyFixture(typeof(EventSourcing.Postgres.Tests.PostgresFixture))]

// The global log is gap-safe: an open write transaction anywhere in the cluster holds every reader back
// until it ends. Tests that hold one open on purpose (and appends of other classes running at the same
// moment) would make the global-log tests of other classes wait, so the classes run one at a time.
[assembly: Xunit.v3.Parallelization(Mode = Xunit.Sdk.ParallelMode.None)]

namespace EventSourcing.Postgres.Tests;

/// <summary>
/// One PostgreSQL server (see <see cref="PostgresServer"/>) and one fresh database for the whole test
/// assembly; each test class gets its own schema.
/// </summary>
public sealed class PostgresFixture : IAsyncLifetime
{
    private readonly ConcurrentDictionary<string, Lazy<Task<PostgresOptions>>> _schemas = new();
    private readonly ConcurrentDictionary<int, Lazy<Task<PgBouncer>>> _poolers = new();
    private PostgresServer? _server;
    private NpgsqlDataSource? _dataSource;
    private string? _database;

    public PostgresServer Server => _server ?? throw new InvalidOperationException("Not initialized.");

    /// <summary>The connection string of the test database (the server's superuser or the configured user).</summary>
    public string ConnectionString { get; private set; } = string.Empty;

    /// <summary>A data source on the test database, shared by the tests.</summary>
    public NpgsqlDataSource DataSource => _dataSource ?? throw new InvalidOperationException("Not initialized.");

    public async ValueTask InitializeAsync()
    {
        _server = await PostgresServer.StartAsync(TestContext.Current.CancellationToken);
        _database = "es_tests_" + Guid.NewGuid().ToString("N")[..10];
        ConnectionString = await _server.CreateDatabaseAsync(_database, TestContext.Current.CancellationToken);
        _dataSource = NpgsqlDataSource.Create(ConnectionString);
    }

    /// <summary>
    /// A PgBouncer in transaction pooling mode in front of the test database, with <paramref name="poolSize"/>
    /// server connections (started on first use, one per pool size, stopped with the fixture). Never
    /// skipped: without the pgbouncer binary the tests that need it fail with a message saying how to
    /// install it.
    /// </summary>
    public Task<PgBouncer> PoolerAsync(int poolSize) =>
        _poolers.GetOrAdd(poolSize, size => new Lazy<Task<PgBouncer>>(() => PgBouncer.StartAsync(ConnectionString, size))).Value;

    /// <summary>The schema of one test class (created and migrated on first use).</summary>
    public Task<PostgresOptions> SchemaForAsync(Type testClass) =>
        _schemas.GetOrAdd(testClass.Name, name => new Lazy<Task<PostgresOptions>>(() => CreateSchemaAsync(name))).Value;

    /// <summary>A new, migrated schema with a unique name.</summary>
    public async Task<PostgresOptions> CreateSchemaAsync(string hint)
    {
        var options = new PostgresOptions { Schema = NewSchemaName(hint) };
        await new PostgresSchemaInitializer(DataSource, options).ApplyAsync();
        return options;
    }

    /// <summary>A schema name nobody used yet (nothing is created).</summary>
    public static string NewSchemaName(string hint)
    {
        var prefix = new string(hint.ToLowerInvariant().Where(c => c is (>= 'a' and <= 'z') or (>= '0' and <= '9') or '_').Take(40).ToArray());
        return $"t_{prefix}_{Guid.NewGuid().ToString("N")[..8]}";
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var pooler in _poolers.Values.Where(p => p.IsValueCreated))
        {
            try
            {
                await (await pooler.Value).DisposeAsync();
            }
            catch (InvalidOperationException)
            {
                // It never started; the test that asked for it failed with the reason.
            }
        }

        if (_dataSource is not null)
        {
            await _dataSource.DisposeAsync();
        }

        if (_server is not null)
        {
            if (_database is not null && _server.Source == "environment")
            {
                // A server we did not start stays; the database we made does not.
                await using var connection = new NpgsqlConnection(_server.ConnectionString);
                await connection.OpenAsync();
                await using var drop = new NpgsqlCommand($"drop database if exists \"{_database}\" with (force)", connection);
                await drop.ExecuteNonQueryAsync();
            }

            await _server.DisposeAsync();
        }
    }
}
