using EventSourcing.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Npgsql;
using Xunit;

namespace EventSourcing.Postgres.Tests;

/// <summary>
/// A database moved with pg_dump/pg_restore into a cluster whose transaction counter is lower than the
/// one it came from (issue 14, item 3). Global positions are built on transaction ids, so without a
/// correction the new events get positions below the old ones: readers at existing checkpoints skip
/// them and the log interleaves old and new. Only the public API is used on the restored side.
/// </summary>
public sealed class RestoreTests(RestoreFixture fixture) : IClassFixture<RestoreFixture>
{
    private static readonly TimeSpan Generous = TimeSpan.FromSeconds(60);

    private static CancellationToken Ct => TestSupport.Ct;

    [Fact]
    public async Task After_a_restore_into_a_cluster_with_a_lower_transaction_counter_readers_at_old_checkpoints_skip_nothing_and_the_order_is_kept()
    {
        await using var dataSource = NpgsqlDataSource.Create(await fixture.RestoreIntoFreshClusterAsync("restored_applied"));
        var counter = await RestoreFixture.CounterAsync(dataSource);
        Assert.True(counter < fixture.SourceCounterBeforeEvents, $"The target's transaction counter ({counter}) must be below every transaction id of the restored events (>= {fixture.SourceCounterBeforeEvents}), or the test proves nothing.");

        // Start-up as an application with SchemaMode.CreateOrUpdate does it: this is where a restore is detected.
        var options = fixture.Options;
        await new PostgresSchemaInitializer(dataSource, options).ApplyAsync(Ct);
        var store = new PostgresEventStore(dataSource, TestSupport.NewRegistry(), options);
        var checkpoints = new PostgresCheckpointStore(dataSource, options);

        // The restore carried everything (reads by stream do not depend on the counter), checkpoints included.
        foreach (var (stream, ids) in fixture.OldStreams)
        {
            Assert.Equal(ids, (await store.ReadStreamListAsync(stream)).Select(e => e.EventId));
        }

        var endCheckpoint = fixture.OldLog[^1].Position;
        var middleCheckpoint = fixture.OldLog[14].Position;
        Assert.Equal(endCheckpoint, await checkpoints.LoadAsync(RestoreFixture.EndCheckpoint, Ct));
        Assert.Equal(middleCheckpoint, await checkpoints.LoadAsync(RestoreFixture.MiddleCheckpoint, Ct));

        // New events: to every old stream (at its exact version) and to new streams, interleaved.
        var written = new List<(StreamId Stream, Guid Id)>();
        var newStreams = Enumerable.Range(0, 3).Select(i => new StreamId($"new-{i}")).ToArray();
        for (var round = 0; round < 2; round++)
        {
            foreach (var (stream, ids) in fixture.OldStreams)
            {
                await AppendAsync(store, stream, ExpectedVersion.Exactly(ids.Count + round * 2), written);
            }

            foreach (var stream in newStreams)
            {
                await AppendAsync(store, stream, round == 0 ? ExpectedVersion.NoStream : ExpectedVersion.Exactly(2), written);
            }
        }

        // A reader at the checkpoint it saved before the move gets every new event, and nothing else.
        var afterEnd = await RestoreFixture.ReadAllAsync(store, endCheckpoint);
        AssertSameEvents(written.Select(w => w.Id).ToList(), afterEnd, $"reading the global log after the old checkpoint {endCheckpoint}");

        // Every new event comes after every old one; the log is in position order, each stream in version order.
        Assert.All(afterEnd, e => Assert.True(e.Position > endCheckpoint, $"new event {e.StreamId}@{e.StreamVersion} at {e.Position} is not after the old log's end {endCheckpoint}"));
        AssertOrdered(afterEnd);

        // A reader from the start gets the old log unchanged (same events, same positions), then the new events.
        var fromStart = await RestoreFixture.ReadAllAsync(store, GlobalPosition.Start);
        Assert.Equal(fixture.OldLog.Select(e => (e.EventId, e.Position)), fromStart.Take(fixture.OldLog.Count).Select(e => (e.EventId, e.Position)));
        Assert.Equal(afterEnd.Select(e => (e.EventId, e.Position)), fromStart.Skip(fixture.OldLog.Count).Select(e => (e.EventId, e.Position)));
        AssertOrdered(fromStart);

        // A reader in the middle of the old log gets the rest of it, then the new events.
        var afterMiddle = await RestoreFixture.ReadAllAsync(store, middleCheckpoint);
        Assert.Equal(fromStart.Skip(15).Select(e => e.EventId), afterMiddle.Select(e => e.EventId));
        Assert.Equal(fromStart[^1].Position, await store.GetHeadPositionAsync(Ct));

        // Writers and a tailing reader at once: the reader, starting at the head, misses nothing.
        var head = fromStart[^1].Position;
        var acknowledged = await AppendWhileTailingAsync(store, head, [.. fixture.OldStreams.Keys, .. newStreams]);

        // Finally the whole log: old, then new, each stream contiguous from version 1 in log order.
        var all = await RestoreFixture.ReadAllAsync(store, GlobalPosition.Start);
        AssertSameEvents([.. fixture.OldLog.Select(e => e.EventId), .. written.Select(w => w.Id), .. acknowledged], all, "reading the whole global log at the end");
        AssertOrdered(all);
        foreach (var stream in all.GroupBy(e => e.StreamId))
        {
            Assert.Equal(Enumerable.Range(1, stream.Count()).Select(v => (long)v), stream.Select(e => e.StreamVersion));
        }
    }

