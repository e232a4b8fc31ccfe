using EventSourcing.Postgres.Internal;
using EventSourcing.Testing;
using Xunit;

namespace EventSourcing.Postgres.Tests;

/// <summary>
/// Large batches with an exact expectation go in by binary COPY in one transaction (stream write, COPY,
/// last position, commit). The conformance kit runs on that path too (<see cref="PostgresCopyEventStoreConformance"/>,
/// <see cref="PooledCopyEventStoreConformance"/>); these tests pin the threshold, the stored rows, and what a
/// refusal or a cancellation leaves behind.
/// </summary>
public sealed class CopyAppendTests(PostgresFixture fixture)
{
    private const int Threshold = AppendProtocol.DefaultCopyThreshold;
    private static CancellationToken Ct => TestSupport.Ct;

    [Fact]
    public async Task A_batch_of_the_threshold_goes_in_by_COPY_one_below_by_the_statement_and_both_store_the_same_rows()
    {
        var options = await fixture.CreateSchemaAsync("copy_path");
        var s = $"\"{options.Schema}\"";

        // Which statement inserted the rows: the top-level query of each insert into events.
        await fixture.DataSource.ExecuteAsync($$"""
            create table {{s}}.test_inserts (at bigint generated always as identity, query text not null);
            create function {{s}}.test_log_insert() returns trigger language plpgsql as $$
            begin
                insert into {{s}}.test_inserts (query) values (left(current_query(), 40));
                return null;
            end $$;
            create trigger test_log_insert after insert on {{s}}.events for each statement execute function {{s}}.test_log_insert();
            """);
        var at = new DateTimeOffset(2026, 7, 8, 9, 10, 11, 123, TimeSpan.Zero).AddTicks(4_567);
        var store = new PostgresEventStore(fixture.DataSource, TestSupport.NewRegistry(), options, new ManualTimeProvider(at));
        var below = TestData.NewStream("copy-below");
        var copied = TestData.NewStream("copy-at");
        var first = TestData.Increments(Threshold - 1);
        first[7] = new EventData(new Incremented(7), new EventMetadata { CorrelationId = "c-7" });
        var second = TestData.Increments(Threshold, 1_000);
        second[7] = new EventData(new Incremented(7), new EventMetadata { CorrelationId = "c-7" });
        var third = TestData.Increments(Threshold, 5_000);

        var statement = await store.AppendAsync(below, ExpectedVersion.NoStream, first, Ct);
        var created = await store.AppendAsync(copied, ExpectedVersion.NoStream, second, Ct);
        var moved = await store.AppendAsync(copied, ExpectedVersion.Exactly(Threshold), third, Ct);

        var queries = new List<string>();
        await using (var command = fixture.DataSource.CreateCommand($"select query from {s}.test_inserts order by at"))
        await using (var reader = await command.ExecuteReaderAsync(Ct))
        {
            while (await reader.ReadAsync(Ct))
            {
                queries.Add(reader.GetString(0).Trim());
            }
        }

        Assert.Equal(3, queries.Count);
        Assert.StartsWith("with w as", queries[0], StringComparison.Ordinal);
        Assert.StartsWith("copy ", queries[1], StringComparison.Ordinal);
        Assert.StartsWith("copy ", queries[2], StringComparison.Ordinal);

        Assert.Equal((Threshold - 1L, false), (statement.NextExpectedVersion, statement.AlreadyAppended));
        Assert.Equal(((long)Threshold, false), (created.NextExpectedVersion, created.AlreadyAppended));
        Assert.Equal((2L * Threshold, false), (moved.NextExpectedVersion, moved.AlreadyAppended));
        Assert.Equal(2 * Threshold, await store.GetStreamVersionAsync(copied, Ct));

        // The same rows either way: versions, ids, payloads, metadata, the clock's time (in microseconds),
        // one transaction per batch, positions in version order ending at the returned one.
        foreach (var (stream, batches, results) in new[] { (below, new[] { first }, new[] { statement }), (copied, new[] { second, third }, new[] { created, moved }) })
        {
            var read = await store.ReadStreamListAsync(stream);
            var sent = batches.SelectMany(b => b).ToList();
            Assert.Equal(Enumerable.Range(1, sent.Count).Select(v => (long)v), read.Select(e => e.StreamVersion));
            Assert.Equal(sent.Select(e => e.EventId), read.Select(e => e.EventId));
            Assert.Equal(sent.Select(e => ((Incremented)e.Event).By), read.Select(e => ((Incremented)e.Event).By));
            Assert.Equal("c-7", read[7].Metadata.CorrelationId);
            Assert.All(read.Where((_, i) => i != 7), e => Assert.Null(e.Metadata.CorrelationId));
            Assert.All(read, e => Assert.Equal(new DateTimeOffset(at.Ticks - (at.Ticks % 10), TimeSpan.Zero), e.Timestamp));
            Assert.True(read.Zip(read.Skip(1)).All(p => p.First.Position < p.Second.Position));
            var offset = 0;
            for (var b = 0; b < batches.Length; b++)
            {
                var batch = read.Skip(offset).Take(batches[b].Length).ToList();
                Assert.Single(batch.Select(e => e.Position.ToParts().Major).Distinct());
                Assert.Equal(results[b].Position, batch[^1].Position);
                offset += batches[b].Length;
            }
        }
    }

