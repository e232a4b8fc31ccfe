using EventSourcing.Testing;
using Xunit;

namespace EventSourcing.Postgres.Tests;

/// <summary>What the Postgres store does beyond the shared contract: storage format, positions, SQLSTATE mapping.</summary>
public sealed class AppendTests(PostgresFixture fixture)
{
    private static CancellationToken Ct => TestSupport.Ct;

    [Fact]
    public async Task Events_are_stored_as_readable_json_with_metadata_the_clock_time_and_the_transaction_id()
    {
        var options = await fixture.SchemaForAsync(GetType());
        var at = new DateTimeOffset(2026, 5, 6, 7, 8, 9, TimeSpan.FromHours(2));
        var store = new PostgresEventStore(fixture.DataSource, TestSupport.NewRegistry(), options, new ManualTimeProvider(at));
        var stream = TestData.NewStream("format");
        var metadata = new EventMetadata { CorrelationId = "c-9" };

        var result = await store.AppendAsync(stream, ExpectedVersion.NoStream, [new EventData(new Incremented(42), metadata), new EventData(new Noted("n"))], Ct);

        var s = $"\"{options.Schema}\"";
        Assert.Equal("42", await fixture.DataSource.ScalarAsync($"select data->>'by' from {s}.events where stream_id = $1 and version = 1", stream.Value));
        Assert.Equal("c-9", await fixture.DataSource.ScalarAsync($"select metadata->>'correlationId' from {s}.events where stream_id = $1 and version = 1", stream.Value));
        Assert.Equal(DBNull.Value, await fixture.DataSource.ScalarAsync($"select coalesce(metadata::text, null) from {s}.events where stream_id = $1 and version = 2", stream.Value) ?? DBNull.Value);
        Assert.Equal(at.UtcDateTime, await fixture.DataSource.ScalarAsync($"select created_at from {s}.events where stream_id = $1 and version = 2", stream.Value));
        Assert.Equal(result.Position.ToParts().Major.ToString(System.Globalization.CultureInfo.InvariantCulture), await fixture.DataSource.ScalarAsync($"select tx_id::text from {s}.events where stream_id = $1 and version = 2", stream.Value));
        Assert.Equal(result.Position.ToParts().Minor, await fixture.DataSource.ScalarAsync($"select global_position from {s}.events where stream_id = $1 and version = 2", stream.Value));

        var read = await store.ReadStreamListAsync(stream);
        Assert.Equal(at, read[0].Timestamp);
        Assert.Equal(read[0].Position.ToParts().Major, read[1].Position.ToParts().Major);
        Assert.Equal(result.Position, read[1].Position);
    }

    [Fact]
    public async Task A_wrong_expected_version_carries_the_actual_version_for_every_mode()
    {
        var store = new PostgresEventStore(fixture.DataSource, TestSupport.NewRegistry(), await fixture.SchemaForAsync(GetType()));
        var stream = TestData.NewStream("wev");
        await store.AppendAsync(stream, ExpectedVersion.NoStream, TestData.Increments(3), Ct);

        var exact = await Assert.ThrowsAsync<WrongExpectedVersionException>(() => store.AppendAsync(stream, ExpectedVersion.Exactly(2), TestData.Increments(1), Ct).AsTask());
        var noStream = await Assert.ThrowsAsync<WrongExpectedVersionException>(() => store.AppendAsync(stream, ExpectedVersion.NoStream, TestData.Increments(1), Ct).AsTask());
        var ahead = await Assert.ThrowsAsync<WrongExpectedVersionException>(() => store.AppendAsync(stream, ExpectedVersion.Exactly(9), TestData.Increments(1), Ct).AsTask());
        var missing = TestData.NewStream("wev-missing");
        var exists = await Assert.ThrowsAsync<WrongExpectedVersionException>(() => store.AppendAsync(missing, ExpectedVersion.StreamExists, TestData.Increments(1), Ct).AsTask());
        var exactOnMissing = await Assert.ThrowsAsync<WrongExpectedVersionException>(() => store.AppendAsync(missing, ExpectedVersion.Exactly(1), TestData.Increments(1), Ct).AsTask());

        Assert.Equal((ExpectedVersion.Exactly(2), 3L), (exact.Expected, exact.ActualVersion!.Value));
        Assert.Equal((ExpectedVersion.NoStream, 3L), (noStream.Expected, noStream.ActualVersion!.Value));
        Assert.Equal(3L, ahead.ActualVersion);
        Assert.Equal((missing, ExpectedVersion.StreamExists, 0L), (exists.StreamId, exists.Expected, exists.ActualVersion!.Value));
        Assert.Equal(0L, exactOnMissing.ActualVersion);
        Assert.Equal(3, await store.GetStreamVersionAsync(stream, Ct));
        Assert.Equal(0, await store.GetStreamVersionAsync(missing, Ct));
    }