    [Fact]
    public async Task After_a_restore_into_a_cluster_with_a_lower_transaction_counter_a_verify_only_start_fails_until_the_schema_is_applied()
    {
        await using var dataSource = NpgsqlDataSource.Create(await fixture.RestoreIntoFreshClusterAsync("restored_verify"));
        Assert.True(await RestoreFixture.CounterAsync(dataSource) < fixture.SourceCounterBeforeEvents, "The target's transaction counter must be below the restored events' transaction ids.");
        var options = fixture.Options;
        var initializer = new PostgresSchemaInitializer(dataSource, options);

        // SchemaMode.None checks and changes nothing: it must refuse a schema whose positions would go backwards.
        var error = await Assert.ThrowsAsync<EventStoreException>(() => initializer.VerifyAsync(Ct));
        Assert.Contains("transaction counter", error.Message, StringComparison.OrdinalIgnoreCase);

        // The same at an application's start (the hosted service of SchemaMode.None), before any append.
        var hostError = await Assert.ThrowsAsync<EventStoreException>(() => StartVerifyOnlyApplicationAsync(dataSource, options));
        Assert.Contains("transaction counter", hostError.Message, StringComparison.OrdinalIgnoreCase);
        var store = new PostgresEventStore(dataSource, TestSupport.NewRegistry(), options);
        Assert.Equal(fixture.OldStreams.Values.Sum(ids => ids.Count), (await Task.WhenAll(fixture.OldStreams.Keys.Select(s => store.ReadStreamListAsync(s)))).Sum(events => events.Count));

        // Applying the schema (what the message asks an operator to do) corrects it; verify-only starts then pass.
        await initializer.ApplyAsync(Ct);
        await initializer.VerifyAsync(Ct);
        await StartVerifyOnlyApplicationAsync(dataSource, options);
        var written = new List<(StreamId Stream, Guid Id)>();
        await AppendAsync(store, new StreamId("old-0"), ExpectedVersion.Exactly(6), written);
        AssertSameEvents(written.Select(w => w.Id).ToList(), await RestoreFixture.ReadAllAsync(store, fixture.OldLog[^1].Position), "reading after the old log's end");
    }

    private static async Task StartVerifyOnlyApplicationAsync(NpgsqlDataSource dataSource, PostgresOptions options)
    {
        var services = new ServiceCollection();
        services.AddEventSourcing(es => es.UseJsonOptions(ConformanceJsonContext.Default.Options).AddEvent<Incremented>("incremented"))
            .UsePostgres(pg =>
            {
                pg.DataSource = dataSource;
                pg.Schema = options.Schema;
                pg.SchemaMode = SchemaMode.None;
            });
        await using var provider = services.BuildServiceProvider();
        foreach (var service in provider.GetServices<IHostedService>())
        {
            await service.StartAsync(Ct);
        }

        foreach (var service in provider.GetServices<IHostedService>().Reverse())
        {
            await service.StopAsync(Ct);
        }
    }

