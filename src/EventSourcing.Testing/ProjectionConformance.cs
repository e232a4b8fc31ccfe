using EventSourcing.Projections;
using EventSourcing.Serialization;
using EventSourcing.Storage;
using Xunit;

namespace EventSourcing.Testing;

/// <summary>Inline and async projections, the daemon, rebuilds and failure policies over a backend.</summary>
public abstract partial class ProjectionConformance
{
    /// <summary>Creates an EMPTY event store (no events from other tests) with these inline projections, and its projection store.</summary>
    protected abstract ValueTask<(IEventStore Events, IProjectionStore Projections)> CreateBackendAsync(EventTypeRegistry registry, IReadOnlyList<IProjection> inlineProjections);

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static ProjectionOptions Fast(ProjectionFailurePolicy policy = ProjectionFailurePolicy.Stop, int batch = 100) => new()
    {
        BatchSize = batch,
        PollInterval = TimeSpan.FromMilliseconds(50),
        RetryBackoff = TimeSpan.FromMilliseconds(5),
        MaxRetries = 2,
        StoreErrorBackoff = TimeSpan.FromMilliseconds(50),
        OnFailure = policy,
    };

    private static async Task<Appended> AppendSomeAsync(IEventStore store, StreamId[] streams, int perStream, int startAmount = 1)
    {
        var expected = new Appended();
        foreach (var stream in streams)
        {
            var version = await store.GetStreamVersionAsync(stream, Ct);
            var events = TestData.Increments(perStream, startAmount);
            var result = await store.AppendAsync(stream, ExpectedVersion.Exactly(version), events, Ct);
            expected.Last = result.Position > expected.Last ? result.Position : expected.Last;
        }

        foreach (var stream in streams)
        {
            long total = 0;
            await foreach (var e in store.ReadStreamAsync(stream, cancellationToken: Ct))
            {
                total += ((Incremented)e.Event).By;
            }

            expected[stream] = total;
        }

        return expected;
    }


    /// <summary>
    /// Each stream's expected total, and the position of the last event appended. Waits use that
    /// position (an append's result), never the head of a read of the log: a gap-safe read (PostgreSQL)
    /// does not pass a transaction still open anywhere in the cluster, so right after the appends it can
    /// end before the last of them, and a wait for it returns before that event is projected.
    /// </summary>
    private sealed class Appended : Dictionary<StreamId, long>
    {
        public GlobalPosition Last { get; set; } = GlobalPosition.Start;
    }

    private static StreamId[] Streams(int count) => Enumerable.Range(0, count).Select(i => TestData.NewStream($"p{i}")).ToArray();

    [Fact]
    public async Task An_async_projection_catches_up_then_follows_live_in_global_order()
    {
        var (events, projections) = await CreateBackendAsync(TestData.NewRegistry(), []);
        var streams = Streams(3);
        await AppendSomeAsync(events, streams, 40);
        var notes = await events.AppendAsync(TestData.NewStream("notes"), ExpectedVersion.NoStream, [new EventData(new Noted("not for totals"))], Ct);
        var projection = new TotalsProjection("totals");
        await using var daemon = new ProjectionDaemon(events, projections, [projection], Fast(batch: 25));
        await daemon.StartAsync(Ct);

        await daemon.WaitForPositionAsync("totals", notes.Position, Ct);
        var expected = await AppendSomeAsync(events, streams, 5, 100);
        await daemon.WaitForPositionAsync("totals", expected.Last, Ct);

        foreach (var (stream, total) in expected)
        {
            Assert.Equal(total, projection.TotalOf(stream));
            Assert.Equal(45, projection.VersionOf(stream));
        }

        var positions = projection.Positions.ToArray();
        Assert.Equal(135, positions.Length);
        for (var i = 1; i < positions.Length; i++)
        {
            Assert.True(positions[i - 1] < positions[i]);
        }

        Assert.Equal(ProjectionState.Live, daemon.GetStatus("totals").State);
        Assert.Equal(135, daemon.GetStatus("totals").EventsProjected);
    }

