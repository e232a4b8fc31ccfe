using EventSourcing.Aggregates;
using EventSourcing.Serialization;
using EventSourcing.Testing;
using Xunit;

namespace EventSourcing.Postgres.Tests;

public sealed class CorruptionTests(PostgresFixture fixture)
{
    private static CancellationToken Ct => TestSupport.Ct;

    [Theory]
    [InlineData("{\"by\":\"not a number\"}")]
    [InlineData("[1,2,3]")]
    [InlineData("null")]
    [InlineData("{\"by\":1e400}")]
    public async Task A_corrupted_payload_gives_an_error_naming_the_event(string json)
    {
        var (store, stream, badId, _) = await StoreWithBadRowAsync("incremented", json, metadata: null);

        var fromStream = await Assert.ThrowsAsync<EventDeserializationException>(() => store.ReadStreamListAsync(stream));
        var fromLog = await Assert.ThrowsAsync<EventDeserializationException>(() => store.ReadAllListAsync(GlobalPosition.Start));
        var fromReplay = await Assert.ThrowsAsync<EventDeserializationException>(async () => await store.ReadReplayAsync(stream, cancellationToken: Ct).ToListAsync(Ct));

        foreach (var error in new[] { fromStream, fromLog, fromReplay })
        {
            Assert.Equal(badId, error.EventId);
            Assert.Equal(stream, error.StreamId);
            Assert.Equal(2, error.StreamVersion);
            Assert.Equal("incremented", error.TypeName);
            Assert.Contains(badId.ToString(), error.Message, StringComparison.Ordinal);
        }

        // The event before it is still readable on its own.
        await foreach (var e in store.ReadStreamAsync(stream, 1, 1, Ct))
        {
            Assert.Equal(1, e.StreamVersion);
        }
    }

