using System.Diagnostics;
using System.Diagnostics.Metrics;
using BenchmarkDotNet.Attributes;
using EventSourcing.Aggregates;
using EventSourcing.Benchmarks.Domain;
using EventSourcing.Benchmarks.Infrastructure;
using EventSourcing.Benchmarks.Systems;
using EventSourcing.InMemory;
using EventSourcing.Serialization;

namespace EventSourcing.Benchmarks.Scenarios;

/// <summary>
/// What tracing and metrics cost: the same append and load with nobody listening, and with a listener that
/// samples every activity of the library's sources (all data, all tags) and records every measurement of
/// its meters. The in-memory store shows the instrumentation's own cost (no I/O to hide it); PostgreSQL
/// shows what an application sees.
/// </summary>
[MemoryDiagnoser]
public class TelemetryOverheadBenchmarks
{
    private readonly object _event = EventFactory.Create("acct-new", 1);
    private readonly StreamIds _ids = new();
    private InMemoryEventStore _memory = null!;
    private AggregateRepository<Account> _memoryRepository = null!;
    private OursSystem _ours = null!;
    private int _memoryStreams;
    private ActivityListener? _activities;
    private MeterListener? _meters;
    private long _recorded;

    // The same guard the stores run, on a source and meter nobody listens to (whatever Listening says): the
    // whole of what the instrumentation adds to an append or a load while nobody listens.
    private static readonly ActivitySource GuardSource = new("TelemetryOverhead.Guard");
    private static readonly Meter GuardMeter = new("TelemetryOverhead.Guard");
    private static readonly StoreInstruments Guard = new(GuardSource, GuardMeter, "memory");

    /// <summary>Whether a listener records everything the library emits.</summary>
    [Params(false, true)]
    public bool Listening { get; set; }

    private static int LoadLength => BenchSettings.IsSmoke ? 100 : 1_000;

    private string LoadStream => $"telemetry-load-{LoadLength}";

    /// <summary>Seeds the in-memory store and starts the listeners when asked.</summary>
    /// <returns>A task.</returns>
    [GlobalSetup(Targets = [nameof(InMemoryAppend), nameof(InMemoryLoad)])]
    public async Task SetupInMemoryAsync()
    {
        var (store, _) = await Fixture.CreateInMemoryAsync((s, snaps) => Datasets.SeedInMemoryAsync(s, snaps, LoadStream, LoadLength, 0));
        _memory = store;
        _memoryRepository = new AggregateRepository<Account>(store, Fixture.Registry);
        Listen();
    }

    /// <summary>Seeds PostgreSQL and starts the listeners when asked.</summary>
    /// <returns>A task.</returns>
    [GlobalSetup(Targets = [nameof(PostgresAppend), nameof(PostgresLoad)])]
    public async Task SetupOursAsync()
    {
        await Datasets.EnsureStreamAsync(LoadStream, LoadLength, 0);
        _ours = await Fixture.OursReadAsync();
        Listen();

        // Warm the server's and the pool's caches before the first measured case, whichever it is: without
        // this the first params case (Listening = false) paid for them and looked slower than the second.
        for (var i = 0; i < 20; i++)
        {
            await PostgresLoad();
            await PostgresAppend();
        }
    }

    /// <summary>Stops the listeners.</summary>
    [GlobalCleanup]
    public void Cleanup()
    {
        _activities?.Dispose();
        _meters?.Dispose();
        _activities = null;
        _meters = null;
        _memory = null!;
        _memoryRepository = null!;
    }

    /// <summary>One event to a new stream, in memory.</summary>
    /// <returns>The result.</returns>
    [Benchmark]
    public ValueTask<AppendResult> InMemoryAppend()
    {
        if (++_memoryStreams % 100_000 == 0)
        {
            _memory = new InMemoryEventStore(Fixture.Registry);
        }

        return _memory.AppendAsync(StreamId.From(_ids.Next()), ExpectedVersion.NoStream, [new EventData(_event)]);
    }

