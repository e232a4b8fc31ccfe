using System.Collections.Concurrent;
using EventSourcing.Benchmarks.Domain;
using EventSourcing.Benchmarks.Systems;
using EventSourcing.InMemory;
using EventSourcing.Serialization;

namespace EventSourcing.Benchmarks.Infrastructure;

/// <summary>
/// The PostgreSQL systems under test, created once per process and shared by the benchmark classes
/// (their seeded data lives in the databases), and the in-memory data sets, created per case. Write
/// scenarios use the <c>*_w</c> schemas; single-stream reads the <c>*_r</c> schemas; the global-log
/// scenarios (read and rebuild) the <c>*_log</c> schemas, which hold the log's events and nothing else.
/// </summary>
public static class Fixture
{
    private static readonly ConcurrentDictionary<string, Lazy<Task<object>>> Cache = new();
    private static readonly Lazy<EventTypeRegistry> SharedRegistry = new(EventFactory.CreateRegistry);

    /// <summary>The event types, shared by every store of ours.</summary>
    public static EventTypeRegistry Registry => SharedRegistry.Value;

    /// <summary>Our store on the write schema.</summary>
    /// <returns>The system.</returns>
    public static Task<OursSystem> OursWriteAsync() => Get("ours_w", () => OursSystem.CreateAsync("ours_w", Registry));

    /// <summary>Our store on the read schema.</summary>
    /// <returns>The system.</returns>
    public static Task<OursSystem> OursReadAsync() => Get("ours_r", () => OursSystem.CreateAsync("ours_r", Registry));

    /// <summary>Our store on the global-log schema.</summary>
    /// <returns>The system.</returns>
    public static Task<OursSystem> OursLogAsync() => Get("ours_log", () => OursSystem.CreateAsync("ours_log", Registry));

    /// <summary>Our store on the global-log schema as an application configures it, with <see cref="BalanceView"/> and every default.</summary>
    /// <returns>The system.</returns>
    public static Task<OursViewSystem> OursViewLogAsync() => Get("ours_view_log", () => Task.FromResult(OursViewSystem.Create("ours_log")));

    /// <summary>Our SQLite store on its write file.</summary>
    /// <returns>The system.</returns>
    public static Task<SqliteSystem> SqliteWriteAsync() => Get("sqlite_w", () => SqliteSystem.CreateAsync("sqlite_w", Registry));

    /// <summary>Our SQLite store on its read file.</summary>
    /// <returns>The system.</returns>
    public static Task<SqliteSystem> SqliteReadAsync() => Get("sqlite_r", () => SqliteSystem.CreateAsync("sqlite_r", Registry));

    /// <summary>Our SQLite store on its global-log file.</summary>
    /// <returns>The system.</returns>
    public static Task<SqliteSystem> SqliteLogAsync() => Get("sqlite_log", () => SqliteSystem.CreateAsync("sqlite_log", Registry));

    /// <summary>Raw Npgsql on the global-log schema.</summary>
    /// <returns>The system.</returns>
    public static Task<RawSystem> RawLogAsync() => Get("raw_log", () => CreateRawAsync("raw_log"));

    /// <summary>Marten (default configuration) on the global-log schema.</summary>
    /// <returns>The system.</returns>
    public static Task<MartenSystem> MartenLogAsync() => Get("marten_log", () => MartenSystem.CreateAsync("marten_log", quickAppend: false));

    /// <summary>Raw Npgsql on the write schema.</summary>
    /// <returns>The system.</returns>
    public static Task<RawSystem> RawWriteAsync() => Get("raw_w", () => CreateRawAsync("raw_w"));

    /// <summary>Raw Npgsql on the read schema.</summary>
    /// <returns>The system.</returns>
    public static Task<RawSystem> RawReadAsync() => Get("raw_r", () => CreateRawAsync("raw_r"));

    /// <summary>Marten (default configuration) on the write schema.</summary>
    /// <returns>The system.</returns>
    public static Task<MartenSystem> MartenWriteAsync() => Get("marten_w", () => MartenSystem.CreateAsync("marten_w", quickAppend: false));

    /// <summary>Marten in Quick append mode on its own write schema.</summary>
    /// <returns>The system.</returns>
    public static Task<MartenSystem> MartenQuickWriteAsync() => Get("martenq_w", () => MartenSystem.CreateAsync("martenq_w", quickAppend: true));

    /// <summary>Marten (default configuration) on the read schema.</summary>
    /// <returns>The system.</returns>
    public static Task<MartenSystem> MartenReadAsync() => Get("marten_r", () => MartenSystem.CreateAsync("marten_r", quickAppend: false, snapshots: true));

    /// <summary>
    /// A new in-memory store holding a data set. Not cached: a benchmark case owns its store and drops
    /// it at cleanup, so in process the live heap of one case (hundreds of MB of envelopes) never slows
    /// the garbage collections of the cases after it.
    /// </summary>
    /// <param name="seed">Fills the store.</param>
    /// <returns>The store and its snapshot store.</returns>
    public static async Task<(InMemoryEventStore Store, InMemorySnapshotStore Snapshots)> CreateInMemoryAsync(Func<InMemoryEventStore, InMemorySnapshotStore, Task> seed)
    {
        var store = new InMemoryEventStore(Registry);
        var snapshots = new InMemorySnapshotStore();
        await seed(store, snapshots);
        return (store, snapshots);
    }

    private static async Task<RawSystem> CreateRawAsync(string schema)
    {
        var raw = new RawSystem(Databases.RawDataSource, schema);
        await raw.CreateSchemaAsync();
        return raw;
    }

    private static async Task<T> Get<T>(string key, Func<Task<T>> create)
    {
        var lazy = Cache.GetOrAdd(key, _ => new Lazy<Task<object>>(async () => (await create())!));
        return (T)await lazy.Value;
    }
}
