using System.Collections.Concurrent;
using EventSourcing.Testing;
using EventSourcing.Serialization;
using Npgsql;
using Xunit;

namespace EventSourcing.Postgres.Tests;

/// <summary>
/// The fast paths: the single-statement append for exact expected versions (and its fallback to the
/// append function when the expectation fails), and the streaming read (rows handed out as read, type
/// names and stream ids without a string per row, pages that end without an empty query).
/// </summary>
public sealed class FastPathTests(PostgresFixture fixture)
{
    private const int Writers = 8;
    private static CancellationToken Ct => TestSupport.Ct;

    [Fact]
    public async Task Exact_and_NoStream_appends_that_succeed_never_call_the_append_function()
    {
        var options = await fixture.CreateSchemaAsync("fast_no_function");
        var s = $"\"{options.Schema}\"";
        var store = new PostgresEventStore(fixture.DataSource, TestSupport.NewRegistry(), options);
        var stream = TestData.NewStream("fast");

        // Without the function only the single statement can write.
        await fixture.DataSource.ExecuteAsync($"alter function {s}.append(text, bigint, uuid[], text[], json[], json[], timestamptz) rename to append_off");
        try
        {
            var first = await store.AppendAsync(stream, ExpectedVersion.NoStream, TestData.Increments(2), Ct);
            var second = await store.AppendAsync(stream, ExpectedVersion.Exactly(2), TestData.Increments(3, 10), Ct);

            var third = await store.AppendAsync(stream, ExpectedVersion.Exactly(5), TestData.Increments(1, 20), Ct);
            var single = await store.AppendAsync(TestData.NewStream("fast-one"), ExpectedVersion.NoStream, TestData.Increments(1), Ct);

            Assert.Equal((2L, false), (first.NextExpectedVersion, first.AlreadyAppended));
            Assert.Equal((5L, false), (second.NextExpectedVersion, second.AlreadyAppended));
            Assert.Equal((6L, false), (third.NextExpectedVersion, third.AlreadyAppended));
            Assert.Equal((1L, false), (single.NextExpectedVersion, single.AlreadyAppended));
            Assert.True(second.Position.CompareTo(first.Position) > 0);
            Assert.True(third.Position.CompareTo(second.Position) > 0);

            // A failed expectation falls back to the function (which is missing here).
            var fallback = await Assert.ThrowsAsync<PostgresException>(() => store.AppendAsync(stream, ExpectedVersion.Exactly(2), TestData.Increments(1), Ct).AsTask());
            var fallbackMany = await Assert.ThrowsAsync<PostgresException>(() => store.AppendAsync(stream, ExpectedVersion.NoStream, TestData.Increments(2), Ct).AsTask());
            Assert.Equal(PostgresErrorCodes.UndefinedFunction, fallback.SqlState);
            Assert.Equal(PostgresErrorCodes.UndefinedFunction, fallbackMany.SqlState);
        }
        finally
        {
            await fixture.DataSource.ExecuteAsync($"alter function {s}.append_off(text, bigint, uuid[], text[], json[], json[], timestamptz) rename to append");
        }

        var read = await store.ReadStreamListAsync(stream);
        Assert.Equal([1L, 2, 3, 4, 5, 6], read.Select(e => e.StreamVersion));
        Assert.Equal([1, 2, 10, 11, 12, 20], read.Select(e => ((Incremented)e.Event).By));
        Assert.Equal(6, await store.GetStreamVersionAsync(stream, Ct));
    }

