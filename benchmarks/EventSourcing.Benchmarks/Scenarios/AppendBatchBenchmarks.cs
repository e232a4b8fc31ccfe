using BenchmarkDotNet.Attributes;
using EventSourcing.Benchmarks.Domain;
using EventSourcing.Benchmarks.Infrastructure;
using EventSourcing.Benchmarks.Systems;
using EventSourcing.InMemory;

namespace EventSourcing.Benchmarks.Scenarios;

/// <summary>1,000 events appended to a new stream in one call (raw Npgsql: one binary COPY).</summary>
[MemoryDiagnoser]
public class AppendBatchBenchmarks
{
    private readonly StreamIds _ids = new();
    private readonly object[] _events = Enumerable.Range(1, BenchSettings.BatchSize).Select(v => EventFactory.Create("acct-batch", v)).ToArray();
    private InMemoryEventStore _memory = null!;
    private int _memoryInvocations;
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
    [GlobalSetup(Target = nameof(RawNpgsqlCopy))]
    public async Task SetupRawAsync() => _raw = await Fixture.RawWriteAsync();

    /// <summary>Prepares Marten.</summary>
    /// <returns>A task.</returns>
    [GlobalSetup(Target = nameof(Marten))]
    public async Task SetupMartenAsync() => _marten = await Fixture.MartenWriteAsync();

    /// <summary>Prepares Marten (Quick).</summary>
    /// <returns>A task.</returns>
    [GlobalSetup(Target = nameof(MartenQuick))]
    public async Task SetupMartenQuickAsync() => _martenQuick = await Fixture.MartenQuickWriteAsync();

    /// <summary>The in-memory store (replaced every 1,000 invocations so memory stays bounded).</summary>
    /// <returns>The result.</returns>
    [Benchmark]
    public ValueTask<AppendResult> InMemory()
    {
        if (++_memoryInvocations % 1_000 == 0)
        {
            _memory = new InMemoryEventStore(Fixture.Registry);
        }

        return _memory.AppendAsync(StreamId.From(_ids.Next()), ExpectedVersion.NoStream, Wrap());
    }

    /// <summary>Our PostgreSQL store (one call: arrays + unnest).</summary>
    /// <returns>The result.</returns>
    [Benchmark]
    public ValueTask<AppendResult> Ours() => _ours.Store.AppendAsync(StreamId.From(_ids.Next()), ExpectedVersion.NoStream, Wrap());

    /// <summary>Our SQLite store (one transaction, one prepared INSERT per event).</summary>
    /// <returns>The result.</returns>
    [Benchmark]
    public ValueTask<AppendResult> Sqlite() => _sqlite.Store.AppendAsync(StreamId.From(_ids.Next()), ExpectedVersion.NoStream, Wrap());

    /// <summary>Raw binary COPY.</summary>
    /// <returns>A task.</returns>
    [Benchmark(Baseline = true)]
    public Task RawNpgsqlCopy() => _raw.CopyAsync(_ids.Next(), 1, _events);

    /// <summary>Marten, default configuration.</summary>
    /// <returns>A task.</returns>
    [Benchmark]
    public Task Marten() => _marten.StartStreamAsync(_ids.Next(), _events);

    /// <summary>Marten, Quick append mode.</summary>
    /// <returns>A task.</returns>
    [Benchmark]
    public Task MartenQuick() => _martenQuick.StartStreamAsync(_ids.Next(), _events);

    private EventData[] Wrap()
    {
        var batch = new EventData[_events.Length];
        for (var i = 0; i < batch.Length; i++)
        {
            batch[i] = new EventData(_events[i]);
        }

        return batch;
    }
}
