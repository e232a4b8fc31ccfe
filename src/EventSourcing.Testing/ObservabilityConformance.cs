using System.Diagnostics;
using EventSourcing.Aggregates;
using EventSourcing.Projections;
using EventSourcing.Serialization;
using EventSourcing.Storage;
using Xunit;

namespace EventSourcing.Testing;

/// <summary>
/// Traces and metrics: the store's append activity and metrics (on the backend's own source and meter),
/// the repository's command, load and snapshot activities, the trace carried in event metadata, and the
/// projection batch's links back to the appends' traces (on Core's source and meter).
/// </summary>
public abstract class ObservabilityConformance
{
    private static readonly ActivitySource Test = new("EventSourcing.Testing.Observability");

    /// <summary>Creates (or hands out) the backend's event store, snapshot store and projection store using this registry.</summary>
    protected abstract ValueTask<(IEventStore Events, ISnapshotStore Snapshots, IProjectionStore Projections)> CreateBackendAsync(EventTypeRegistry registry);

    /// <summary>The store's <c>db.system.name</c>: memory, postgresql, sqlite.</summary>
    protected abstract string DbSystemName { get; }

    /// <summary>The name of the store package's activity source and meter (the same name for both).</summary>
    protected abstract string StoreSourceName { get; }

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private TelemetryRecorder Record() => new(Test.Name, EventSourcingDiagnostics.SourceName, StoreSourceName);

    [Fact]
    public async Task An_append_is_traced_with_the_database_conventions_and_measured()
    {
        using var recorder = Record();
        var (events, _, _) = await CreateBackendAsync(TestData.NewRegistry());
        var stream = TestData.NewStream();
        using var root = Test.StartActivity("request")!;

        var result = await events.AppendAsync(stream, ExpectedVersion.NoStream, [new EventData(new Incremented(1)), new EventData(new Incremented(2))], Ct);
        root.Stop();

        var append = Assert.Single(recorder.Activities(root.TraceId), a => a.OperationName == "eventsourcing.append");
        Assert.Equal(StoreSourceName, append.Source.Name);
        Assert.Equal(root.SpanId, append.ParentSpanId);
        Assert.Equal(DbSystemName, append.GetTagItem("db.system.name"));
        Assert.Equal("append", append.GetTagItem("db.operation.name"));
        Assert.Equal(stream.Value, append.GetTagItem("eventsourcing.stream.id"));
        Assert.Equal(2, append.GetTagItem("eventsourcing.event.count"));
        Assert.Equal(0L, append.GetTagItem("eventsourcing.expected_version"));
        Assert.Equal("appended", append.GetTagItem("outcome"));
        Assert.Equal(2L, append.GetTagItem("eventsourcing.stream.version"));

        var appends = Assert.Single(recorder.Measurements("eventsourcing.appends", root.TraceId));
        Assert.Equal(1, appends.Value);
        Assert.Equal("{append}", appends.Unit);
        Assert.Equal("appended", appends.Tags["outcome"]);
        Assert.Equal(DbSystemName, appends.Tags["db.system.name"]);
        Assert.Equal(2, Assert.Single(recorder.Measurements("eventsourcing.append.events", root.TraceId)).Value);
        var duration = Assert.Single(recorder.Measurements("eventsourcing.append.duration", root.TraceId));
        Assert.Equal("s", duration.Unit);
        Assert.InRange(duration.Value, 0, 60);

        // A repeat of the same batch is reported as such.
        using var again = Test.StartActivity("retry")!;
        var stored = await ReadAsync(events, stream);
        await events.AppendAsync(stream, ExpectedVersion.NoStream, [.. stored.Select(e => new EventData(e.Event, EventMetadata.Empty, e.EventId))], Ct);
        again.Stop();
        Assert.Equal("already_appended", Assert.Single(recorder.Activities(again.TraceId), a => a.OperationName == "eventsourcing.append").GetTagItem("outcome"));
        Assert.Equal("already_appended", Assert.Single(recorder.Measurements("eventsourcing.appends", again.TraceId)).Tags["outcome"]);
        Assert.Equal(result.Position, stored[^1].Position);
    }

