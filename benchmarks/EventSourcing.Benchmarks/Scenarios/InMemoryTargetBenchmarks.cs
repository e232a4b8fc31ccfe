using BenchmarkDotNet.Attributes;
using EventSourcing.Aggregates;
using EventSourcing.Benchmarks.Domain;
using EventSourcing.Benchmarks.Infrastructure;
using EventSourcing.InMemory;

namespace EventSourcing.Benchmarks.Scenarios;

/// <summary>
/// The in-memory store's own targets (issue 2): appended events per second in batches of 100, and
/// replayed events per second into an aggregate. Times are per event (OperationsPerInvoke).
/// </summary>
[MemoryDiagnoser]
public class InMemoryTargetBenchmarks
{
    /// <summary>Events per invocation.</summary>
    public const int Events = 100_000;

    private const int Batch = 100;
    private string[] _streamIds = null!;
    private EventData[][] _batches = null!;
    private AggregateRepository<Account> _repository = null!;

    /// <summary>Prepares 1,000 batches of 100 events (wrapped once; each invocation appends them to a fresh store).</summary>
    [GlobalSetup(Target = nameof(AppendInBatchesOf100))]
    public void SetupAppend()
    {
        _streamIds = new string[Events / Batch];
        _batches = new EventData[Events / Batch][];
        for (var s = 0; s < _batches.Length; s++)
        {
            _streamIds[s] = Datasets.LogAccount(s);
            _batches[s] = new EventData[Batch];
            for (var i = 0; i < Batch; i++)
            {
                _batches[s][i] = new EventData(EventFactory.Create(_streamIds[s], i + 1));
            }
        }
    }

    /// <summary>Seeds a 100,000-event stream.</summary>
    /// <returns>A task.</returns>
    [GlobalSetup(Target = nameof(ReplayIntoAggregate))]
    public async Task SetupReplayAsync()
    {
        var (store, _) = await Fixture.CreateInMemoryAsync((s, snaps) => Datasets.SeedInMemoryAsync(s, snaps, "replay", Events, 0));
        _repository = new AggregateRepository<Account>(store, Fixture.Registry);
    }

    /// <summary>Drops the data sets.</summary>
    [GlobalCleanup]
    public void Cleanup()
    {
        _batches = null!;
        _repository = null!;
    }

    /// <summary>Appends 100,000 events as 1,000 appends of 100 to a fresh store (its growth included).</summary>
    /// <returns>A task.</returns>
    [Benchmark(OperationsPerInvoke = Events)]
    public async Task AppendInBatchesOf100()
    {
        var store = new InMemoryEventStore(Fixture.Registry);
        for (var s = 0; s < _batches.Length; s++)
        {
            await store.AppendAsync(StreamId.From(_streamIds[s]), ExpectedVersion.NoStream, _batches[s]);
        }
    }

    /// <summary>Loads a 100,000-event aggregate through the repository.</summary>
    /// <returns>The balance.</returns>
    [Benchmark(OperationsPerInvoke = Events)]
    public async Task<decimal> ReplayIntoAggregate() => (await _repository.LoadAsync(StreamId.From("replay"))).Balance;
}
