using BenchmarkDotNet.Attributes;
using EventSourcing.Aggregates;
using EventSourcing.Benchmarks.Domain;
using EventSourcing.Benchmarks.Infrastructure;

namespace EventSourcing.Benchmarks.Scenarios;

/// <summary>The backends of the load-vs-length curve.</summary>
public enum Backend
{
    /// <summary>The in-memory store.</summary>
    InMemory,

    /// <summary>Our PostgreSQL store.</summary>
    Postgres,
}

/// <summary>
/// Aggregate load time against stream length (issue 5), without and with snapshots taken every 100
/// events (the newest snapshot is at the last multiple of 100, as the policy leaves it), on both
/// backends. The chart in results/ is drawn from this class's CSV by report.py.
/// </summary>
[MemoryDiagnoser]
public class LoadCurveBenchmarks
{
    private AggregateRepository<Account> _repository = null!;

    /// <summary>The backend.</summary>
    [ParamsAllValues]
    public Backend Backend { get; set; }

    /// <summary>Events in the stream.</summary>
    [ParamsSource(nameof(Lengths))]
    public int Length { get; set; }

    /// <summary>Whether the repository uses the snapshot store.</summary>
    [ParamsAllValues]
    public bool Snapshots { get; set; }

    /// <summary>The lengths of this run mode.</summary>
    public static IEnumerable<int> Lengths => BenchSettings.CurveLengths;

    private string StreamId => $"curve-{Length}";

    private long SnapshotAt => Length / BenchSettings.SnapshotEvery * BenchSettings.SnapshotEvery;

    /// <summary>Seeds the stream and its snapshot on the chosen backend.</summary>
    /// <returns>A task.</returns>
    [GlobalSetup]
    public async Task SetupAsync()
    {
        if (Backend == Backend.InMemory)
        {
            var (store, snapshots) = await Fixture.CreateInMemoryAsync((s, snaps) => Datasets.SeedInMemoryAsync(s, snaps, StreamId, Length, SnapshotAt));
            _repository = new AggregateRepository<Account>(store, Fixture.Registry, Snapshots ? snapshots : null);
        }
        else
        {
            await Datasets.EnsureStreamAsync(StreamId, Length, SnapshotAt, rawAndMarten: false);
            var ours = await Fixture.OursReadAsync();
            _repository = Snapshots ? ours.SnapshotRepository : ours.Repository;
        }
    }

    /// <summary>Drops the in-memory data set.</summary>
    [GlobalCleanup]
    public void Cleanup() => _repository = null!;

    /// <summary>Loads the aggregate.</summary>
    /// <returns>The balance.</returns>
    [Benchmark]
    public async Task<decimal> Load() => (await _repository.LoadAsync(EventSourcing.StreamId.From(StreamId))).Balance;
}