    [Fact]
    public async Task An_append_records_its_trace_in_the_metadata_but_keeps_the_callers_own()
    {
        using var recorder = Record();
        var (events, _, _) = await CreateBackendAsync(TestData.NewRegistry());
        var stream = TestData.NewStream();
        const string Callers = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";
        using var root = Test.StartActivity("request")!;

        await events.AppendAsync(stream, ExpectedVersion.NoStream,
        [
            new EventData(new Incremented(1), new EventMetadata { CorrelationId = "c-1" }),
            new EventData(new Incremented(2), new EventMetadata { Headers = new Dictionary<string, string> { ["traceparent"] = Callers, ["user"] = "ann" } }),
        ], Ct);
        root.Stop();

        var append = Assert.Single(recorder.Activities(root.TraceId), a => a.OperationName == "eventsourcing.append");
        var stored = await ReadAsync(events, stream);
        Assert.Equal(append.Id, stored[0].Metadata.Headers["traceparent"]);
        Assert.Equal("c-1", stored[0].Metadata.CorrelationId); // correlation and causation are the caller's
        Assert.Null(stored[0].Metadata.CausationId);
        Assert.Equal(Callers, stored[1].Metadata.Headers["traceparent"]);
        Assert.Equal("ann", stored[1].Metadata.Headers["user"]);
    }

    [Fact]
    public async Task A_command_that_meets_a_conflict_is_retried_and_both_are_traced_and_counted()
    {
        using var recorder = Record();
        var registry = TestData.NewRegistry();
        var (events, snapshots, _) = await CreateBackendAsync(registry);
        var repository = new AggregateRepository<Counter>(events, registry, snapshots);
        var stream = TestData.NewStream();
        var runs = 0;
        using var root = Test.StartActivity("request")!;

        var counter = await repository.ExecuteAsync(stream, c =>
        {
            if (runs++ == 0)
            {
                // Another writer gets in between the load and the save: the save conflicts.
                events.AppendAsync(stream, ExpectedVersion.Any, [new EventData(new Incremented(100))], Ct).AsTask().GetAwaiter().GetResult();
            }

            c.Increment(1);
        }, cancellationToken: Ct);
        root.Stop();

        Assert.Equal(101, counter.Total);
        var trace = recorder.Activities(root.TraceId);
        var command = Assert.Single(trace, a => a.OperationName == "eventsourcing.command");
        Assert.Equal(1, command.GetTagItem("eventsourcing.command.retries"));
        Assert.Equal("executed", command.GetTagItem("outcome"));
        Assert.Equal(stream.Value, command.GetTagItem("eventsourcing.stream.id"));
        Assert.Equal(nameof(Counter), command.GetTagItem("eventsourcing.aggregate.type"));
        var retry = Assert.Single(command.Events);
        Assert.Equal("retry", retry.Name);
        Assert.Equal(typeof(WrongExpectedVersionException).FullName, retry.Tags.Single(t => t.Key == "error.type").Value);

        var appends = trace.Where(a => a.OperationName == "eventsourcing.append").ToList();
        Assert.Equal(["appended", "conflict", "appended"], appends.Select(a => (string?)a.GetTagItem("outcome")));
        var conflict = appends[1];
        Assert.Equal(typeof(WrongExpectedVersionException).FullName, conflict.GetTagItem("error.type"));
        Assert.Equal(ActivityStatusCode.Error, conflict.Status);
        Assert.Equal(0L, conflict.GetTagItem("eventsourcing.expected_version"));
        Assert.All(appends, a => Assert.Equal(command.SpanId, a.ParentSpanId));
        Assert.Equal(2, trace.Count(a => a.OperationName == "eventsourcing.load" && a.ParentSpanId == command.SpanId));

        Assert.Equal(1, Assert.Single(recorder.Measurements("eventsourcing.command.retries", root.TraceId)).Value);
        Assert.Equal(1, Assert.Single(recorder.Measurements("eventsourcing.append.conflicts", root.TraceId)).Value);
        Assert.Equal(["appended", "conflict", "appended"], recorder.Measurements("eventsourcing.appends", root.TraceId).Select(m => (string?)m.Tags["outcome"]));
        Assert.Equal(typeof(WrongExpectedVersionException).FullName, recorder.Measurements("eventsourcing.appends", root.TraceId)[1].Tags["error.type"]);
    }