    private static async Task AppendAsync(PostgresEventStore store, StreamId stream, ExpectedVersion expected, List<(StreamId Stream, Guid Id)> written)
    {
        var batch = TestData.Increments(2);
        await store.AppendAsync(stream, expected, batch, Ct);
        written.AddRange(batch.Select(e => (stream, e.EventId)));
    }

    /// <summary>
    /// Four writers append (Any) to old and new streams while one reader tails the global log from
    /// <paramref name="head"/> in small batches. Returns the acknowledged event ids; asserts the reader
    /// got exactly those, in order.
    /// </summary>
    private static async Task<List<Guid>> AppendWhileTailingAsync(PostgresEventStore store, GlobalPosition head, StreamId[] streams)
    {
        const int Writers = 4;
        const int AppendsPerWriter = 40;
        var results = Enumerable.Range(0, Writers).Select(_ => new List<(AppendResult Result, EventData[] Events)>()).ToArray();
        var writers = Task.WhenAll(Enumerable.Range(0, Writers).Select(w => Task.Run(async () =>
        {
            for (var i = 0; i < AppendsPerWriter; i++)
            {
                var batch = TestData.Increments(1 + (i % 2));
                var stream = i % 3 == 0 ? new StreamId($"tail-{w}-{i}") : streams[(w + i) % streams.Length];
                results[w].Add((await store.AppendAsync(stream, ExpectedVersion.Any, batch, Ct), batch));
            }
        }, Ct)));

        var seen = new List<EventEnvelope>();
        var tail = Task.Run(async () =>
        {
            var cursor = head;
            while (true)
            {
                // Decided before the read: once the writers are done, a read that reaches their last
                // acknowledged position has had the chance to return everything.
                var done = writers.IsCompleted;
                var batch = await RestoreFixture.ReadAllAsync(store, cursor, maxCount: 25);
                seen.AddRange(batch);
                cursor = batch.Count > 0 ? batch[^1].Position : cursor;
                if (done && cursor >= results.SelectMany(r => r).Max(r => r.Result.Position))
                {
                    return;
                }

                if (batch.Count == 0)
                {
                    await Task.Delay(5, Ct);
                }
            }
        }, Ct);

        await writers.WaitAsync(Generous, Ct);
        await tail.WaitAsync(Generous, Ct);
        var acknowledged = results.SelectMany(r => r).SelectMany(r => r.Events.Select(e => e.EventId)).ToList();
        AssertSameEvents(acknowledged, seen, "tailing the global log while appending");
        Assert.All(seen, e => Assert.True(e.Position > head, $"{e.StreamId}@{e.StreamVersion} at {e.Position} is not after the head {head} it was appended after"));
        AssertOrdered(seen);
        return acknowledged;
    }

    /// <summary>The events read are exactly the expected ones, each once.</summary>
    private static void AssertSameEvents(IReadOnlyCollection<Guid> expected, IReadOnlyList<EventEnvelope> read, string what)
    {
        var readIds = read.Select(e => e.EventId).ToList();
        var skipped = expected.Except(readIds).Count();
        var unexpected = readIds.Except(expected).Count();
        var duplicated = readIds.Count - readIds.Distinct().Count();
        Assert.True(
            skipped == 0 && unexpected == 0 && duplicated == 0,
            $"{what}: {skipped} of {expected.Count} expected events skipped, {unexpected} unexpected, {duplicated} duplicated ({read.Count} read).");
    }

    /// <summary>Positions strictly increase, and each stream's versions increase, in read order.</summary>
    private static void AssertOrdered(IReadOnlyList<EventEnvelope> read)
    {
        for (var i = 1; i < read.Count; i++)
        {
            Assert.True(read[i].Position > read[i - 1].Position, $"position {read[i].Position} ({read[i].StreamId}@{read[i].StreamVersion}) follows {read[i - 1].Position} ({read[i - 1].StreamId}@{read[i - 1].StreamVersion})");
        }

        foreach (var stream in read.GroupBy(e => e.StreamId))
        {
            var versions = stream.Select(e => e.StreamVersion).ToList();
            Assert.True(versions.SequenceEqual(versions.Order()), $"stream {stream.Key} comes out of the global log as versions {string.Join(", ", versions)}");
        }
    }
}
