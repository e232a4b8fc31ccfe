using BenchmarkDotNet.Attributes;
using EventSourcing.Benchmarks.Infrastructure;
using EventSourcing.Benchmarks.Systems;

namespace EventSourcing.Benchmarks.Scenarios;

/// <summary>
/// Rebuilds a per-account balance read model from the 200,000-event global log: truncate, read
/// everything in order, fold, upsert the changed balances every 10,000 events. Ours (the store's
/// ReadAllAsync) and raw (one SELECT) do the same fold and upserts (<see cref="BalanceFolder"/>), so they
/// differ only in how they read the log. Marten rebuilds an equivalent single-stream projection with its
/// projection daemon. The library's own rebuild (the Core projection daemon) is
/// <see cref="RebuildWithDaemonBenchmarks"/>.
/// </summary>
[MemoryDiagnoser]
public class RebuildProjectionBenchmarks
{
    private OursSystem _ours = null!;
    private RawSystem _raw = null!;
    private MartenSystem _marten = null!;
    private BalanceFolder _oursFolder = null!;
    private BalanceFolder _rawFolder = null!;

    /// <summary>Seeds the log and prepares our store.</summary>
    /// <returns>A task.</returns>
    [GlobalSetup(Target = nameof(Ours))]
    public async Task SetupOursAsync()
    {
        await Datasets.EnsureLogAsync();
        _ours = await Fixture.OursLogAsync();
        _oursFolder = new BalanceFolder(Databases.OursDataSource);
        Datasets.CheckLogCount(await Ours());
    }

    /// <summary>Seeds the log and prepares raw Npgsql.</summary>
    /// <returns>A task.</returns>
    [GlobalSetup(Target = nameof(RawNpgsql))]
    public async Task SetupRawAsync()
    {
        await Datasets.EnsureLogAsync();
        _raw = await Fixture.RawLogAsync();
        _rawFolder = new BalanceFolder(Databases.RawDataSource);
        Datasets.CheckLogCount(await RawNpgsql());
    }

    /// <summary>Seeds the log and prepares Marten.</summary>
    /// <returns>A task.</returns>
    [GlobalSetup(Target = nameof(Marten))]
    public async Task SetupMartenAsync()
    {
        await Datasets.EnsureLogAsync();
        _marten = await Fixture.MartenLogAsync();
    }

    /// <summary>Our store's ReadAllAsync from the start, then raw's fold and batched upserts.</summary>
    /// <returns>The events folded.</returns>
    [Benchmark]
    public Task<long> Ours() => OursSystem.RebuildAsync(_ours.Store, _oursFolder);

    /// <summary>Raw: one gap-safe SELECT, fold, batched upsert.</summary>
    /// <returns>The events folded.</returns>
    [Benchmark(Baseline = true)]
    public Task<long> RawNpgsql() => _raw.RebuildAsync(_rawFolder);

    /// <summary>Marten's daemon rebuilding the equivalent single-stream projection.</summary>
    /// <returns>A task.</returns>
    [Benchmark]
    public Task Marten() => _marten.RebuildAsync();
}