    [Fact]
    public async Task A_daemon_stopped_in_the_middle_of_a_batch_resumes_from_its_checkpoint_and_ends_equal_to_a_full_replay()
    {
        var (events, projections) = await CreateBackendAsync(TestData.NewRegistry(), []);
        var streams = Streams(4);
        var expected = await AppendSomeAsync(events, streams, 50);
        var projection = new TotalsProjection("resume");
        using var blocked = new SemaphoreSlim(0);
        var delivered = 0;
        projection.BeforeApply = async (_, ct) =>
        {
            if (Interlocked.Increment(ref delivered) == 120)
            {
                blocked.Release();
                await Task.Delay(Timeout.Infinite, ct);
            }
        };

        var first = new ProjectionDaemon(events, projections, [projection], Fast(batch: 50));
        await first.StartAsync(Ct);
        Assert.True(await blocked.WaitAsync(TimeSpan.FromSeconds(30), Ct));
        var checkpointBeforeStop = first.GetStatus("resume").Checkpoint;
        await first.StopAsync(Ct);
        Assert.True(projection.Applied < 200);

        projection.BeforeApply = null;
        await using var second = new ProjectionDaemon(events, projections, [projection], Fast(batch: 50));
        await second.StartAsync(Ct);
        await second.WaitForPositionAsync("resume", expected.Last, Ct);

        Assert.NotNull(checkpointBeforeStop);
        foreach (var (stream, total) in expected)
        {
            Assert.Equal(total, projection.TotalOf(stream));
            Assert.Equal(50, projection.VersionOf(stream));
        }

        Assert.Equal(200, projection.Applied);
    }

    [Fact]
    public async Task Two_daemons_never_run_one_projection_at_once_and_the_standby_takes_over()
    {
        var (events, projections) = await CreateBackendAsync(TestData.NewRegistry(), []);
        var streams = Streams(2);
        await AppendSomeAsync(events, streams, 100);
        var projection = new TotalsProjection("single");
        projection.BeforeApply = (_, _) => Task.Delay(1, Ct);
        var a = new ProjectionDaemon(events, projections, [projection], Fast(batch: 20));
        var b = new ProjectionDaemon(events, projections, [projection], Fast(batch: 20));
        await a.StartAsync(Ct);
        await b.StartAsync(Ct);
        await WaitUntilAsync(() => a.GetStatus("single").State == ProjectionState.Live || b.GetStatus("single").State == ProjectionState.Live);
        var (active, standby) = a.GetStatus("single").State == ProjectionState.Live ? (a, b) : (b, a);
        await WaitUntilAsync(() => standby.GetStatus("single").State == ProjectionState.Standby);

        await active.StopAsync(Ct);
        var expected = await AppendSomeAsync(events, streams, 10);
        await standby.WaitForPositionAsync("single", expected.Last, Ct);
        await standby.StopAsync(Ct);

        Assert.Equal(1, projection.MaxConcurrency);
        foreach (var (stream, total) in expected)
        {
            Assert.Equal(total, projection.TotalOf(stream));
        }
    }

    [Fact]
    public async Task A_rebuild_during_concurrent_appends_ends_equal_to_the_incremental_read_model()
    {
        var (events, projections) = await CreateBackendAsync(TestData.NewRegistry(), []);
        var streams = Streams(4);
        var initial = await AppendSomeAsync(events, streams, 150);
        var projection = new TotalsProjection("rebuilt");
        await using var daemon = new ProjectionDaemon(events, projections, [projection], Fast(batch: 40));
        await daemon.StartAsync(Ct);
        await daemon.WaitForPositionAsync("rebuilt", initial.Last, Ct);

        using var stopAppending = new CancellationTokenSource();
        var appender = Task.Run(async () =>
        {
            var i = 0;
            while (!stopAppending.IsCancellationRequested)
            {
                var stream = streams[i++ % streams.Length];
                await events.AppendAsync(stream, ExpectedVersion.Any, TestData.Increments(2, i), Ct);
                await Task.Delay(2, Ct);
            }
        }, Ct);
        var reports = new List<RebuildProgress>();
        var done = await daemon.RebuildAsync("rebuilt", new SyncProgress<RebuildProgress>(reports.Add), Ct);
        await stopAppending.CancelAsync();
        await appender;

        var expected = await AppendSomeAsync(events, streams, 1);
        await daemon.WaitForPositionAsync("rebuilt", expected.Last, Ct);

        Assert.True(done >= 600);
        Assert.NotEmpty(reports);
        Assert.Equal(done, reports[^1].EventsDone);
        Assert.All(reports, r => Assert.True(r.EventsPerSecond >= 0));
        foreach (var (stream, total) in expected)
        {
            Assert.Equal(total, projection.TotalOf(stream));
        }
    }

