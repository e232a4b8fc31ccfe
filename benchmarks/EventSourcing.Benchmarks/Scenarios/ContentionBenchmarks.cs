using BenchmarkDotNet.Attributes;
using EventSourcing.Benchmarks.Domain;
using EventSourcing.Benchmarks.Infrastructure;
using EventSourcing.Benchmarks.Systems;
using EventSourcing.InMemory;

namespace EventSourcing.Benchmarks.Scenarios;

/// <summary>
/// Eight writers contend on one stream: each reads the stream's version, appends one event expecting
/// exactly that version, and on a conflict reads again and retries, until it has 8 successful appends
/// (64 per invocation, each invocation on a new stream). Times are per successful append; conflicts
/// are counted and written to <c>contention-conflicts.csv</c> at cleanup.
/// </summary>
[MemoryDiagnoser]
public class ContentionBenchmarks
{
    /// <summary>Successful appends per invocation.</summary>
    public const int Operations = 8 * PerWriter;

    private const int PerWriter = 8;
    private readonly object _event = new MoneyDeposited("acct-hot", 10m, "ref-hot", EventFactory.Epoch);
    private readonly StreamIds _ids = new();
    private InMemoryEventStore _memory = null!;
    private OursSystem _ours = null!;
    private RawSystem _raw = null!;
    private MartenSystem _marten = null!;
    private MartenSystem _martenQuick = null!;
    private long _successes;
    private long _conflicts;

    /// <summary>Prepares the in-memory store.</summary>
    [GlobalSetup(Target = nameof(InMemory))]
    public void SetupInMemory() => _memory = new InMemoryEventStore(Fixture.Registry);

    /// <summary>Prepares our store.</summary>
    /// <returns>A task.</returns>
    [GlobalSetup(Target = nameof(Ours))]
    public async Task SetupOursAsync() => _ours = await Fixture.OursWriteAsync();

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

    /// <summary>Records the conflicts of the in-memory case.</summary>
    [GlobalCleanup(Target = nameof(InMemory))]
    public void CleanupInMemory()
    {
        Record(nameof(InMemory));
        _memory = null!;
    }

    /// <summary>Records the conflicts of our store's case.</summary>
    [GlobalCleanup(Target = nameof(Ours))]
    public void CleanupOurs() => Record(nameof(Ours));

    /// <summary>Records the conflicts of raw Npgsql's case.</summary>
    [GlobalCleanup(Target = nameof(RawNpgsql))]
    public void CleanupRaw() => Record(nameof(RawNpgsql));

    /// <summary>Records the conflicts of Marten's case.</summary>
    [GlobalCleanup(Target = nameof(Marten))]
    public void CleanupMarten() => Record(nameof(Marten));

    /// <summary>Records the conflicts of Marten Quick's case.</summary>
    [GlobalCleanup(Target = nameof(MartenQuick))]
    public void CleanupMartenQuick() => Record(nameof(MartenQuick));

    /// <summary>The in-memory store.</summary>
    /// <returns>A task.</returns>
    [Benchmark(OperationsPerInvoke = Operations)]
    public Task InMemory() => ContendAsync(
        id => _memory.GetStreamVersionAsync(StreamId.From(id)).AsTask(),
        (id, version) => TryOursAsync(_memory, id, version));

    /// <summary>Our PostgreSQL store.</summary>
    /// <returns>A task.</returns>
    [Benchmark(OperationsPerInvoke = Operations)]
    public Task Ours() => ContendAsync(
        id => _ours.Store.GetStreamVersionAsync(StreamId.From(id)).AsTask(),
        (id, version) => TryOursAsync(_ours.Store, id, version));

    /// <summary>Raw Npgsql: SELECT max(version), INSERT version + 1, a unique violation is the conflict.</summary>
    /// <returns>A task.</returns>
    [Benchmark(Baseline = true, OperationsPerInvoke = Operations)]
    public Task RawNpgsql() => ContendAsync(_raw.GetVersionAsync, (id, version) => _raw.TryAppendAsync(id, version + 1, _event));

    /// <summary>Marten, default configuration.</summary>
    /// <returns>A task.</returns>
    [Benchmark(OperationsPerInvoke = Operations)]
    public Task Marten() => ContendAsync(_marten.GetVersionAsync, (id, version) => _marten.TryAppendAsync(id, version + 1, _event));

    /// <summary>Marten, Quick append mode.</summary>
    /// <returns>A task.</returns>
    [Benchmark(OperationsPerInvoke = Operations)]
    public Task MartenQuick() => ContendAsync(_martenQuick.GetVersionAsync, (id, version) => _martenQuick.TryAppendAsync(id, version + 1, _event));

    private void Record(string method)
    {
        BenchSettings.AppendSideResult("contention-conflicts.csv", "Method,SuccessfulAppends,Conflicts,ConflictsPerSuccess", method, _successes, _conflicts, _successes == 0 ? 0 : Math.Round((double)_conflicts / _successes, 3));
        _successes = 0;
        _conflicts = 0;
    }

    private async Task<bool> TryOursAsync(EventSourcing.Storage.IEventStore store, string id, long version)
    {
        try
        {
            await store.AppendAsync(StreamId.From(id), ExpectedVersion.Exactly(version), [new EventData(_event)]);
            return true;
        }
        catch (WrongExpectedVersionException)
        {
            return false;
        }
    }

    private async Task ContendAsync(Func<string, Task<long>> readVersion, Func<string, long, Task<bool>> tryAppend)
    {
        var id = _ids.Next();
        await Writers.RunAsync(async () =>
        {
            for (var done = 0; done < PerWriter;)
            {
                var version = await readVersion(id);
                if (await tryAppend(id, version))
                {
                    done++;
                }
                else
                {
                    Interlocked.Increment(ref _conflicts);
                }
            }
        });
        Interlocked.Add(ref _successes, Operations);
    }
}