    [Fact]
    public async Task A_conflict_on_the_fast_path_reports_the_actual_version_and_writes_nothing()
    {
        var options = await fixture.SchemaForAsync(GetType());
        var store = new PostgresEventStore(fixture.DataSource, TestSupport.NewRegistry(), options);
        var stream = TestData.NewStream("fast-conflict");
        var written = await store.AppendAsync(stream, ExpectedVersion.NoStream, TestData.Increments(4), Ct);

        var behind = await Assert.ThrowsAsync<WrongExpectedVersionException>(() => store.AppendAsync(stream, ExpectedVersion.Exactly(3), TestData.Increments(2), Ct).AsTask());
        var ahead = await Assert.ThrowsAsync<WrongExpectedVersionException>(() => store.AppendAsync(stream, ExpectedVersion.Exactly(7), TestData.Increments(1), Ct).AsTask());
        var exists = await Assert.ThrowsAsync<WrongExpectedVersionException>(() => store.AppendAsync(stream, ExpectedVersion.NoStream, TestData.Increments(1), Ct).AsTask());

        Assert.Equal((stream, ExpectedVersion.Exactly(3), 4L), (behind.StreamId, behind.Expected, behind.ActualVersion!.Value));
        Assert.Equal(4L, ahead.ActualVersion);
        Assert.Equal((ExpectedVersion.NoStream, 4L), (exists.Expected, exists.ActualVersion!.Value));
        Assert.Equal(4, await store.GetStreamVersionAsync(stream, Ct));
        var s = $"\"{options.Schema}\"";
        Assert.Equal(4L, await fixture.DataSource.ScalarAsync($"select count(*) from {s}.events where stream_id = $1", stream.Value));

        // The next append goes on at the actual version, in order.
        var next = await store.AppendAsync(stream, ExpectedVersion.Exactly(4), TestData.Increments(1, 5), Ct);
        Assert.Equal(5, next.NextExpectedVersion);
        Assert.True(next.Position.CompareTo(written.Position) > 0);
    }

    [Fact]
    public async Task An_idempotent_retry_through_the_fast_path_returns_the_stored_result_and_writes_nothing()
    {
        var options = await fixture.SchemaForAsync(GetType());
        var store = new PostgresEventStore(fixture.DataSource, TestSupport.NewRegistry(), options);
        var stream = TestData.NewStream("fast-retry");
        var created = TestData.Increments(2);
        var batch = TestData.Increments(3, 10);
        var first = await store.AppendAsync(stream, ExpectedVersion.NoStream, created, Ct);
        var second = await store.AppendAsync(stream, ExpectedVersion.Exactly(2), batch, Ct);

        // Retries of both, then once more after the stream moved on.
        var createdAgain = await store.AppendAsync(stream, ExpectedVersion.NoStream, created, Ct);
        var batchAgain = await store.AppendAsync(stream, ExpectedVersion.Exactly(2), batch, Ct);
        await store.AppendAsync(stream, ExpectedVersion.Exactly(5), TestData.Increments(1, 99), Ct);
        var afterMore = await store.AppendAsync(stream, ExpectedVersion.Exactly(2), batch, Ct);

        Assert.Equal((true, 2L, first.Position), (createdAgain.AlreadyAppended, createdAgain.NextExpectedVersion, createdAgain.Position));
        Assert.Equal((true, 5L, second.Position), (batchAgain.AlreadyAppended, batchAgain.NextExpectedVersion, batchAgain.Position));
        Assert.Equal((true, 5L, second.Position), (afterMore.AlreadyAppended, afterMore.NextExpectedVersion, afterMore.Position));
        Assert.Equal(6, (await store.ReadStreamListAsync(stream)).Count);

        // Same ids at another expected version: still the stored batch (an id is stored once per
        // stream, wherever the retry lands). Only part of them: a duplicate id, nothing written.
        var shifted = await store.AppendAsync(stream, ExpectedVersion.Exactly(3), batch, Ct);
        Assert.Equal((true, 5L, second.Position), (shifted.AlreadyAppended, shifted.NextExpectedVersion, shifted.Position));
        var partial = await Assert.ThrowsAsync<DuplicateEventIdException>(() => store.AppendAsync(stream, ExpectedVersion.Exactly(6), [batch[0], new EventData(new Incremented(7))], Ct).AsTask());
        Assert.Equal((batch[0].EventId, 3L), (partial.EventId, partial.StoredVersion));
        Assert.Equal(6, (await store.ReadStreamListAsync(stream)).Count);
    }

