using BenchmarkDotNet.Attributes;
using EventSourcing.Benchmarks.Infrastructure;
using EventSourcing.Benchmarks.Systems;
using EventSourcing.Projections;

namespace EventSourcing.Benchmarks.Scenarios;

/// <summary>
/// The library's rebuild of the balance read model over the 200,000-event log: the Core
/// <see cref="ProjectionDaemon"/> on the PostgreSQL projection store, building a shadow table and
/// swapping it in. Its projection API hands the projection one event at a time inside the batch's
/// transaction, so <see cref="BalanceProjection"/> upserts once per event. Compared in the summary with
/// raw Npgsql and Marten from <see cref="RebuildProjectionBenchmarks"/>. A single rebuild takes seconds,
/// so BenchmarkDotNet's first (jitting) invocation is the warmup.
/// </summary>
[MemoryDiagnoser]
[WarmupCount(0)]
public class RebuildWithDaemonBenchmarks
{
    private ProjectionDaemon _daemon = null!;

    /// <summary>Seeds the log and prepares the projection daemon.</summary>
    /// <returns>A task.</returns>
    [GlobalSetup]
    public async Task SetupAsync()
    {
        await Datasets.EnsureLogAsync();
        _daemon = (await Fixture.OursLogAsync()).CreateBalanceDaemon();
    }

    /// <summary>Vacuums away the dead rows of the per-event upserts, so the next scenarios do not meet autovacuum.</summary>
    /// <returns>A task.</returns>
    [GlobalCleanup]
    public async Task CleanupAsync()
    {
        await using var command = Databases.OursDataSource.CreateCommand("vacuum (analyze)");
        await command.ExecuteNonQueryAsync();
        await _daemon.DisposeAsync();
    }

    /// <summary>ProjectionDaemon.RebuildAsync: shadow table, catch up, swap.</summary>
    /// <returns>The events read.</returns>
    [Benchmark]
    public Task<long> Ours() => _daemon.RebuildAsync("balances");
}