    [Fact]
    public async Task A_poison_event_stops_the_projection_with_an_error_naming_it()
    {
        var (events, projections) = await CreateBackendAsync(TestData.NewRegistry(), []);
        var stream = TestData.NewStream();
        await events.AppendAsync(stream, ExpectedVersion.NoStream, [new EventData(new Incremented(1)), new EventData(new Incremented(666)), new EventData(new Incremented(2))], Ct);
        var poison = await ReadAsync(events, stream, 2);
        var projection = new TotalsProjection("poisoned") { PoisonAmount = 666 };
        await using var daemon = new ProjectionDaemon(events, projections, [projection], Fast());
        await daemon.StartAsync(Ct);

        var failure = await Assert.ThrowsAsync<ProjectionFailedException>(() => daemon.WaitForPositionAsync("poisoned", poison.Position, Ct));

        Assert.Equal("poisoned", failure.Projection);
        Assert.Equal(poison.EventId, failure.EventId);
        Assert.Equal(poison.Position, failure.Position);
        Assert.Contains(poison.EventId.ToString(), failure.Message, StringComparison.Ordinal);
        Assert.Equal(ProjectionState.Faulted, daemon.GetStatus("poisoned").State);
        Assert.Equal(1, projection.TotalOf(stream));
        Assert.Equal(2, await daemon.GetLagAsync("poisoned", cancellationToken: Ct));
    }