    [Fact]
    public async Task A_single_event_goes_in_as_plain_values_with_the_same_result_as_a_batch()
    {
        var options = await fixture.SchemaForAsync(GetType());
        var s = $"\"{options.Schema}\"";
        var at = new DateTimeOffset(2026, 3, 4, 5, 6, 7, TimeSpan.Zero);
        var store = new PostgresEventStore(fixture.DataSource, TestSupport.NewRegistry(), options, new ManualTimeProvider(at));
        var stream = TestData.NewStream("fast-single");
        var first = new EventData(new Incremented(1), new EventMetadata { CorrelationId = "c-1", CausationId = "k-1" });
        var second = new EventData(new Noted("plain"));

        var created = await store.AppendAsync(stream, ExpectedVersion.NoStream, [first], Ct);
        var moved = await store.AppendAsync(stream, ExpectedVersion.Exactly(1), [second], Ct);
        var createdAgain = await store.AppendAsync(stream, ExpectedVersion.NoStream, [first], Ct);
        var movedAgain = await store.AppendAsync(stream, ExpectedVersion.Exactly(1), [second], Ct);
        var conflict = await Assert.ThrowsAsync<WrongExpectedVersionException>(() => store.AppendAsync(stream, ExpectedVersion.Exactly(1), TestData.Increments(1), Ct).AsTask());

        Assert.Equal((1L, false), (created.NextExpectedVersion, created.AlreadyAppended));
        Assert.Equal((2L, false), (moved.NextExpectedVersion, moved.AlreadyAppended));
        Assert.Equal((true, created.Position), (createdAgain.AlreadyAppended, createdAgain.Position));
        Assert.Equal((true, moved.Position), (movedAgain.AlreadyAppended, movedAgain.Position));
        Assert.Equal(2L, conflict.ActualVersion);
        Assert.Equal("c-1", await fixture.DataSource.ScalarAsync($"select metadata->>'correlationId' from {s}.events where stream_id = $1 and version = 1", stream.Value));
        Assert.Equal(true, await fixture.DataSource.ScalarAsync($"select metadata is null from {s}.events where stream_id = $1 and version = 2", stream.Value));
        Assert.Equal(at.UtcDateTime, await fixture.DataSource.ScalarAsync($"select updated_at from {s}.streams where stream_id = $1", stream.Value));

        var read = await store.ReadStreamListAsync(stream);
        Assert.Equal([first.EventId, second.EventId], read.Select(e => e.EventId));
        Assert.Equal(("c-1", "k-1"), (read[0].Metadata.CorrelationId, read[0].Metadata.CausationId));
        Assert.True(read[1].Metadata.IsEmpty);
        Assert.Equal(["incremented", "noted"], read.Select(e => e.EventType));
        Assert.All(read, e => Assert.Equal(at, e.Timestamp));
        Assert.Equal([created.Position, moved.Position], read.Select(e => e.Position));
    }

    [Fact]
    public async Task Eight_connections_racing_to_create_one_stream_get_exactly_one_winner()
    {
        const int Rounds = 20;
        var options = await fixture.SchemaForAsync(GetType());
        var dataSources = Enumerable.Range(0, Writers).Select(_ => NpgsqlDataSource.Create(fixture.ConnectionString)).ToArray();
        try
        {
            var stores = dataSources.Select(ds => new PostgresEventStore(ds, TestSupport.NewRegistry(), options)).ToArray();
            for (var round = 0; round < Rounds; round++)
            {
                var stream = TestData.NewStream("fast-create");
                var winners = new ConcurrentBag<Guid>();
                using var barrier = new Barrier(Writers);
                var outcomes = await Task.WhenAll(stores.Select((store, w) => Task.Run(async () =>
                {
                    var batch = TestData.Increments(1 + (w % 3), start: 100 * w);
                    barrier.SignalAndWait(Ct);
                    try
                    {
                        var result = await store.AppendAsync(stream, ExpectedVersion.NoStream, batch, Ct);
                        Assert.False(result.AlreadyAppended);
                        Assert.Equal(batch.Length, result.NextExpectedVersion);
                        foreach (var e in batch)
                        {
                            winners.Add(e.EventId);
                        }

                        return (Won: true, Actual: result.NextExpectedVersion);
                    }
                    catch (WrongExpectedVersionException conflict)
                    {
                        return (Won: false, Actual: conflict.ActualVersion!.Value);
                    }
                }, Ct)));

                Assert.Equal(1, outcomes.Count(o => o.Won));
                var version = outcomes.Single(o => o.Won).Actual;
                Assert.All(outcomes, o => Assert.Equal(version, o.Actual));
                var read = await stores[0].ReadStreamListAsync(stream);
                Assert.Equal(winners.Order(), read.Select(e => e.EventId).Order());
                Assert.Equal(version, await stores[1].GetStreamVersionAsync(stream, Ct));
            }
        }
        finally
        {
            foreach (var ds in dataSources)
            {
                await ds.DisposeAsync();
            }
        }
    }

