using Xunit;

namespace EventSourcing.Testing;

public abstract partial class EventStoreConformance
{
    [Fact]
    public async Task Re_appending_the_same_events_at_the_same_exact_version_writes_nothing()
    {
        var store = await StoreAsync();
        var stream = TestData.NewStream();
        await store.AppendAsync(stream, ExpectedVersion.NoStream, TestData.Increments(2), Ct);
        var batch = TestData.Increments(3, 10);
        var first = await store.AppendAsync(stream, ExpectedVersion.Exactly(2), batch, Ct);

        var again = await store.AppendAsync(stream, ExpectedVersion.Exactly(2), batch, Ct);

        Assert.True(again.AlreadyAppended);
        Assert.Equal(first.NextExpectedVersion, again.NextExpectedVersion);
        Assert.Equal(first.Position, again.Position);
        var read = await ReadAsync(store, stream);
        Assert.Equal(5, read.Count);
        Assert.Equal(5, read.Select(e => e.EventId).Distinct().Count());
    }

    [Fact]
    public async Task Re_appending_a_first_batch_with_NoStream_is_idempotent()
    {
        var store = await StoreAsync();
        var stream = TestData.NewStream();
        var batch = TestData.Increments(2);
        await store.AppendAsync(stream, ExpectedVersion.NoStream, batch, Ct);
        await store.AppendAsync(stream, ExpectedVersion.Exactly(2), TestData.Increments(1, 3), Ct);

        var again = await store.AppendAsync(stream, ExpectedVersion.NoStream, batch, Ct);

        Assert.True(again.AlreadyAppended);
        Assert.Equal(2, again.NextExpectedVersion);
        Assert.Equal(3, (await ReadAsync(store, stream)).Count);
    }

    [Fact]
    public async Task Re_appending_the_last_events_with_Any_is_idempotent()
    {
        var store = await StoreAsync();
        var stream = TestData.NewStream();
        var batch = TestData.Increments(2);
        await store.AppendAsync(stream, ExpectedVersion.Any, batch, Ct);

        var again = await store.AppendAsync(stream, ExpectedVersion.Any, batch, Ct);
        var exists = await store.AppendAsync(stream, ExpectedVersion.StreamExists, batch, Ct);

        Assert.True(again.AlreadyAppended);
        Assert.True(exists.AlreadyAppended);
        Assert.Equal(2, (await ReadAsync(store, stream)).Count);
    }

    [Fact]
    public async Task A_partly_stored_batch_is_refused_as_a_duplicate_event_id()
    {
        var store = await StoreAsync();
        var stream = TestData.NewStream();
        var stored = TestData.Increments(2);
        await store.AppendAsync(stream, ExpectedVersion.NoStream, stored, Ct);
        var mixed = new[] { stored[0], new EventData(new Incremented(99)) };

        // The event-id rule comes before the expectation (which NoStream would fail too).
        var ex = await Assert.ThrowsAsync<DuplicateEventIdException>(() => store.AppendAsync(stream, ExpectedVersion.NoStream, mixed, Ct).AsTask());

        Assert.Equal(stored[0].EventId, ex.EventId);
        Assert.Equal(1, ex.StoredVersion);
        Assert.Equal(2, (await ReadAsync(store, stream)).Count);
    }

    [Fact]
    public async Task Same_event_id_in_another_stream_is_a_different_event()
    {
        var store = await StoreAsync();
        var id = Guid.CreateVersion7();
        var a = await store.AppendAsync(TestData.NewStream(), ExpectedVersion.NoStream, [new EventData(new Incremented(1), eventId: id)], Ct);
        var b = await store.AppendAsync(TestData.NewStream(), ExpectedVersion.NoStream, [new EventData(new Incremented(1), eventId: id)], Ct);
        Assert.False(a.AlreadyAppended);
        Assert.False(b.AlreadyAppended);
    }
}