    [Fact]
    public async Task A_load_from_a_snapshot_is_traced_and_counted_as_a_hit()
    {
        using var recorder = Record();
        var registry = TestData.NewRegistry();
        var (events, snapshots, _) = await CreateBackendAsync(registry);
        var repository = new AggregateRepository<Counter>(events, registry, snapshots, new RepositoryOptions { Snapshots = SnapshotPolicy.Every(2) });
        var stream = TestData.NewStream();

        using (var save = Test.StartActivity("save")!)
        {
            var fresh = await repository.LoadAsync(stream, Ct);
            fresh.Increment(1);
            fresh.Increment(2);
            await repository.SaveAsync(stream, fresh, cancellationToken: Ct);
            save.Stop();
            var saved = Assert.Single(recorder.Activities(save.TraceId), a => a.OperationName == "eventsourcing.snapshot.save");
            Assert.Equal(2L, saved.GetTagItem("eventsourcing.snapshot.version"));
            var missed = Assert.Single(recorder.Activities(save.TraceId), a => a.OperationName == "eventsourcing.load");
            Assert.Equal(false, missed.GetTagItem("eventsourcing.snapshot.used"));
            Assert.Equal(1, Assert.Single(recorder.Measurements("eventsourcing.snapshot.misses", save.TraceId)).Value);
        }

        await events.AppendAsync(stream, ExpectedVersion.Exactly(2), [new EventData(new Incremented(3))], Ct);
        using var root = Test.StartActivity("request")!;
        var counter = await repository.LoadAsync(stream, Ct);
        root.Stop();

        Assert.Equal(6, counter.Total);
        var trace = recorder.Activities(root.TraceId);
        var load = Assert.Single(trace, a => a.OperationName == "eventsourcing.load");
        Assert.Equal(true, load.GetTagItem("eventsourcing.snapshot.used"));
        Assert.Equal(1L, load.GetTagItem("eventsourcing.event.count"));
        Assert.Equal(3L, load.GetTagItem("eventsourcing.stream.version"));
        var snapshotLoad = Assert.Single(trace, a => a.OperationName == "eventsourcing.snapshot.load");
        Assert.Equal(load.SpanId, snapshotLoad.ParentSpanId);
        Assert.Equal(true, snapshotLoad.GetTagItem("eventsourcing.snapshot.found"));
        Assert.Equal(2L, snapshotLoad.GetTagItem("eventsourcing.snapshot.version"));

        Assert.Equal(1, Assert.Single(recorder.Measurements("eventsourcing.snapshot.hits", root.TraceId)).Value);
        Assert.Empty(recorder.Measurements("eventsourcing.snapshot.misses", root.TraceId));
        var replayed = Assert.Single(recorder.Measurements("eventsourcing.load.events", root.TraceId));
        Assert.Equal(1, replayed.Value);
        Assert.Equal(true, replayed.Tags["eventsourcing.snapshot.used"]);
        Assert.Equal("s", Assert.Single(recorder.Measurements("eventsourcing.load.duration", root.TraceId)).Unit);
    }

    [Fact]
    public async Task A_projection_batch_links_to_the_traces_of_its_events_appends()
    {
        using var recorder = Record();
        var (events, _, projections) = await CreateBackendAsync(TestData.NewRegistry());
        var name = "otel-" + Guid.NewGuid().ToString("N");
        var projection = new TotalsProjection(name);
        var stream = TestData.NewStream();

        // Two requests, each appending under its own trace.
        var appended = new List<Activity>();
        AppendResult last = null!;
        for (var i = 1; i <= 2; i++)
        {
            using var request = Test.StartActivity("request")!;
            last = await events.AppendAsync(stream, ExpectedVersion.Any, [new EventData(new Incremented(i))], Ct);
            request.Stop();
            appended.Add(Assert.Single(recorder.Activities(request.TraceId), a => a.OperationName == "eventsourcing.append"));
        }

        var daemon = new ProjectionDaemon(events, projections, [projection], new ProjectionOptions { BatchSize = 1000, PollInterval = TimeSpan.FromMilliseconds(50) });
        await daemon.StartAsync(Ct);
        try
        {
            await daemon.WaitForPositionAsync(name, last.Position, Ct);
            recorder.Collect();
        }
        finally
        {
            await daemon.StopAsync(Ct);
        }

        // The events of one read arrive in one batch: it links to both appends.
        var batches = recorder.AllActivities.Where(a => a.OperationName == "eventsourcing.projection.batch" && Equals(a.GetTagItem("eventsourcing.projection.name"), name)).ToList();
        var batch = Assert.Single(batches, b => b.Links.Any());
        Assert.Equal(ActivityKind.Consumer, batch.Kind);
        Assert.Equal(false, batch.GetTagItem("eventsourcing.projection.rebuild"));
        Assert.Equal("projected", batch.GetTagItem("outcome"));
        Assert.DoesNotContain(appended, a => a.TraceId == batch.TraceId); // a trace of its own, linked
        foreach (var append in appended)
        {
            Assert.Contains(batch.Links, l => l.Context.TraceId == append.TraceId && l.Context.SpanId == append.SpanId);
        }

        Assert.Equal(2, Assert.Single(recorder.Measurements("eventsourcing.projection.events", "eventsourcing.projection.name", name)).Value);
        var lag = Assert.Single(recorder.Measurements("eventsourcing.projection.lag.seconds", "eventsourcing.projection.name", name));
        Assert.Equal(0, lag.Value);
        Assert.Equal("s", lag.Unit);
    }