    [Fact]
    public async Task Eight_connections_racing_for_one_exact_version_get_one_winner_and_identical_retries_all_succeed()
    {
        const int Rounds = 16;
        var options = await fixture.SchemaForAsync(GetType());
        var stream = TestData.NewStream("fast-race");
        var dataSources = Enumerable.Range(0, Writers).Select(_ => NpgsqlDataSource.Create(fixture.ConnectionString)).ToArray();
        try
        {
            var stores = dataSources.Select(ds => new PostgresEventStore(ds, TestSupport.NewRegistry(), options)).ToArray();
            await stores[0].AppendAsync(stream, ExpectedVersion.NoStream, TestData.Increments(1), Ct);
            var current = 1L;
            var winners = new List<Guid>();
            for (var round = 1; round <= Rounds; round++)
            {
                // Odd rounds: eight different batches, one wins. Even rounds: one batch sent eight times
                // (a retried request): one writes it, the other seven get the idempotent result.
                var expected = current;
                var retried = round % 2 == 0;
                var batches = Enumerable.Range(0, Writers).Select(w => TestData.Increments(2, (1000 * round) + (retried ? 0 : 10 * w))).ToArray();
                if (retried)
                {
                    Array.Fill(batches, batches[0]);
                }

                using var barrier = new Barrier(Writers);
                var outcomes = await Task.WhenAll(stores.Select((store, w) => Task.Run(async () =>
                {
                    barrier.SignalAndWait(Ct);
                    try
                    {
                        var result = await store.AppendAsync(stream, ExpectedVersion.Exactly(expected), batches[w], Ct);
                        return (Writer: w, Written: !result.AlreadyAppended, Retried: result.AlreadyAppended, Actual: result.NextExpectedVersion);
                    }
                    catch (WrongExpectedVersionException conflict)
                    {
                        return (Writer: w, Written: false, Retried: false, Actual: conflict.ActualVersion!.Value);
                    }
                }, Ct)));

                Assert.Equal(1, outcomes.Count(o => o.Written));
                Assert.All(outcomes, o => Assert.Equal(expected + 2, o.Actual));
                Assert.Equal(retried ? Writers - 1 : 0, outcomes.Count(o => o.Retried));
                winners.AddRange(batches[outcomes.Single(o => o.Written).Writer].Select(e => e.EventId));
                current = expected + 2;
            }

            var read = await stores[0].ReadStreamListAsync(stream);
            Assert.Equal(Enumerable.Range(1, 1 + (2 * Rounds)).Select(v => (long)v), read.Select(e => e.StreamVersion));
            Assert.Equal(winners, read.Skip(1).Select(e => e.EventId));
        }
        finally
        {
            foreach (var ds in dataSources)
            {
                await ds.DisposeAsync();
            }
        }
    }

    [Theory]
    [InlineData(1, true)]
    [InlineData(1, false)]
    [InlineData(3, true)]
    [InlineData(3, false)]
    public async Task A_NoStream_append_behind_an_uncommitted_creator_conflicts_if_it_commits_and_writes_if_it_rolls_back(int count, bool commit)
    {
        // The NoStream statement inserts the stream row plainly: behind another transaction that created the
        // stream and has not ended, it waits; the other's commit fails it (23505 on streams_pkey, nothing
        // written, reported through the function as a conflict), the other's rollback lets it write.
        var options = await fixture.SchemaForAsync(GetType());
        var s = $"\"{options.Schema}\"";
        var stream = TestData.NewStream("fast-pending");
        await using var creator = await TestSupport.HoldAsync(
            fixture.ConnectionString,
            $"""
            with created as (
                insert into {s}.streams (stream_id, version, created_at, updated_at, last_tx_id) values ($1, 2, now(), now(), {s}.log_tx_id())
                returning stream_id)
            insert into {s}.events (stream_id, version, event_id, event_type, data, created_at)
            select c.stream_id, v, gen_random_uuid(), 'incremented', json_build_object('by', 1), now() from created as c, generate_series(1, 2) as v
            """,
            stream);
        const string Application = "fast-pending-waiter";
        await using var waiterSource = TestSupport.NamedSource(fixture.ConnectionString, Application);
        var store = new PostgresEventStore(waiterSource, TestSupport.NewRegistry(), options);
        var batch = TestData.Increments(count, 10);
        var append = store.AppendAsync(stream, ExpectedVersion.NoStream, batch, Ct).AsTask();
        await fixture.DataSource.WaitForLockAsync(Application);

        if (commit)
        {
            await creator.Transaction.CommitAsync(Ct);
            var conflict = await Assert.ThrowsAsync<WrongExpectedVersionException>(() => append);
            Assert.Equal((stream, ExpectedVersion.NoStream, 2L), (conflict.StreamId, conflict.Expected, conflict.ActualVersion!.Value));
            Assert.Equal(2L, await fixture.DataSource.ScalarAsync($"select count(*) from {s}.events where stream_id = $1", stream.Value));
            Assert.Equal(2, await store.GetStreamVersionAsync(stream, Ct));
        }
        else
        {
            await creator.Transaction.RollbackAsync(Ct);
            var written = await append;
            Assert.Equal((count, false), (written.NextExpectedVersion, written.AlreadyAppended));
            Assert.Equal(batch.Select(e => e.EventId), (await store.ReadStreamListAsync(stream)).Select(e => e.EventId));
            Assert.Equal(count, await store.GetStreamVersionAsync(stream, Ct));
        }
    }

