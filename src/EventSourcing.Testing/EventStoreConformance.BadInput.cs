using Xunit;

namespace EventSourcing.Testing;

public abstract partial class EventStoreConformance
{
    public static TheoryData<string?> InvalidStreamIds => new() { (string?)null, "", " ", "\t\n", new string('x', StreamId.MaxLength + 1), "a\u0000b", "line\nbreak", "bell\u0007" };

    [Theory]
    [MemberData(nameof(InvalidStreamIds))]
    public void Invalid_stream_ids_are_rejected_with_a_clear_exception(string? id)
    {
        var ex = Assert.ThrowsAny<ArgumentException>(() => new StreamId(id!));
        Assert.False(string.IsNullOrWhiteSpace(ex.Message));
    }

    [Fact]
    public async Task A_default_stream_id_is_rejected_and_nothing_is_written()
    {
        var store = await StoreAsync();
        var head = await HeadAsync(store);
        await Assert.ThrowsAnyAsync<ArgumentException>(() => store.AppendAsync(default, ExpectedVersion.Any, TestData.Increments(1), Ct).AsTask());
        await Assert.ThrowsAnyAsync<ArgumentException>(() => store.GetStreamVersionAsync(default, Ct).AsTask());
        Assert.Equal(head, await HeadAsync(store));
    }

    [Fact]
    public async Task A_default_expected_version_is_rejected_and_nothing_is_written()
    {
        var store = await StoreAsync();
        var stream = TestData.NewStream();
        var head = await HeadAsync(store);
        var ex = await Assert.ThrowsAnyAsync<ArgumentException>(() => store.AppendAsync(stream, default, TestData.Increments(1), Ct).AsTask());
        Assert.Contains("ExpectedVersion", ex.Message, StringComparison.Ordinal);
        Assert.Equal(0, await store.GetStreamVersionAsync(stream, Ct));
        Assert.Equal(head, await HeadAsync(store));
    }

    [Fact]
    public async Task An_empty_or_null_event_list_is_rejected()
    {
        var store = await StoreAsync();
        var stream = TestData.NewStream();
        await Assert.ThrowsAnyAsync<ArgumentException>(() => store.AppendAsync(stream, ExpectedVersion.Any, [], Ct).AsTask());
        await Assert.ThrowsAnyAsync<ArgumentException>(() => store.AppendAsync(stream, ExpectedVersion.Any, null!, Ct).AsTask());
        Assert.Equal(0, await store.GetStreamVersionAsync(stream, Ct));
    }

    [Fact]
    public async Task A_null_event_is_rejected_and_nothing_is_written()
    {
        var store = await StoreAsync();
        var stream = TestData.NewStream();
        Assert.Throws<ArgumentNullException>(() => new EventData(null!));
        var events = new EventData[] { new(new Incremented(1)), null! };
        await Assert.ThrowsAnyAsync<ArgumentException>(() => store.AppendAsync(stream, ExpectedVersion.Any, events, Ct).AsTask());
        Assert.Equal(0, await store.GetStreamVersionAsync(stream, Ct));
    }

    [Fact]
    public async Task An_unregistered_event_type_is_rejected_and_nothing_of_the_batch_is_written()
    {
        var store = await StoreAsync();
        var stream = TestData.NewStream();
        var events = new[] { new EventData(new Incremented(1)), new EventData(new NeverRegistered(2)) };

        var ex = await Assert.ThrowsAsync<UnknownEventTypeException>(() => store.AppendAsync(stream, ExpectedVersion.Any, events, Ct).AsTask());

        Assert.Equal(typeof(NeverRegistered), ex.ClrType);
        Assert.Contains(nameof(NeverRegistered), ex.Message, StringComparison.Ordinal);
        Assert.Equal(0, await store.GetStreamVersionAsync(stream, Ct));
    }

    [Fact]
    public async Task Duplicate_event_ids_in_one_batch_are_rejected()
    {
        var store = await StoreAsync();
        var stream = TestData.NewStream();
        var id = Guid.CreateVersion7();
        var events = new[] { new EventData(new Incremented(1), eventId: id), new EventData(new Incremented(2), eventId: id) };
        await Assert.ThrowsAnyAsync<ArgumentException>(() => store.AppendAsync(stream, ExpectedVersion.Any, events, Ct).AsTask());
        Assert.Equal(0, await store.GetStreamVersionAsync(stream, Ct));
    }

    [Fact]
    public async Task Invalid_read_arguments_are_rejected()
    {
        var store = await StoreAsync();
        var stream = TestData.NewStream();
        await Assert.ThrowsAnyAsync<ArgumentException>(async () => await ReadAsync(store, stream, from: 0));
        await Assert.ThrowsAnyAsync<ArgumentException>(async () => await ReadAsync(store, stream, max: -1));
        await Assert.ThrowsAnyAsync<ArgumentException>(async () => await ReadAllAsync(store, GlobalPosition.Start, -1));
    }

    [Fact]
    public async Task A_cancelled_append_writes_nothing()
    {
        var store = await StoreAsync();
        var stream = TestData.NewStream();
        using var cts = new CancellationTokenSource();
        await cts.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => store.AppendAsync(stream, ExpectedVersion.Any, TestData.Increments(1), cts.Token).AsTask());
        Assert.Equal(0, await store.GetStreamVersionAsync(stream, Ct));
    }
}