    [Fact]
    public async Task A_COPY_batch_that_repeats_a_stored_id_is_refused_as_a_duplicate_and_writes_nothing()
    {
        var options = await fixture.SchemaForAsync(GetType());
        var store = new PostgresEventStore(fixture.DataSource, TestSupport.NewRegistry(), options);
        var stream = TestData.NewStream("copy-dup");
        var stored = TestData.Increments(2);
        await store.AppendAsync(stream, ExpectedVersion.NoStream, stored, Ct);
        var batch = TestData.Increments(Threshold, 100);
        batch[Threshold / 2] = stored[1];

        // The expectation holds, so the COPY runs and the unique index refuses the row.
        var duplicate = await Assert.ThrowsAsync<DuplicateEventIdException>(() => store.AppendAsync(stream, ExpectedVersion.Exactly(2), batch, Ct).AsTask());

        Assert.Equal((stored[1].EventId, 2L), (duplicate.EventId, duplicate.StoredVersion));
        Assert.Equal(2, await store.GetStreamVersionAsync(stream, Ct));
        Assert.Equal(stored.Select(e => e.EventId), (await store.ReadStreamListAsync(stream)).Select(e => e.EventId));
    }

    [Fact]
    public async Task Retrying_a_COPY_batch_returns_the_stored_result_and_a_stale_expectation_is_a_conflict()
    {
        var options = await fixture.SchemaForAsync(GetType());
        var store = new PostgresEventStore(fixture.DataSource, TestSupport.NewRegistry(), options);
        var stream = TestData.NewStream("copy-retry");
        var first = TestData.Increments(Threshold);
        var second = TestData.Increments(Threshold, 10_000);
        var created = await store.AppendAsync(stream, ExpectedVersion.NoStream, first, Ct);
        var moved = await store.AppendAsync(stream, ExpectedVersion.Exactly(Threshold), second, Ct);

        var createdAgain = await store.AppendAsync(stream, ExpectedVersion.NoStream, first, Ct);
        var movedAgain = await store.AppendAsync(stream, ExpectedVersion.Exactly(Threshold), second, Ct);
        var stale = await Assert.ThrowsAsync<WrongExpectedVersionException>(() => store.AppendAsync(stream, ExpectedVersion.Exactly(Threshold), TestData.Increments(Threshold, 20_000), Ct).AsTask());

        Assert.Equal((created.NextExpectedVersion, created.Position, true), (createdAgain.NextExpectedVersion, createdAgain.Position, createdAgain.AlreadyAppended));
        Assert.Equal((moved.NextExpectedVersion, moved.Position, true), (movedAgain.NextExpectedVersion, movedAgain.Position, movedAgain.AlreadyAppended));
        Assert.Equal(2L * Threshold, stale.ActualVersion);
        Assert.Equal(first.Concat(second).Select(e => e.EventId), (await store.ReadStreamListAsync(stream)).Select(e => e.EventId));
    }

    [Fact]
    public async Task Cancelling_a_COPY_append_that_waits_for_the_stream_writes_nothing()
    {
        var options = await fixture.SchemaForAsync(GetType());
        var s = $"\"{options.Schema}\"";
        var stream = TestData.NewStream("copy-cancel");
        var store = new PostgresEventStore(fixture.DataSource, TestSupport.NewRegistry(), options);
        await store.AppendAsync(stream, ExpectedVersion.NoStream, TestData.Increments(2), Ct);

        // Another transaction holds the stream's row: the COPY append waits in its stream write.
        await using var holder = await TestSupport.HoldAsync(fixture.ConnectionString, $"select version from {s}.streams where stream_id = $1 for update", stream);
        const string Application = "copy-cancel-waiter";
        await using var waiterSource = TestSupport.NamedSource(fixture.ConnectionString, Application);
        var waiter = new PostgresEventStore(waiterSource, TestSupport.NewRegistry(), options);
        var batch = TestData.Increments(Threshold, 100);
        using var cancel = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        var append = waiter.AppendAsync(stream, ExpectedVersion.Exactly(2), batch, cancel.Token).AsTask();
        await fixture.DataSource.WaitForLockAsync(Application);

        await cancel.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => append);
        await holder.Transaction.RollbackAsync(Ct);

        Assert.Equal(2, await store.GetStreamVersionAsync(stream, Ct));
        Assert.Equal(2L, await fixture.DataSource.ScalarAsync($"select count(*) from {s}.events where stream_id = $1", stream.Value));

        // Nothing of it was kept: the same batch goes in afterwards as a new append.
        var again = await store.AppendAsync(stream, ExpectedVersion.Exactly(2), batch, Ct);
        Assert.Equal((2L + Threshold, false), (again.NextExpectedVersion, again.AlreadyAppended));
    }
}