    [Fact]
    public async Task Events_with_no_stream_row_still_make_a_NoStream_append_a_conflict()
    {
        // Backstop: rows written behind the store's back, without a streams row. The statement creates
        // the stream row, the events' primary key refuses the duplicate, and the whole statement rolls back.
        var options = await fixture.SchemaForAsync(GetType());
        var s = $"\"{options.Schema}\"";
        var store = new PostgresEventStore(fixture.DataSource, TestSupport.NewRegistry(), options);
        var stream = TestData.NewStream("fast-orphan");
        await fixture.DataSource.ExecuteAsync(
            $"insert into {s}.events (stream_id, version, event_id, event_type, data, created_at) values ($1, 1, gen_random_uuid(), 'incremented', '{{\"by\":1}}', now())",
            stream.Value);

        var conflict = await Assert.ThrowsAsync<WrongExpectedVersionException>(() => store.AppendAsync(stream, ExpectedVersion.NoStream, TestData.Increments(1), Ct).AsTask());

        Assert.Equal(stream, conflict.StreamId);
        Assert.Equal(0, await store.GetStreamVersionAsync(stream, Ct));
        Assert.Equal(1L, await fixture.DataSource.ScalarAsync($"select count(*) from {s}.events where stream_id = $1", stream.Value));
    }

    [Theory]
    [InlineData(5_000)]
    [InlineData(10_000)]
    [InlineData(10_001)]
    public async Task Stream_reads_across_page_boundaries_return_every_event_once_for_any_max_count(int length)
    {
        var options = await fixture.SchemaForAsync(GetType());
        var store = new PostgresEventStore(fixture.DataSource, TestSupport.NewRegistry(), options);
        var stream = TestData.NewStream("fast-pages");
        var batch = TestData.Increments(length);
        await store.AppendAsync(stream, ExpectedVersion.NoStream, batch, Ct);

        var all = await store.ReadStreamListAsync(stream);
        Assert.Equal(batch.Select(e => e.EventId), all.Select(e => e.EventId));
        Assert.Equal(Enumerable.Range(1, length).Select(v => (long)v), all.Select(e => e.StreamVersion));

        foreach (var (from, max) in new (long, long)[] { (1, 4_999), (1, 5_000), (1, 5_001), (2, 5_000), (4_999, 5_002), (length, 10), (length + 1, 10), (1, 0) })
        {
            var part = new List<EventEnvelope>();
            await foreach (var e in store.ReadStreamAsync(stream, from, max, Ct))
            {
                part.Add(e);
            }

            var expected = Enumerable.Range((int)from, (int)Math.Max(0, Math.Min(max, length - from + 1))).Select(v => (long)v);
            Assert.Equal(expected, part.Select(e => e.StreamVersion));
        }
    }

