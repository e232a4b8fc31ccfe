using BenchmarkDotNet.Attributes;
using EventSourcing.Benchmarks.Infrastructure;
using EventSourcing.Benchmarks.Systems;
using EventSourcing.InMemory;

namespace EventSourcing.Benchmarks.Scenarios;

/// <summary>Reads the whole global log (200,000 events over 1,000 accounts) in order, deserializing every event.</summary>
[MemoryDiagnoser]
public class GlobalLogBenchmarks
{
    private InMemoryEventStore _memory = null!;
    private OursSystem _ours = null!;
    private SqliteSystem _sqlite = null!;
    private RawSystem _raw = null!;
    private MartenSystem _marten = null!;

    /// <summary>Seeds the log into an in-memory store.</summary>
    /// <returns>A task.</returns>
    [GlobalSetup(Target = nameof(InMemory))]
    public async Task SetupInMemoryAsync()
    {
        var accounts = BenchSettings.GlobalLogAccounts;
        var perAccount = BenchSettings.GlobalLogEvents / accounts;
        (_memory, _) = await Fixture.CreateInMemoryAsync(async (store, _) =>
        {
            for (var a = 0; a < accounts; a++)
            {
                await OursSystem.SeedStreamAsync(store, Datasets.LogAccount(a), perAccount);
            }
        });
        Datasets.CheckLogCount(await InMemory());
    }

    /// <summary>Drops the in-memory data set (see <see cref="Fixture.CreateInMemoryAsync"/>).</summary>
    [GlobalCleanup(Target = nameof(InMemory))]
    public void CleanupInMemory() => _memory = null!;

    /// <summary>Seeds the log and prepares our store.</summary>
    /// <returns>A task.</returns>
    [GlobalSetup(Target = nameof(Ours))]
    public async Task SetupOursAsync()
    {
        await Datasets.EnsureLogAsync();
        _ours = await Fixture.OursLogAsync();
        Datasets.CheckLogCount(await Ours());
    }

    /// <summary>Seeds the log into our SQLite store's file and prepares it.</summary>
    /// <returns>A task.</returns>
    [GlobalSetup(Target = nameof(Sqlite))]
    public async Task SetupSqliteAsync()
    {
        _sqlite = await Fixture.SqliteLogAsync();
        await _sqlite.EnsureLogAsync();
        Datasets.CheckLogCount(await Sqlite());
    }

    /// <summary>Seeds the log and prepares raw Npgsql.</summary>
    /// <returns>A task.</returns>
    [GlobalSetup(Target = nameof(RawNpgsql))]
    public async Task SetupRawAsync()
    {
        await Datasets.EnsureLogAsync();
        _raw = await Fixture.RawLogAsync();
        Datasets.CheckLogCount(await RawNpgsql());
    }

    /// <summary>Seeds the log and prepares Marten.</summary>
    /// <returns>A task.</returns>
    [GlobalSetup(Target = nameof(Marten))]
    public async Task SetupMartenAsync()
    {
        await Datasets.EnsureLogAsync();
        _marten = await Fixture.MartenLogAsync();
        Datasets.CheckLogCount(await Marten());
    }

    /// <summary>The in-memory store's ReadAllAsync.</summary>
    /// <returns>The events read.</returns>
    [Benchmark]
    public async Task<long> InMemory()
    {
        long count = 0;
        await foreach (var e in _memory.ReadAllAsync(GlobalPosition.Start))
        {
            count += e.StreamVersion > 0 ? 1 : 0;
        }

        return count;
    }

    /// <summary>Our PostgreSQL store's ReadAllAsync (keyset pages of 5,000).</summary>
    /// <returns>The events read.</returns>
    [Benchmark]
    public async Task<long> Ours()
    {
        long count = 0;
        await foreach (var e in _ours.Store.ReadAllAsync(GlobalPosition.Start))
        {
            count += e.StreamVersion > 0 ? 1 : 0;
        }

        return count;
    }

    /// <summary>Our SQLite store's ReadAllAsync (rowid pages of 2,048).</summary>
    /// <returns>The events read.</returns>
    [Benchmark]
    public async Task<long> Sqlite()
    {
        long count = 0;
        await foreach (var e in _sqlite.Store.ReadAllAsync(GlobalPosition.Start))
        {
            count += e.StreamVersion > 0 ? 1 : 0;
        }

        return count;
    }

    /// <summary>One raw gap-safe SELECT, every row read and deserialized into an envelope.</summary>
    /// <returns>The events read.</returns>
    [Benchmark(Baseline = true)]
    public Task<long> RawNpgsql() => _raw.ReadAllAsync();

    /// <summary>Marten's QueryAllRawEvents in sequence order, pages of 10,000.</summary>
    /// <returns>The events read.</returns>
    [Benchmark]
    public Task<long> Marten() => _marten.ReadAllAsync();
}