    [Fact]
    public async Task A_projections_lag_in_events_is_what_it_has_read_and_not_projected()
    {
        using var recorder = Record();
        var (events, _, projections) = await CreateBackendAsync(TestData.NewRegistry());
        var name = "otel-lag-" + Guid.NewGuid().ToString("N");
        var entered = new SemaphoreSlim(0);
        var release = new SemaphoreSlim(0);
        var projection = new TotalsProjection(name)
        {
            BeforeApply = async (_, ct) =>
            {
                entered.Release();
                await release.WaitAsync(ct);
            },
        };
        var last = await events.AppendAsync(TestData.NewStream(), ExpectedVersion.NoStream, TestData.Increments(6), Ct);

        double Lag()
        {
            recorder.Collect();
            var lag = recorder.Measurements("eventsourcing.projection.lag.events", "eventsourcing.projection.name", name)[^1];
            Assert.Equal("{event}", lag.Unit);
            return lag.Value;
        }

        var daemon = new ProjectionDaemon(events, projections, [projection], new ProjectionOptions { BatchSize = 4, PollInterval = TimeSpan.FromMilliseconds(50) });
        await daemon.StartAsync(Ct);
        try
        {
            // Six events behind, batches of four: the first read comes back full, so the daemon knows of
            // four (a lower bound: it has not read further).
            await entered.WaitAsync(Ct);
            Assert.Equal(4, Lag());

            // The second read comes back short of a batch: it reached the head, the two left are exact.
            release.Release(4);
            for (var i = 0; i < 4; i++)
            {
                await entered.WaitAsync(Ct);
            }

            Assert.Equal(2, Lag());
            release.Release(2);
            await daemon.WaitForPositionAsync(name, last.Position, Ct);
            Assert.Equal(0, Lag());
        }
        finally
        {
            release.Release(100);
            await daemon.StopAsync(Ct);
        }
    }

    [Fact]
    public async Task A_rebuild_is_one_trace_with_its_batches_as_children()
    {
        using var recorder = Record();
        var (events, _, projections) = await CreateBackendAsync(TestData.NewRegistry());
        var name = "otel-" + Guid.NewGuid().ToString("N");
        await events.AppendAsync(TestData.NewStream(), ExpectedVersion.NoStream, TestData.Increments(3), Ct);
        var daemon = new ProjectionDaemon(events, projections, [new TotalsProjection(name)], new ProjectionOptions { BatchSize = 1000 });

        using var root = Test.StartActivity("admin")!;
        var done = await daemon.RebuildAsync(name, cancellationToken: Ct);
        root.Stop();

        var trace = recorder.Activities(root.TraceId);
        var rebuild = Assert.Single(trace, a => a.OperationName == "eventsourcing.projection.rebuild");
        Assert.Equal(name, rebuild.GetTagItem("eventsourcing.projection.name"));
        Assert.Equal(done, rebuild.GetTagItem("eventsourcing.event.count"));
        var batches = trace.Where(a => a.OperationName == "eventsourcing.projection.batch").ToList();
        Assert.NotEmpty(batches);
        Assert.All(batches, b =>
        {
            Assert.Equal(rebuild.SpanId, b.ParentSpanId);
            Assert.Equal(true, b.GetTagItem("eventsourcing.projection.rebuild"));
        });
        Assert.Equal(done, batches.Sum(b => (int)b.GetTagItem("eventsourcing.event.count")!));
    }

    private static async Task<List<EventEnvelope>> ReadAsync(IEventStore events, StreamId stream)
    {
        var list = new List<EventEnvelope>();
        await foreach (var e in events.ReadStreamAsync(stream, cancellationToken: Ct))
        {
            list.Add(e);
        }

        return list;
    }
}