    [Fact]
    public async Task Corrupted_metadata_gives_an_error_naming_the_event()
    {
        var (store, stream, badId, _) = await StoreWithBadRowAsync("incremented", "{\"by\":1}", metadata: "[\"not\",\"an\",\"object\"]");

        var error = await Assert.ThrowsAsync<EventDeserializationException>(() => store.ReadStreamListAsync(stream));

        Assert.Equal(badId, error.EventId);
        Assert.Contains(badId.ToString(), error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_unknown_stored_type_gives_an_error_naming_the_event()
    {
        var (store, stream, badId, _) = await StoreWithBadRowAsync("renamed-long-ago", "{\"by\":1}", metadata: null);

        var error = await Assert.ThrowsAsync<UnknownEventTypeException>(() => store.ReadStreamListAsync(stream));
        var fromReplay = await Assert.ThrowsAsync<UnknownEventTypeException>(async () => await store.ReadReplayAsync(stream, cancellationToken: Ct).ToListAsync(Ct));

        Assert.Equal(badId, error.EventId);
        Assert.Equal("renamed-long-ago", error.TypeName);
        Assert.Equal((badId, "renamed-long-ago"), (fromReplay.EventId, fromReplay.TypeName));
    }

    [Fact]
    public async Task A_load_reads_only_the_replays_columns_so_corrupted_metadata_does_not_stop_it()
    {
        // The metadata column is never fetched by a replay (IStreamReplayReader, and the snapshot tail's
        // statement): a full read names the bad row, a load replays it.
        var (store, stream, badId, options) = await StoreWithBadRowAsync("incremented", "{\"by\":2}", metadata: "[\"not\",\"an\",\"object\"]");
        var registry = TestSupport.NewRegistry();
        var snapshots = new PostgresSnapshotStore(fixture.DataSource, options);
        Assert.Equal(badId, (await Assert.ThrowsAsync<EventDeserializationException>(() => store.ReadStreamListAsync(stream))).EventId);

        var replayed = await store.ReadReplayAsync(stream, cancellationToken: Ct).ToListAsync(Ct);
        Assert.Equal([(1L, 1), (2L, 2)], replayed.Select(e => (e.StreamVersion, ((Incremented)e.Event).By)));
        Assert.Equal(badId, replayed[1].EventId);

        var loaded = await new AggregateRepository<Counter>(store, registry).LoadAsync(stream, Ct);
        Assert.Equal((2L, 3), (loaded.Version, loaded.Total));
        var tail = await store.ReadSnapshotTailAsync(snapshots, stream, long.MaxValue, Ct);
        Assert.Equal([1, 2], tail!.Events.Select(e => ((Incremented)e.Event).By));
        var fromSnapshotTail = await new AggregateRepository<Counter>(store, registry, snapshots).LoadAsync(stream, Ct);
        Assert.Equal((2L, 3), (fromSnapshotTail.Version, fromSnapshotTail.Total));
    }

    [Fact]
    public async Task Under_ReturnUnreadable_a_corrupted_row_comes_back_as_an_unreadable_event_with_its_payload()
    {
        var registry = TestData.NewRegistry();
        registry.UnreadableEvents = UnreadableEventPolicy.ReturnUnreadable;
        var (_, stream, badId, options) = await StoreWithBadRowAsync("incremented", "{\"by\":\"x\"}", metadata: null);
        var store = new PostgresEventStore(fixture.DataSource, registry, options);

        var read = await store.ReadStreamListAsync(stream);

        Assert.Equal(2, read.Count);
        var unreadable = Assert.IsType<UnreadableEvent>(read[1].Event);
        Assert.Equal(badId, read[1].EventId);
        Assert.Equal("{\"by\":\"x\"}", System.Text.Encoding.UTF8.GetString(unreadable.Payload.Span));
        Assert.IsType<EventDeserializationException>(unreadable.Error);
    }

    [Fact]
    public async Task Each_row_keeps_its_own_stored_type_name_when_a_read_meets_more_names_than_it_caches()
    {
        // Reads find a row's type name by its UTF-8 bytes among the names the read met (RowBuffers): names
        // of one length with a shared prefix, one that is a prefix of another, non-ASCII ones, and more
        // distinct names than the read keeps, interleaved; each row must come back with its own name.
        var options = await fixture.CreateSchemaAsync("typenames");
        var registry = TestData.NewRegistry();
        registry.UnreadableEvents = UnreadableEventPolicy.ReturnUnreadable;
        var store = new PostgresEventStore(fixture.DataSource, registry, options);
        var stream = TestData.NewStream("typenames");
        var names = Enumerable.Range(0, 80).Select(i => $"gone-{i:D2}")
            .Concat(["gone", "gone-0", "gone-00x", "gône-00", "gone-é", "gone-è"])
            .ToArray();
        var stored = Enumerable.Range(0, 3 * names.Length).Select(i => names[(i * 7) % names.Length]).ToArray();
        for (var v = 1; v <= stored.Length; v++)
        {
            await fixture.DataSource.ExecuteAsync(
                $"insert into \"{options.Schema}\".events (stream_id, version, event_id, event_type, data, created_at) values ($1, $2, $3, $4, '{{}}'::json, now())",
                stream.Value, (long)v, Guid.CreateVersion7(), stored[v - 1]);
        }

        await fixture.DataSource.ExecuteAsync($"insert into \"{options.Schema}\".streams (stream_id, version, created_at, updated_at) values ($1, $2, now(), now())", stream.Value, (long)stored.Length);

        var read = await store.ReadStreamListAsync(stream);
        var log = await store.ReadAllListAsync(GlobalPosition.Start);

        Assert.Equal(stored, read.Select(e => e.EventType));
        Assert.Equal(stored, read.Select(e => Assert.IsType<UnreadableEvent>(e.Event).StoredType));
        Assert.Equal(stored, log.Select(e => e.EventType));
    }

    /// <summary>Appends one good event, then writes a second row directly as the table owner, bypassing the store.</summary>
    private async Task<(PostgresEventStore Store, StreamId Stream, Guid BadId, PostgresOptions Options)> StoreWithBadRowAsync(string type, string json, string? metadata)
    {
        // A schema of its own: the bad row can never be removed (events are immutable).
        var options = await fixture.CreateSchemaAsync("corrupt");
        var store = new PostgresEventStore(fixture.DataSource, TestSupport.NewRegistry(), options);
        var stream = TestData.NewStream("corrupt");
        await store.AppendAsync(stream, ExpectedVersion.NoStream, TestData.Increments(1), Ct);
        var badId = Guid.CreateVersion7();
        await fixture.DataSource.ExecuteAsync(
            $"insert into \"{options.Schema}\".events (stream_id, version, event_id, event_type, data, metadata, created_at) values ($1, 2, $2, $3, $4::json, $5::json, now())",
            stream.Value, badId, type, json, (object?)metadata ?? DBNull.Value);
        await fixture.DataSource.ExecuteAsync($"update \"{options.Schema}\".streams set version = 2 where stream_id = $1", stream.Value);
        return (store, stream, badId, options);
    }
}
