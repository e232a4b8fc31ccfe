using BenchmarkDotNet.Attributes;
using EventSourcing.Aggregates;
using EventSourcing.Benchmarks.Domain;
using EventSourcing.Benchmarks.Infrastructure;
using EventSourcing.Benchmarks.Systems;

namespace EventSourcing.Benchmarks.Scenarios;

/// <summary>
/// Loads an aggregate from its snapshot plus the tail: a 10,000-event stream whose snapshot is 50
/// events behind. Marten: its stored aggregate document, then AggregateStreamAsync from the next version.
/// </summary>
[MemoryDiagnoser]
public class SnapshotLoadBenchmarks
{
    private AggregateRepository<Account> _memory = null!;
    private OursSystem _ours = null!;
    private RawSystem _raw = null!;
    private MartenSystem _marten = null!;

    private static int Length => BenchSettings.SnapshotStreamLength;

    private static long SnapshotAt => Length - BenchSettings.SnapshotTail;

    private static string StreamId => $"snap-{Length}";

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
        await Datasets.EnsureStreamAsync(StreamId, Length, SnapshotAt);
        _ours = await Fixture.OursReadAsync();
    }

    /// <summary>Seeds (all systems) and prepares raw Npgsql.</summary>
    /// <returns>A task.</returns>
    [GlobalSetup(Target = nameof(RawNpgsql))]
    public async Task SetupRawAsync()
    {
        await Datasets.EnsureStreamAsync(StreamId, Length, SnapshotAt);
        _raw = await Fixture.RawReadAsync();
    }

    /// <summary>Seeds (all systems) and prepares Marten.</summary>
    /// <returns>A task.</returns>
    [GlobalSetup(Target = nameof(Marten))]
    public async Task SetupMartenAsync()
    {
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

    /// <summary>Raw: SELECT the snapshot, then SELECT the tail; deserialize, restore, apply.</summary>
    /// <returns>The balance.</returns>
    [Benchmark(Baseline = true)]
    public async Task<decimal> RawNpgsql() => (await _raw.LoadFromSnapshotAsync(StreamId)).Balance;

    /// <summary>Marten: the snapshot document, then the tail.</summary>
    /// <returns>The balance.</returns>
    [Benchmark]
    public async Task<decimal> Marten() => (await _marten.LoadFromSnapshotAsync(StreamId))!.Balance;
}
