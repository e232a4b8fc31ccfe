using BenchmarkDotNet.Attributes;
using EventSourcing.Benchmarks.Domain;
using EventSourcing.Benchmarks.Infrastructure;
using EventSourcing.Benchmarks.Systems;
using EventSourcing.InMemory;

namespace EventSourcing.Benchmarks.Scenarios;

/// <summary>One writer appends one event to a new stream; each append is its own transaction.</summary>
[MemoryDiagnoser]
public class AppendOneEventBenchmarks
{
    private readonly object _event = EventFactory.Create("acct-new", 1);
    private readonly StreamIds _ids = new();
    private InMemoryEventStore _memory = null!;
    private int _memoryStreams;
    private OursSystem _ours = null!;
    private SqliteSystem _sqlite = null!;
    private RawSystem _raw = null!;
    private MartenSystem _marten = null!;
    private MartenSystem _martenQuick = null!;

    /// <summary>Prepares the in-memory store.</summary>
    [GlobalSetup(Target = nameof(InMemory))]
    public void SetupInMemory() => _memory = new InMemoryEventStore(Fixture.Registry);

    /// <summary>Drops the in-memory data set (see <see cref="Fixture.CreateInMemoryAsync"/>).</summary>
    [GlobalCleanup(Target = nameof(InMemory))]
    public void CleanupInMemory() => _memory = null!;

    /// <summary>Prepares our store.</summary>
    /// <returns>A task.</returns>
    [GlobalSetup(Target = nameof(Ours))]
    public async Task SetupOursAsync() => _ours = await Fixture.OursWriteAsync();

    /// <summary>Prepares our SQLite store.</summary>
    /// <returns>A task.</returns>
    [GlobalSetup(Target = nameof(Sqlite))]
    public async Task SetupSqliteAsync() => _sqlite = await Fixture.SqliteWriteAsync();

    /// <summary>Prepares raw Npgsql.</summary>
    /// <returns>A task.</returns>
    [GlobalSetup(Target = nameof(RawNpgsql))]
    public async Task SetupRawAsync() => _raw = await Fixture.RawWriteAsync();

    /// <summary>Prepares Marten.</summary>
    /// <returns>A task.</returns>
    [GlobalSetup(Target = nameof(Marten))]
    public async Task SetupMartenAsync() => _marten = await Fixture.MartenWriteAsync();

    /// <summary>Prepares Marten (Quick).</summary>
    /// <returns>A task.</returns>
    [GlobalSetup(Target = nameof(MartenQuick))]
    public async Task SetupMartenQuickAsync() => _martenQuick = await Fixture.MartenQuickWriteAsync();

    /// <summary>The in-memory store (replaced every 100,000 streams so memory stays bounded).</summary>
    /// <returns>The result.</returns>
    [Benchmark]
    public ValueTask<AppendResult> InMemory()
    {
        if (++_memoryStreams % 100_000 == 0)
        {
            _memory = new InMemoryEventStore(Fixture.Registry);
        }

        return _memory.AppendAsync(StreamId.From(_ids.Next()), ExpectedVersion.NoStream, [new EventData(_event)]);
    }

    /// <summary>Our PostgreSQL store.</summary>
    /// <returns>The result.</returns>
    [Benchmark]
    public ValueTask<AppendResult> Ours() => _ours.Store.AppendAsync(StreamId.From(_ids.Next()), ExpectedVersion.NoStream, [new EventData(_event)]);

    /// <summary>Our SQLite store (one durable BEGIN IMMEDIATE transaction per append).</summary>
    /// <returns>The result.</returns>
    [Benchmark]
    public ValueTask<AppendResult> Sqlite() => _sqlite.Store.AppendAsync(StreamId.From(_ids.Next()), ExpectedVersion.NoStream, [new EventData(_event)]);

    /// <summary>One raw INSERT.</summary>
    /// <returns>True.</returns>
    [Benchmark(Baseline = true)]
    public Task<bool> RawNpgsql() => _raw.TryAppendAsync(_ids.Next(), 1, _event);

    /// <summary>Marten, default configuration.</summary>
    /// <returns>A task.</returns>
    [Benchmark]
    public Task Marten() => _marten.StartStreamAsync(_ids.Next(), _event);

    /// <summary>Marten, Quick append mode.</summary>
    /// <returns>A task.</returns>
    [Benchmark]
    public Task MartenQuick() => _martenQuick.StartStreamAsync(_ids.Next(), _event);
}