    [Fact]
    public async Task The_global_log_gives_each_event_its_own_stream_id_when_streams_interleave_and_share_prefixes()
    {
        var options = await fixture.CreateSchemaAsync("fast_log_ids");
        var store = new PostgresEventStore(fixture.DataSource, TestSupport.NewRegistry(), options);
        var baseId = "acct-" + Guid.NewGuid().ToString("N");
        StreamId[] streams = [StreamId.From(baseId), StreamId.From(baseId + "1"), StreamId.From(baseId[..^1]), StreamId.From(new string('s', StreamId.MaxLength)), StreamId.From(baseId)];
        var expected = new List<(string Stream, long Version)>();
        var versions = new Dictionary<string, long>();
        foreach (var stream in streams)
        {
            var version = versions.GetValueOrDefault(stream.Value);
            var count = stream.Value.Length == StreamId.MaxLength ? 3 : 2;
            await store.AppendAsync(stream, ExpectedVersion.Exactly(version), TestData.Increments(count), Ct);
            for (var v = version + 1; v <= version + count; v++)
            {
                expected.Add((stream.Value, v));
            }

            versions[stream.Value] = version + count;
        }

        var read = await store.ReadAllListAsync(GlobalPosition.Start);
        Assert.Equal(expected, read.Select(e => (e.StreamId.Value, e.StreamVersion)));

        // Page boundaries of the global log (a page is 5,000 rows): maxCount below, at and above one.
        var bulk = TestData.NewStream("fast-log-bulk");
        await store.AppendAsync(bulk, ExpectedVersion.NoStream, TestData.Increments(10_000), Ct);
        foreach (var max in new[] { 4_999, 5_000, 5_001, 10_011, 10_012, 10_013 })
        {
            var part = await store.ReadAllListAsync(GlobalPosition.Start, max);
            Assert.Equal(Math.Min(max, expected.Count + 10_000), part.Count);
            Assert.Equal(part.Count, part.Select(e => e.Position).Distinct().Count());
        }

        var after = await store.ReadAllListAsync(read[^1].Position);
        Assert.Equal(Enumerable.Range(1, 10_000).Select(v => (long)v), after.Select(e => e.StreamVersion));
        Assert.All(after, e => Assert.Equal(bulk, e.StreamId));
    }

    [Fact]
    public async Task Long_stored_type_names_are_read_whole()
    {
        // Longer than the registry allows today (older rows, another writer): read whole into the
        // growing char buffer, and named in full by the error.
        var options = await fixture.SchemaForAsync(GetType());
        var s = $"\"{options.Schema}\"";
        var stream = TestData.NewStream("fast-long-type");
        var longName = string.Concat(Enumerable.Repeat("very-long-type-name.", 40));
        await fixture.DataSource.ExecuteAsync(
            $"insert into {s}.streams (stream_id, version, created_at, updated_at) values ($1, 1, now(), now())", stream.Value);
        await fixture.DataSource.ExecuteAsync(
            $"insert into {s}.events (stream_id, version, event_id, event_type, data, created_at) values ($1, 1, gen_random_uuid(), $2, '{{}}', now())",
            stream.Value, longName);

        var strict = new PostgresEventStore(fixture.DataSource, TestSupport.NewRegistry(), options);
        var unknown = await Assert.ThrowsAsync<UnknownEventTypeException>(() => strict.ReadStreamListAsync(stream));
        Assert.Equal(longName, unknown.TypeName);

        var registry = TestSupport.NewRegistry();
        registry.UnreadableEvents = UnreadableEventPolicy.ReturnUnreadable;
        var lenient = new PostgresEventStore(fixture.DataSource, registry, options);
        var read = Assert.Single(await lenient.ReadStreamListAsync(stream));
        Assert.Equal(longName, read.EventType);
        Assert.Equal(longName, Assert.IsType<UnreadableEvent>(read.Event).StoredType);
    }

    [Fact]
    public async Task Leaving_a_read_early_gives_its_connection_back()
    {
        var options = await fixture.SchemaForAsync(GetType());
        var builder = new NpgsqlConnectionStringBuilder(fixture.ConnectionString) { MaxPoolSize = 1, Timeout = 5 };
        await using var dataSource = NpgsqlDataSource.Create(builder.ConnectionString);
        var store = new PostgresEventStore(dataSource, TestSupport.NewRegistry(), options);
        var stream = TestData.NewStream("fast-early");

        // The schema is shared with other tests of this class (one stores a type this registry does not
        // know): read the log from this test's own events on.
        var before = await store.GetHeadPositionAsync(Ct);
        await store.AppendAsync(stream, ExpectedVersion.NoStream, TestData.Increments(6_000), Ct);

        for (var i = 0; i < 3; i++)
        {
            await foreach (var e in store.ReadStreamAsync(stream, cancellationToken: Ct))
            {
                if (e.StreamVersion == 10)
                {
                    break;
                }
            }

            await foreach (var e in store.ReadAllAsync(before, cancellationToken: Ct))
            {
                break;
            }
        }

        // The only connection of the pool is free again.
        var next = await store.AppendAsync(stream, ExpectedVersion.Exactly(6_000), TestData.Increments(1), Ct);
        Assert.Equal(6_001, next.NextExpectedVersion);
    }
}
