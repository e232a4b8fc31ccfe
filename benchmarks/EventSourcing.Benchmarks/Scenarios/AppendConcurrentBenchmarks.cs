using BenchmarkDotNet.Attributes;
using EventSourcing.Benchmarks.Domain;
using EventSourcing.Benchmarks.Infrastructure;
using EventSourcing.Benchmarks.Systems;
using EventSourcing.InMemory;

namespace EventSourcing.Benchmarks.Scenarios;

/// <summary>
/// Eight concurrent writers, each appending one event to a new stream per call, 16 calls each per
/// invocation. Times are per append (OperationsPerInvoke), so 1 / time is the aggregate throughput.
/// </summary>
[MemoryDiagnoser]
public class AppendConcurrentBenchmarks
{
    /// <summary>Appends per invocation: 8 writers × 16.</summary>
    public const int Operations = 8 * PerWriter;

    private const int PerWriter = 16;
    private readonly object _event = EventFactory.Create("acct-new", 1);
    private readonly StreamIds _ids = new();
    private InMemoryEventStore _memory = null!;
    private int _memoryInvocations;
    private OursSystem _ours = null!;
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

    /// <summary>The in-memory store (replaced every 1,000 invocations so memory stays bounded).</summary>
    /// <returns>A task.</returns>
    [Benchmark(OperationsPerInvoke = Operations)]
    public Task InMemory()
    {
        if (++_memoryInvocations % 1_000 == 0)
        {
            _memory = new InMemoryEventStore(Fixture.Registry);
        }

        var store = _memory;
        return Writers.RunAsync(async () =>
        {
            for (var i = 0; i < PerWriter; i++)
            {
                await store.AppendAsync(StreamId.From(_ids.Next()), ExpectedVersion.NoStream, [new EventData(_event)]);
            }
        });
    }

    /// <summary>Our PostgreSQL store.</summary>
    /// <returns>A task.</returns>
    [Benchmark(OperationsPerInvoke = Operations)]
    public Task Ours() => Writers.RunAsync(async () =>
    {
        for (var i = 0; i < PerWriter; i++)
        {
            await _ours.Store.AppendAsync(StreamId.From(_ids.Next()), ExpectedVersion.NoStream, [new EventData(_event)]);
        }
    });

    /// <summary>Raw INSERTs.</summary>
    /// <returns>A task.</returns>
    [Benchmark(Baseline = true, OperationsPerInvoke = Operations)]
    public Task RawNpgsql() => Writers.RunAsync(async () =>
    {
        for (var i = 0; i < PerWriter; i++)
        {
            await _raw.TryAppendAsync(_ids.Next(), 1, _event);
        }
    });

    /// <summary>Marten, default configuration.</summary>
    /// <returns>A task.</returns>
    [Benchmark(OperationsPerInvoke = Operations)]
    public Task Marten() => Writers.RunAsync(async () =>
    {
        for (var i = 0; i < PerWriter; i++)
        {
            await _marten.StartStreamAsync(_ids.Next(), _event);
        }
    });

    /// <summary>Marten, Quick append mode.</summary>
    /// <returns>A task.</returns>
    [Benchmark(OperationsPerInvoke = Operations)]
    public Task MartenQuick() => Writers.RunAsync(async () =>
    {
        for (var i = 0; i < PerWriter; i++)
        {
            await _martenQuick.StartStreamAsync(_ids.Next(), _event);
        }
    });
}
