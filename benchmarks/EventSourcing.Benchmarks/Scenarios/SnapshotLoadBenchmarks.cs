using BenchmarkDotNet.Attributes;
using EventSourcing.Aggregates;
using EventSourcing.Benchmarks.Domain;
using EventSourcing.Benchmarks.Infrastructure;
using EventSourcing.Benchmarks.Systems;

namespace EventSourcing.Benchmarks.Scenarios;

/// <summary>
/// Loads an aggregate from its snapshot plus the tail of a 10,000-event stream: the snapshot at the
/// stream's head (<see cref="Tail"/> = 0, what a snapshot policy leaves most of the time) or 50 events
/// behind. Ours: <c>AggregateRepository.LoadAsync</c> with its defaults. Raw: one statement (snapshot row
/// and tail rows). Marten: <c>FetchLatest</c> over its async snapshot document (one batch).
/// </summary>
[MemoryDiagnoser]
public class SnapshotLoadBenchmarks
{
    /// <summary>Events after the snapshot.</summary>
    [Params(0, BenchSettings.SnapshotTail)]
    public int Tail { get; set; }

    private AggregateRepository<Account> _memory = null!;
    private OursSystem _ours = null!;
    private RawSystem _raw = null!;
    private MartenSystem _marten = null!;

    private static int Length => BenchSettings.SnapshotStreamLength;

    private long SnapshotAt => Length - Tail;

    private string StreamId => Tail == 0 ? $"snaphead-{Length}" : $"snap-{Length}";

    /// <summary>Seeds the stream and snapshot into an in-memory store.</summary>
    /// <returns>A task.</returns>
    [GlobalSetup(Target = nameof(InMemory))]
    public async Task SetupInMemoryAsync()
    {
        var (store, snapshots) = await Fixture.CreateInMemoryAsync((s, snaps) => Datasets.SeedInMemoryAsync(s, snaps, StreamId, Length, SnapshotAt));
        _memory = new AggregateRepository<Account>(store, Fixture.Registry, snapshots);
    }

    /// <summary>Drops the in-memory data set (see <see cref="Fixture.CreateInMemoryAsync"/>).</summary>
    [GlobalCleanup(Target = nameof(InMemory))]
    public void CleanupInMemory() => _memory = null!;

    /// <summary>Seeds (all systems) and prepares our store.</summary>
    /// <returns>A task.</returns>
    [GlobalSetup(Target = nameof(Ours))]
    public async Task SetupOursAsync()
    {
        await Datasets.EnsureReadFillerAsync();
        await Datasets.EnsureStreamAsync(StreamId, Length, SnapshotAt);
        _ours = await Fixture.OursReadAsync();
    }

    /// <summary>Seeds (all systems) and prepares raw Npgsql.</summary>
    /// <returns>A task.</returns>
    [GlobalSetup(Target = nameof(RawNpgsql))]
    public async Task SetupRawAsync()
    {
        await Datasets.EnsureReadFillerAsync();
        await Datasets.EnsureStreamAsync(StreamId, Length, SnapshotAt);
        _raw = await Fixture.RawReadAsync();
    }

    /// <summary>Seeds (all systems) and prepares Marten.</summary>
    /// <returns>A task.</returns>
    [GlobalSetup(Target = nameof(Marten))]
    public async Task SetupMartenAsync()
    {
        await Datasets.EnsureReadFillerAsync();
        await Datasets.EnsureStreamAsync(StreamId, Length, SnapshotAt);
        _marten = await Fixture.MartenReadAsync();
    }

    /// <summary>The in-memory stores through the repository.</summary>
    /// <returns>The balance.</returns>
    [Benchmark]
    public async Task<decimal> InMemory() => (await _memory.LoadAsync(EventSourcing.StreamId.From(StreamId))).Balance;

    /// <summary>Our PostgreSQL stores through the repository.</summary>
    /// <returns>The balance.</returns>
    [Benchmark]
    public async Task<decimal> Ours() => (await _ours.SnapshotRepository.LoadAsync(EventSourcing.StreamId.From(StreamId))).Balance;

    /// <summary>Raw: one SELECT of the snapshot and the tail; deserialize, restore, apply.</summary>
    /// <returns>The balance.</returns>
    [Benchmark(Baseline = true)]
    public async Task<decimal> RawNpgsql() => (await _raw.LoadFromSnapshotAsync(StreamId)).Balance;

    /// <summary>Raw reading every column of our envelope (the alternating run's decomposition, not a BenchmarkDotNet case).</summary>
    /// <returns>The balance.</returns>
    internal async Task<decimal> RawEnvelope() => (await _raw.LoadFromSnapshotEnvelopeAsync(StreamId)).Balance;

    /// <summary>Marten: <c>FetchLatest</c> (its snapshot document plus the events after it).</summary>
    /// <returns>The balance.</returns>
    [Benchmark]
    public async Task<decimal> Marten() => (await _marten.FetchLatestAsync(StreamId))!.Balance;
}
