using BenchmarkDotNet.Attributes;
using EventSourcing.Aggregates;
using EventSourcing.Benchmarks.Domain;
using EventSourcing.Benchmarks.Infrastructure;
using EventSourcing.Benchmarks.Systems;

namespace EventSourcing.Benchmarks.Scenarios;

/// <summary>
/// Loads an aggregate by replaying its whole stream (no snapshot): read, deserialize, apply.
/// <see cref="EventObjectsOnly"/> only deserializes the same payloads from memory: its allocations are
/// the bytes of the event objects themselves, the reference of the allocation target.
/// </summary>
[MemoryDiagnoser]
public class LoadAggregateBenchmarks
{
    private AggregateRepository<Account> _memory = null!;
    private OursSystem _ours = null!;
    private SqliteSystem _sqlite = null!;
    private RawSystem _raw = null!;
    private MartenSystem _marten = null!;
    private (string Name, byte[] Payload)[] _payloads = null!;

    /// <summary>Events in the stream.</summary>
    [ParamsSource(nameof(Lengths))]
    public int Events { get; set; }

    /// <summary>The lengths of this run mode.</summary>
    public static IEnumerable<int> Lengths => BenchSettings.LoadLengths;

    private string StreamId => $"load-{Events}";

    /// <summary>Seeds the stream into an in-memory store.</summary>
    /// <returns>A task.</returns>
    [GlobalSetup(Target = nameof(InMemory))]
    public async Task SetupInMemoryAsync()
    {
        var (store, _) = await Fixture.CreateInMemoryAsync((s, snaps) => Datasets.SeedInMemoryAsync(s, snaps, StreamId, Events, 0));
        _memory = new AggregateRepository<Account>(store, Fixture.Registry);
    }

    /// <summary>Drops the in-memory data set (see <see cref="Fixture.CreateInMemoryAsync"/>).</summary>
    [GlobalCleanup(Target = nameof(InMemory))]
    public void CleanupInMemory() => _memory = null!;

    /// <summary>Seeds the stream (all systems) and prepares our store.</summary>
    /// <returns>A task.</returns>
    [GlobalSetup(Target = nameof(Ours))]
    public async Task SetupOursAsync()
    {
        await Datasets.EnsureStreamAsync(StreamId, Events, 0);
        _ours = await Fixture.OursReadAsync();
    }

    /// <summary>Seeds the stream into our SQLite store's file and prepares it.</summary>
    /// <returns>A task.</returns>
    [GlobalSetup(Target = nameof(Sqlite))]
    public async Task SetupSqliteAsync()
    {
        _sqlite = await Fixture.SqliteReadAsync();
        await _sqlite.EnsureStreamAsync(StreamId, Events);
    }

    /// <summary>Seeds the stream (all systems) and prepares raw Npgsql.</summary>
    /// <returns>A task.</returns>
    [GlobalSetup(Target = nameof(RawNpgsql))]
    public async Task SetupRawAsync()
    {
        await Datasets.EnsureStreamAsync(StreamId, Events, 0);
        _raw = await Fixture.RawReadAsync();
    }

    /// <summary>Seeds the stream (all systems) and prepares Marten.</summary>
    /// <returns>A task.</returns>
    [GlobalSetup(Target = nameof(Marten))]
    public async Task SetupMartenAsync()
    {
        await Datasets.EnsureStreamAsync(StreamId, Events, 0);
        _marten = await Fixture.MartenReadAsync();
    }

    /// <summary>Serializes the stream's payloads into memory.</summary>
    [GlobalSetup(Target = nameof(EventObjectsOnly))]
    public void SetupPayloads() => _payloads = Enumerable.Range(1, Events)
        .Select(v => EventFactory.Create(StreamId, v))
        .Select(e => (EventFactory.NameOf(e), EventFactory.Serialize(e)))
        .ToArray();

    /// <summary>The in-memory store through the repository.</summary>
    /// <returns>The balance.</returns>
    [Benchmark]
    public async Task<decimal> InMemory() => (await _memory.LoadAsync(EventSourcing.StreamId.From(StreamId))).Balance;

    /// <summary>Our PostgreSQL store through the repository.</summary>
    /// <returns>The balance.</returns>
    [Benchmark]
    public async Task<decimal> Ours() => (await _ours.Repository.LoadAsync(EventSourcing.StreamId.From(StreamId))).Balance;

    /// <summary>Our SQLite store through the repository.</summary>
    /// <returns>The balance.</returns>
    [Benchmark]
    public async Task<decimal> Sqlite() => (await _sqlite.Repository.LoadAsync(EventSourcing.StreamId.From(StreamId))).Balance;

    /// <summary>Raw SELECT + System.Text.Json + apply.</summary>
    /// <returns>The balance.</returns>
    [Benchmark(Baseline = true)]
    public async Task<decimal> RawNpgsql() => (await _raw.LoadAsync(StreamId)).Balance;

    /// <summary>Marten's live aggregation (AggregateStreamAsync).</summary>
    /// <returns>The balance.</returns>
    [Benchmark]
    public async Task<decimal> Marten() => (await _marten.LoadAsync(StreamId))!.Balance;

    /// <summary>Deserializes the payloads only: the allocation reference (bytes of the event objects).</summary>
    /// <returns>The last event.</returns>
    [Benchmark]
    public object EventObjectsOnly()
    {
        object last = null!;
        foreach (var (name, payload) in _payloads)
        {
            last = EventFactory.Deserialize(name, payload);
        }

        return last;
    }
}