    [Fact]
    public async Task A_poison_event_is_dead_lettered_when_configured_and_the_projection_goes_on()
    {
        var (events, projections) = await CreateBackendAsync(TestData.NewRegistry(), []);
        var stream = TestData.NewStream();
        var appended = await events.AppendAsync(stream, ExpectedVersion.NoStream, [new EventData(new Incremented(1)), new EventData(new Incremented(666)), new EventData(new Incremented(2))], Ct);
        var poison = await ReadAsync(events, stream, 2);
        var projection = new TotalsProjection("lettered") { PoisonAmount = 666 };
        await using var daemon = new ProjectionDaemon(events, projections, [projection], Fast(ProjectionFailurePolicy.DeadLetter));
        await daemon.StartAsync(Ct);

        await daemon.WaitForPositionAsync("lettered", appended.Position, Ct);

        Assert.Equal(3, projection.TotalOf(stream));
        var letters = await projections.GetDeadLettersAsync("lettered", Ct);
        var letter = Assert.Single(letters);
        Assert.Equal(poison.EventId, letter.EventId);
        Assert.Equal(poison.Position, letter.Position);
        Assert.Equal(stream, letter.StreamId);
        Assert.Contains("Poison amount 666", letter.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Projection_lag_is_observable()
    {
        var (events, projections) = await CreateBackendAsync(TestData.NewRegistry(), []);
        await AppendSomeAsync(events, Streams(3), 10);
        var projection = new TotalsProjection("lagging");
        await using var daemon = new ProjectionDaemon(events, projections, [projection], Fast());

        var notes = await events.AppendAsync(TestData.NewStream("notes"), ExpectedVersion.NoStream, [new EventData(new Noted("not counted"))], Ct);
        Assert.Equal(30, await daemon.GetLagAsync("lagging", cancellationToken: Ct));
        Assert.Equal(30, await projections.CountEventsAsync(["incremented"], Ct));
        Assert.Equal(31, await projections.CountEventsAsync(cancellationToken: Ct));
        Assert.Equal(ProjectionState.Stopped, daemon.GetStatus("lagging").State);
        await daemon.StartAsync(Ct);
        await daemon.WaitForPositionAsync("lagging", notes.Position, Ct);

        Assert.Equal(0, await daemon.GetLagAsync("lagging", cancellationToken: Ct));
        Assert.NotNull(daemon.GetStatus("lagging").LastEventTimestamp);
    }

    [Fact]
    public async Task A_subscriber_sees_an_event_only_after_its_append_committed()
    {
        var (events, projections) = await CreateBackendAsync(TestData.NewRegistry(), []);
        var seenCommitted = 0;
        var subscriber = new TotalsProjection("after-commit")
        {
            BeforeApply = async (e, ct) =>
            {
                await foreach (var stored in events.ReadStreamAsync(e.StreamId, e.StreamVersion, 1, ct))
                {
                    if (stored.EventId == e.EventId)
                    {
                        Interlocked.Increment(ref seenCommitted);
                    }
                }
            },
        };
        await using var daemon = new ProjectionDaemon(events, projections, [subscriber], Fast());
        await daemon.StartAsync(Ct);
        var appended = await AppendSomeAsync(events, Streams(2), 5);
        await daemon.WaitForPositionAsync("after-commit", appended.Last, Ct);

        Assert.Equal(10, seenCommitted);
    }

    [Fact]
    public async Task An_inline_projection_is_up_to_date_when_the_append_returns()
    {
        var projection = new TotalsProjection("inline");
        var (events, _) = await CreateBackendAsync(TestData.NewRegistry(), [projection]);
        var stream = TestData.NewStream();

        await events.AppendAsync(stream, ExpectedVersion.NoStream, TestData.Increments(3), Ct);
        Assert.Equal(6, projection.TotalOf(stream));
        await events.AppendAsync(stream, ExpectedVersion.Exactly(3), [new EventData(new Noted("ignored")), new EventData(new Incremented(10))], Ct);
        Assert.Equal(16, projection.TotalOf(stream));
        Assert.Equal(5, projection.VersionOf(stream));
    }

    [Fact]
    public async Task A_failing_inline_projection_fails_the_append_and_nothing_is_written()
    {
        var projection = new TotalsProjection("inline-fail") { PoisonAmount = 13 };
        var (events, _) = await CreateBackendAsync(TestData.NewRegistry(), [projection]);
        var stream = TestData.NewStream();
        await events.AppendAsync(stream, ExpectedVersion.NoStream, TestData.Increments(1), Ct);

        var ex = await Assert.ThrowsAnyAsync<Exception>(() => events.AppendAsync(stream, ExpectedVersion.Exactly(1), [new EventData(new Incremented(5)), new EventData(new Incremented(13))], Ct).AsTask());

        Assert.Contains("Poison amount 13", ex.ToString(), StringComparison.Ordinal);
        Assert.Equal(1, await events.GetStreamVersionAsync(stream, Ct));
        Assert.Single(await ReadAllAsync(events));
        await events.AppendAsync(stream, ExpectedVersion.Exactly(1), TestData.Increments(1, 7), Ct);
        Assert.Equal(2, await events.GetStreamVersionAsync(stream, Ct));
    }

    [Fact]
    public async Task A_batch_projection_gets_whole_batches_and_a_failing_batch_is_narrowed_to_its_event()
    {
        var (events, projections) = await CreateBackendAsync(TestData.NewRegistry(), []);
        var stream = TestData.NewStream();
        await events.AppendAsync(stream, ExpectedVersion.NoStream, TestData.Increments(60), Ct);
        var last = await events.AppendAsync(stream, ExpectedVersion.Exactly(60), [new EventData(new Incremented(666)), new EventData(new Incremented(1))], Ct);
        var poison = await ReadAsync(events, stream, 61);
        var projection = new BatchTotalsProjection("batched");
        projection.Model.PoisonAmount = 666;
        await using var daemon = new ProjectionDaemon(events, projections, [projection], Fast(ProjectionFailurePolicy.DeadLetter, batch: 20));
        await daemon.StartAsync(Ct);

        await daemon.WaitForPositionAsync("batched", last.Position, Ct);

        Assert.Equal(Enumerable.Range(1, 60).Sum() + 1, projection.Model.TotalOf(stream));
        Assert.InRange(projection.Batches, 4, 10);
        Assert.True(projection.Singles >= 1);
        Assert.Equal(poison.EventId, Assert.Single(await projections.GetDeadLettersAsync("batched", Ct)).EventId);
    }

    private static async Task<EventEnvelope> ReadAsync(IEventStore store, StreamId stream, long version)
    {
        await foreach (var e in store.ReadStreamAsync(stream, version, 1, Ct))
        {
            return e;
        }

        throw new InvalidOperationException("No such event.");
    }

    private static async Task<List<EventEnvelope>> ReadAllAsync(IEventStore store)
    {
        var all = new List<EventEnvelope>();
        await foreach (var e in store.ReadAllAsync(GlobalPosition.Start, cancellationToken: Ct))
        {
            all.Add(e);
        }

        return all;
    }

    private static async Task WaitUntilAsync(Func<bool> condition)
    {
        for (var i = 0; i < 600 && !condition(); i++)
        {
            await Task.Delay(50, Ct);
        }

        Assert.True(condition(), "The condition was not met within 30 s.");
    }

    /// <summary>Reports synchronously (Progress&lt;T&gt; posts to the thread pool, which would race the assertions).</summary>
    private sealed class SyncProgress<T>(Action<T> report) : IProgress<T>
    {
        public void Report(T value) => report(value);
    }
}