    /// <summary>Loads an aggregate of 1,000 events through the repository, in memory.</summary>
    /// <returns>The balance.</returns>
    [Benchmark]
    public async Task<decimal> InMemoryLoad() => (await _memoryRepository.LoadAsync(StreamId.From(LoadStream))).Balance;

    /// <summary>
    /// What instrumentation costs an append or a load while nobody listens: the guard that picks the
    /// uninstrumented path (<see cref="StoreInstruments.IsObserved"/>; a load checks the same kind of flags) and
    /// the metadata's trace check (no current activity: nothing added). Compare it with the operations' times.
    /// </summary>
    /// <returns>Whether anything would be recorded (false).</returns>
    [Benchmark]
    public bool NoListenerGuard() => Guard.IsObserved || MetadataJson.Serialize(EventMetadata.Empty) is not null;

    /// <summary>One event to a new stream on PostgreSQL.</summary>
    /// <returns>The result.</returns>
    [Benchmark]
    public ValueTask<AppendResult> PostgresAppend() => _ours.Store.AppendAsync(StreamId.From(_ids.Next()), ExpectedVersion.NoStream, [new EventData(_event)]);

    /// <summary>Loads an aggregate of 1,000 events through the repository on PostgreSQL.</summary>
    /// <returns>The balance.</returns>
    [Benchmark]
    public async Task<decimal> PostgresLoad() => (await _ours.Repository.LoadAsync(StreamId.From(LoadStream))).Balance;

    /// <summary>
    /// The scenarios of the alternating run (<c>--alternate --only Telemetry</c>): each operation, the listener
    /// switched on and off between slices (<see cref="SetListening"/>). In-memory appends run 100 per call.
    /// </summary>
    /// <returns>(name, setup, call, operations per call, the instance to switch).</returns>
    public static IEnumerable<(string Name, Func<Task> Setup, Func<Task> Call, int Ops, TelemetryOverheadBenchmarks Bench)> AlternatingScenarios()
    {
        var memory = new TelemetryOverheadBenchmarks();
        yield return ("TelemetryInMemoryAppend", memory.SetupInMemoryAsync, async () =>
        {
            for (var i = 0; i < 100; i++)
            {
                await memory.InMemoryAppend();
            }
        }, 100, memory);
        yield return ("TelemetryInMemoryLoad", memory.SetupInMemoryAsync, () => memory.InMemoryLoad(), 1, memory);
        var postgres = new TelemetryOverheadBenchmarks();
        yield return ("TelemetryPostgresAppend", postgres.SetupOursAsync, async () => await postgres.PostgresAppend(), 1, postgres);
        yield return ("TelemetryPostgresLoad", postgres.SetupOursAsync, () => postgres.PostgresLoad(), 1, postgres);
    }

    /// <summary>Starts or stops the listener that records everything.</summary>
    /// <param name="on">True to listen.</param>
    public void SetListening(bool on)
    {
        if (on)
        {
            Listening = true;
            Listen();
            return;
        }

        _activities?.Dispose();
        _meters?.Dispose();
        _activities = null;
        _meters = null;
        Listening = false;
    }

    private void Listen()
    {
        if (!Listening || _activities is not null)
        {
            return;
        }

        _activities = new ActivityListener
        {
            ShouldListenTo = source => source.Name.StartsWith("EventSourcing", StringComparison.Ordinal),
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = activity => Interlocked.Add(ref _recorded, activity.TagObjects.Count()),
        };
        ActivitySource.AddActivityListener(_activities);

        _meters = new MeterListener
        {
            InstrumentPublished = (instrument, listener) =>
            {
                if (instrument.Meter.Name.StartsWith("EventSourcing", StringComparison.Ordinal))
                {
                    listener.EnableMeasurementEvents(instrument);
                }
            },
        };
        _meters.SetMeasurementEventCallback<long>((_, value, _, _) => Interlocked.Add(ref _recorded, value));
        _meters.SetMeasurementEventCallback<double>((_, value, _, _) => Interlocked.Increment(ref _recorded));
        _meters.SetMeasurementEventCallback<int>((_, value, _, _) => Interlocked.Add(ref _recorded, value));
        _meters.Start();
    }
}
