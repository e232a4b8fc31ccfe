using EventSourcing.Aggregates;
using EventSourcing.Benchmarks.Domain;
using EventSourcing.Benchmarks.Infrastructure;
using EventSourcing.Serialization;
using EventSourcing.Sqlite;

namespace EventSourcing.Benchmarks.Systems;

/// <summary>
/// Our SQLite store on a database file of its own (one per role: write, read, log), used through the
/// public API only. The file is in the temp directory, made fresh for each benchmark process, and
/// durable as shipped (WAL, synchronous=FULL): appends wait on fsync as PostgreSQL's do.
/// </summary>
public sealed class SqliteSystem
{
    private SqliteSystem(SqliteEventStore store, EventTypeRegistry registry)
    {
        Store = store;
        Repository = new AggregateRepository<Account>(store, registry);
    }

    /// <summary>The event store.</summary>
    public SqliteEventStore Store { get; }

    /// <summary>Loads by replaying every event.</summary>
    public AggregateRepository<Account> Repository { get; }

    /// <summary>Creates a fresh database file for a role and applies the schema.</summary>
    /// <param name="role">The file's name, e.g. <c>sqlite_w</c>.</param>
    /// <param name="registry">The event types.</param>
    /// <returns>The system.</returns>
    public static async Task<SqliteSystem> CreateAsync(string role, EventTypeRegistry registry)
    {
        var directory = Path.Combine(Path.GetTempPath(), $"es-bench-sqlite-{Environment.ProcessId}");
        Directory.CreateDirectory(directory);
        var file = Path.Combine(directory, role + ".db");
        foreach (var old in Directory.GetFiles(directory, role + ".db*"))
        {
            File.Delete(old);
        }

        var options = new SqliteOptions { FilePath = file, BusyTimeout = TimeSpan.FromMinutes(5) };
        await new SqliteSchemaInitializer(options).ApplyAsync();
        return new SqliteSystem(new SqliteEventStore(options, registry), registry);
    }

    /// <summary>Appends a stream (in calls of 1,000 events) unless the file already holds it.</summary>
    /// <param name="streamId">The stream.</param>
    /// <param name="length">The number of events.</param>
    /// <returns>A task.</returns>
    public async Task EnsureStreamAsync(string streamId, int length)
    {
        if (await Store.GetStreamVersionAsync(StreamId.From(streamId)) == 0)
        {
            await OursSystem.SeedStreamAsync(Store, streamId, length);
        }
    }

    /// <summary>Appends the global log's accounts unless the file already holds them.</summary>
    /// <returns>A task.</returns>
    public async Task EnsureLogAsync()
    {
        if (!(await Store.GetHeadPositionAsync()).IsStart)
        {
            return;
        }

        var perAccount = BenchSettings.GlobalLogEvents / BenchSettings.GlobalLogAccounts;
        for (var a = 0; a < BenchSettings.GlobalLogAccounts; a++)
        {
            await OursSystem.SeedStreamAsync(Store, Datasets.LogAccount(a), perAccount);
        }
    }
}
