using BenchmarkDotNet.Attributes;
using EventSourcing.Benchmarks.Infrastructure;
using EventSourcing.Benchmarks.Systems;
using EventSourcing.Projections;

namespace EventSourcing.Benchmarks.Scenarios;

/// <summary>
/// The library's rebuild of the balance read model over the 200,000-event log, through the Core
/// <see cref="ProjectionDaemon"/> on PostgreSQL with default options: <see cref="Ours"/> is what a user
/// writes, the <see cref="BalanceView"/> document view (JSONB documents, a shadow collection swapped in);
/// <see cref="OursHandwritten"/> is the low-level seam, <see cref="BalanceProjection"/> (its own SQL
/// table, one batched upsert per batch). Compared in the summary with raw Npgsql and Marten from
/// <see cref="RebuildProjectionBenchmarks"/>. A single rebuild takes seconds, so BenchmarkDotNet's first
/// (jitting) invocation is the warmup.
/// </summary>
[MemoryDiagnoser]
[WarmupCount(0)]
public class RebuildWithDaemonBenchmarks
{
    private OursViewSystem? _view;
    private ProjectionDaemon? _handwritten;

    /// <summary>Seeds the log and prepares the view's container.</summary>
    /// <returns>A task.</returns>
    [GlobalSetup(Target = nameof(Ours))]
    public async Task SetupOursAsync()
    {
        await Datasets.EnsureLogAsync();
        _view = await Fixture.OursViewLogAsync();
    }

    /// <summary>Seeds the log and prepares the projection daemon of the hand-written projection.</summary>
    /// <returns>A task.</returns>
    [GlobalSetup(Target = nameof(OursHandwritten))]
    public async Task SetupHandwrittenAsync()
    {
        await Datasets.EnsureLogAsync();
        _handwritten = (await Fixture.OursLogAsync()).CreateBalanceDaemon();
    }

    /// <summary>Vacuums away the dead rows of the rebuilds' upserts, so the next scenarios do not meet autovacuum.</summary>
    /// <returns>A task.</returns>
    [GlobalCleanup]
    public async Task CleanupAsync()
    {
        await using var command = Databases.OursDataSource.CreateCommand("vacuum (analyze)");
        await command.ExecuteNonQueryAsync();
        if (_handwritten is not null)
        {
            await _handwritten.DisposeAsync();
        }
    }

    /// <summary>ProjectionDaemon.RebuildAsync of the document view: shadow collection, catch up, swap.</summary>
    /// <returns>The events read.</returns>
    [Benchmark]
    public Task<long> Ours() => _view!.Daemon.RebuildAsync(BalanceView.ViewName);

    /// <summary>ProjectionDaemon.RebuildAsync of the hand-written SQL projection: shadow table, catch up, swap.</summary>
    /// <returns>The events read.</returns>
    [Benchmark]
    public Task<long> OursHandwritten() => _handwritten!.RebuildAsync("balances");
}