    [Fact]
    public async Task A_batch_of_twenty_thousand_events_goes_in_with_one_call_and_reads_back_across_pages()
    {
        const int Count = 20_000;
        var options = await fixture.CreateSchemaAsync("large");
        var store = new PostgresEventStore(fixture.DataSource, TestSupport.NewRegistry(), options);
        var stream = TestData.NewStream("large");
        var batch = TestData.Increments(Count);

        var result = await store.AppendAsync(stream, ExpectedVersion.NoStream, batch, Ct);
        var again = await store.AppendAsync(stream, ExpectedVersion.NoStream, batch, Ct);

        Assert.Equal(Count, result.NextExpectedVersion);
        Assert.True(again.AlreadyAppended);
        Assert.Equal(result.Position, again.Position);
        var read = await store.ReadStreamListAsync(stream);
        Assert.Equal(Enumerable.Range(1, Count).Select(v => (long)v), read.Select(e => e.StreamVersion));
        Assert.Equal(batch.Select(e => e.EventId), read.Select(e => e.EventId));
        Assert.Single(read.Select(e => e.Position.ToParts().Major).Distinct());

        var partial = new List<EventEnvelope>();
        await foreach (var e in store.ReadStreamAsync(stream, 4_990, 5_020, Ct))
        {
            partial.Add(e);
        }

        Assert.Equal(Enumerable.Range(4_990, 5_020).Select(v => (long)v), partial.Select(e => e.StreamVersion));
        var all = await store.ReadAllListAsync(GlobalPosition.Start);
        Assert.Equal(read.Select(e => e.EventId), all.Select(e => e.EventId));
        Assert.Equal(12_345, (await store.ReadAllListAsync(GlobalPosition.Start, 12_345)).Count);
    }

    [Fact]
    public async Task A_duplicate_version_is_still_refused_by_the_primary_key_when_the_stream_row_lags()
    {
        var options = await fixture.SchemaForAsync(GetType());
        var store = new PostgresEventStore(fixture.DataSource, TestSupport.NewRegistry(), options);
        var stream = TestData.NewStream("backstop");
        await store.AppendAsync(stream, ExpectedVersion.NoStream, TestData.Increments(3), Ct);

        // Damage only the streams row (e.g. a bad manual repair): the function's check now passes at 1.
        await fixture.DataSource.ExecuteAsync($"update \"{options.Schema}\".streams set version = 1 where stream_id = $1", stream.Value);

        var conflict = await Assert.ThrowsAsync<WrongExpectedVersionException>(() => store.AppendAsync(stream, ExpectedVersion.Exactly(1), TestData.Increments(1, 100), Ct).AsTask());

        Assert.Equal(stream, conflict.StreamId);
        Assert.Null(conflict.ActualVersion);
        Assert.Equal([1, 2, 3], (await store.ReadStreamListAsync(stream)).Select(e => ((Incremented)e.Event).By));
        Assert.Equal(1L, await fixture.DataSource.ScalarAsync($"select version from \"{options.Schema}\".streams where stream_id = $1", stream.Value));
    }

    [Fact]
    public async Task A_disposed_store_refuses_calls()
    {
        var store = new PostgresEventStore(fixture.DataSource, TestSupport.NewRegistry(), await fixture.SchemaForAsync(GetType()));
        await store.DisposeAsync();
        await Assert.ThrowsAsync<ObjectDisposedException>(() => store.AppendAsync(StreamId.From("x"), ExpectedVersion.Any, TestData.Increments(1), Ct).AsTask());
        Assert.Throws<ObjectDisposedException>(() => store.ReadAllAsync(GlobalPosition.Start, cancellationToken: Ct));
        Assert.Equal(1, await fixture.DataSource.ScalarAsync("select 1"));
    }
}
