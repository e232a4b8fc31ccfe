using EventSourcing.Serialization;
using EventSourcing.Storage;
using Xunit;

namespace EventSourcing.Testing;

/// <summary>
/// The behaviour every <see cref="IEventStore"/> must have. A backend derives one class and provides
/// its store; the tests use unique stream ids, so a store may be shared between tests.
/// </summary>
public abstract partial class EventStoreConformance
{
    /// <summary>Creates (or hands out) a store using this registry and clock.</summary>
    protected abstract ValueTask<IEventStore> CreateEventStoreAsync(EventTypeRegistry registry, TimeProvider timeProvider);

    private ValueTask<IEventStore> StoreAsync(TimeProvider? time = null) => CreateEventStoreAsync(TestData.NewRegistry(), time ?? new ManualTimeProvider());

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static async Task<List<EventEnvelope>> ReadAsync(IEventStore store, StreamId stream, long from = 1, long max = long.MaxValue)
    {
        var result = new List<EventEnvelope>();
        await foreach (var e in store.ReadStreamAsync(stream, from, max, Ct))
        {
            result.Add(e);
        }

        return result;
    }

    private static async Task<List<EventEnvelope>> ReadBackwardsAsync(IEventStore store, StreamId stream, long from = long.MaxValue, long max = long.MaxValue)
    {
        var result = new List<EventEnvelope>();
        await foreach (var e in store.ReadStreamBackwardsAsync(stream, from, max, Ct))
        {
            result.Add(e);
        }

        return result;
    }

    private static async Task<List<EventEnvelope>> ReadAllAsync(IEventStore store, GlobalPosition after, long max = long.MaxValue)
    {
        var result = new List<EventEnvelope>();
        await foreach (var e in store.ReadAllAsync(after, max, cancellationToken: Ct))
        {
            result.Add(e);
        }

        return result;
    }

    /// <summary>
    /// Waits until a global-log read sees the append that returned <paramref name="appended"/> (at most 30 s):
    /// a gap-safe log may lag acknowledged appends while another transaction of the database (another
    /// test's) is still open, and shows them once it ends.
    /// </summary>
    private static async Task VisibleAsync(IEventStore store, AppendResult appended)
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (await store.GetHeadPositionAsync(Ct) < appended.Position)
        {
            Assert.True(DateTime.UtcNow < deadline, $"The global log did not show position {appended.Position} within 30 s.");
            await Task.Delay(5, Ct);
        }
    }

    /// <summary>The position of the last event in the global log now (Start when empty).</summary>
    private static async Task<GlobalPosition> HeadAsync(IEventStore store)
    {
        var head = GlobalPosition.Start;
        while (true)
        {
            var page = await ReadAllAsync(store, head, 10_000);
            if (page.Count == 0)
            {
                return head;
            }

            head = page[^1].Position;
        }
    }

    [Fact]
    public async Task Append_then_read_round_trips_events_ids_metadata_and_timestamp()
    {
        var time = new ManualTimeProvider(new DateTimeOffset(2026, 3, 4, 5, 6, 7, TimeSpan.Zero));
        var store = await StoreAsync(time);
        var stream = TestData.NewStream();
        var metadata = new EventMetadata
        {
            CorrelationId = "corr-1",
            CausationId = "cause-1",
            Headers = new Dictionary<string, string> { ["user"] = "alice", ["ü"] = "ñ \"quoted\"" },
        };
        var id = Guid.CreateVersion7();
        var events = new[] { new EventData(new Incremented(5), metadata, id), new EventData(new Noted("hello \u00e9\u4e16 \"q\" \\")) };

        var result = await store.AppendAsync(stream, ExpectedVersion.NoStream, events, Ct);

        Assert.Equal(2, result.NextExpectedVersion);
        Assert.False(result.AlreadyAppended);
        var read = await ReadAsync(store, stream);
        Assert.Equal(2, read.Count);
        Assert.Equal(id, read[0].EventId);
        Assert.Equal(events[1].EventId, read[1].EventId);
        Assert.Equal(7, read[1].EventId.Version);
        Assert.Equal(new Incremented(5), read[0].Event);
        Assert.Equal(new Noted("hello \u00e9\u4e16 \"q\" \\"), read[1].Event);
        Assert.Equal("incremented", read[0].EventType);
        Assert.Equal("noted", read[1].EventType);
        Assert.Equal(metadata, read[0].Metadata);
        Assert.True(read[1].Metadata.IsEmpty);
        Assert.Equal(stream, read[0].StreamId);
        Assert.Equal([1L, 2L], read.Select(e => e.StreamVersion));
        Assert.Equal(time.GetUtcNow(), read[0].Timestamp);
        Assert.Equal(result.Position, read[1].Position);
        Assert.True(read[0].Position < read[1].Position);
    }

    [Fact]
    public async Task Versions_are_contiguous_from_one_across_appends()
    {
        var store = await StoreAsync();
        var stream = TestData.NewStream();
        await store.AppendAsync(stream, ExpectedVersion.NoStream, TestData.Increments(3), Ct);
        var second = await store.AppendAsync(stream, ExpectedVersion.Exactly(3), TestData.Increments(2, 4), Ct);

        Assert.Equal(5, second.NextExpectedVersion);
        Assert.Equal(5, await store.GetStreamVersionAsync(stream, Ct));
        var read = await ReadAsync(store, stream);
        Assert.Equal([1L, 2L, 3L, 4L, 5L], read.Select(e => e.StreamVersion));
        Assert.Equal([1, 2, 3, 4, 5], read.Select(e => ((Incremented)e.Event).By));
    }

    [Fact]
    public async Task Missing_stream_reads_empty_and_has_version_zero()
    {
        var store = await StoreAsync();
        var stream = TestData.NewStream();
        Assert.Empty(await ReadAsync(store, stream));
        Assert.Equal(0, await store.GetStreamVersionAsync(stream, Ct));
    }

    [Fact]
    public async Task NoStream_fails_on_an_existing_stream_and_writes_nothing()
    {
        var store = await StoreAsync();
        var stream = TestData.NewStream();
        await store.AppendAsync(stream, ExpectedVersion.NoStream, TestData.Increments(2), Ct);

        var ex = await Assert.ThrowsAsync<WrongExpectedVersionException>(() => store.AppendAsync(stream, ExpectedVersion.NoStream, TestData.Increments(1), Ct).AsTask());

        Assert.Equal(stream, ex.StreamId);
        Assert.Equal(ExpectedVersion.NoStream, ex.Expected);
        Assert.Equal(2, ex.ActualVersion);
        Assert.Equal(2, (await ReadAsync(store, stream)).Count);
    }

    [Fact]
    public async Task StreamExists_fails_on_a_new_stream_and_succeeds_on_an_existing_one()
    {
        var store = await StoreAsync();
        var stream = TestData.NewStream();

        var ex = await Assert.ThrowsAsync<WrongExpectedVersionException>(() => store.AppendAsync(stream, ExpectedVersion.StreamExists, TestData.Increments(1), Ct).AsTask());
        Assert.Equal(0, ex.ActualVersion);
        Assert.Equal(ExpectedVersion.StreamExists, ex.Expected);
        Assert.Equal(0, await store.GetStreamVersionAsync(stream, Ct));

        await store.AppendAsync(stream, ExpectedVersion.NoStream, TestData.Increments(1), Ct);
        var result = await store.AppendAsync(stream, ExpectedVersion.StreamExists, TestData.Increments(1), Ct);
        Assert.Equal(2, result.NextExpectedVersion);
    }

    [Fact]
    public async Task Exact_version_succeeds_when_current_and_fails_when_stale()
    {
        var store = await StoreAsync();
        var stream = TestData.NewStream();
        await store.AppendAsync(stream, ExpectedVersion.NoStream, TestData.Increments(3), Ct);
        await store.AppendAsync(stream, ExpectedVersion.Exactly(3), TestData.Increments(1), Ct);

        var ex = await Assert.ThrowsAsync<WrongExpectedVersionException>(() => store.AppendAsync(stream, ExpectedVersion.Exactly(3), TestData.Increments(2, 100), Ct).AsTask());
        Assert.Equal(ExpectedVersion.Exactly(3), ex.Expected);
        Assert.Equal(4, ex.ActualVersion);

        var ahead = await Assert.ThrowsAsync<WrongExpectedVersionException>(() => store.AppendAsync(stream, ExpectedVersion.Exactly(9), TestData.Increments(1, 100), Ct).AsTask());
        Assert.Equal(4, ahead.ActualVersion);
        Assert.DoesNotContain(await ReadAsync(store, stream), e => ((Incremented)e.Event).By >= 100);
    }

    [Fact]
    public async Task Exact_version_on_a_missing_stream_fails()
    {
        var store = await StoreAsync();
        var stream = TestData.NewStream();
        var ex = await Assert.ThrowsAsync<WrongExpectedVersionException>(() => store.AppendAsync(stream, ExpectedVersion.Exactly(1), TestData.Increments(1), Ct).AsTask());
        Assert.Equal(0, ex.ActualVersion);
        Assert.Equal(0, await store.GetStreamVersionAsync(stream, Ct));
    }

    [Fact]
    public async Task Any_appends_to_new_and_existing_streams()
    {
        var store = await StoreAsync();
        var stream = TestData.NewStream();
        var first = await store.AppendAsync(stream, ExpectedVersion.Any, TestData.Increments(2), Ct);
        var second = await store.AppendAsync(stream, ExpectedVersion.Any, TestData.Increments(2, 3), Ct);
        Assert.Equal(2, first.NextExpectedVersion);
        Assert.Equal(4, second.NextExpectedVersion);
        Assert.Equal([1, 2, 3, 4], (await ReadAsync(store, stream)).Select(e => ((Incremented)e.Event).By));
    }

    [Fact]
    public async Task Reading_from_a_version_with_a_max_count_returns_that_slice()
    {
        var store = await StoreAsync();
        var stream = TestData.NewStream();
        await store.AppendAsync(stream, ExpectedVersion.NoStream, TestData.Increments(10), Ct);

        Assert.Equal([4L, 5L, 6L], (await ReadAsync(store, stream, 4, 3)).Select(e => e.StreamVersion));
        Assert.Equal([9L, 10L], (await ReadAsync(store, stream, 9)).Select(e => e.StreamVersion));
        Assert.Empty(await ReadAsync(store, stream, 11));
        Assert.Empty(await ReadAsync(store, stream, 1, 0));
    }

    [Fact]
    public async Task Reading_backwards_returns_the_newest_events_first_from_the_end_or_from_a_version()
    {
        var store = await StoreAsync();
        var stream = TestData.NewStream();
        await store.AppendAsync(stream, ExpectedVersion.NoStream, TestData.Increments(10), Ct);
        var forward = await ReadAsync(store, stream);

        var all = await ReadBackwardsAsync(store, stream);
        Assert.Equal(Enumerable.Range(1, 10).Reverse().Select(v => (long)v), all.Select(e => e.StreamVersion));
        Assert.Equal(forward.Select(e => (e.EventId, e.Position, e.EventType, ((Incremented)e.Event).By, e.Timestamp)).Reverse(), all.Select(e => (e.EventId, e.Position, e.EventType, ((Incremented)e.Event).By, e.Timestamp)));
        Assert.Equal([10L, 9L, 8L], (await ReadBackwardsAsync(store, stream, max: 3)).Select(e => e.StreamVersion));
        Assert.Equal([5L, 4L], (await ReadBackwardsAsync(store, stream, 5, 2)).Select(e => e.StreamVersion));
        Assert.Equal([1L], (await ReadBackwardsAsync(store, stream, 1)).Select(e => e.StreamVersion));
        Assert.Equal(10, (await ReadBackwardsAsync(store, stream, 100)).Count);
        Assert.Empty(await ReadBackwardsAsync(store, stream, max: 0));
        Assert.Empty(await ReadBackwardsAsync(store, TestData.NewStream()));
    }

    [Fact]
    public async Task Reading_backwards_refuses_bad_input()
    {
        var store = await StoreAsync();
        var stream = TestData.NewStream();
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => ReadBackwardsAsync(store, stream, 0));
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => ReadBackwardsAsync(store, stream, max: -1));
        await Assert.ThrowsAnyAsync<ArgumentException>(() => ReadBackwardsAsync(store, default));
    }

    [Fact]
    public async Task Reading_a_long_stream_backwards_returns_every_event_once_newest_first()
    {
        var store = await StoreAsync();
        var stream = TestData.NewStream();
        for (var batch = 0; batch < 5; batch++)
        {
            await store.AppendAsync(stream, ExpectedVersion.Exactly(batch * 2_500), TestData.Increments(2_500, (batch * 2_500) + 1), Ct);
        }

        var read = await ReadBackwardsAsync(store, stream, 12_000);
        Assert.Equal(12_000, read.Count);
        for (var i = 0; i < read.Count; i++)
        {
            Assert.Equal(12_000 - i, read[i].StreamVersion);
            Assert.Equal(12_000 - i, ((Incremented)read[i].Event).By);
        }
    }

    [Fact]
    public async Task Max_counts_are_longs_on_every_read_and_a_count_beyond_int_range_reads_everything()
    {
        var store = await StoreAsync();
        var stream = TestData.NewStream();
        var head = await HeadAsync(store);
        await VisibleAsync(store, await store.AppendAsync(stream, ExpectedVersion.NoStream, TestData.Increments(3), Ct));
        const long Huge = (long)int.MaxValue + 1;
        Assert.Equal(3, (await ReadAsync(store, stream, 1, Huge)).Count);
        Assert.Equal(3, (await ReadBackwardsAsync(store, stream, long.MaxValue, Huge)).Count);
        Assert.Equal(3, (await ReadAllAsync(store, head, Huge)).Count(e => e.StreamId == stream));
        Assert.Equal(3, await store.GetStreamVersionAsync(stream, Ct));
    }

    [Fact]
    public async Task Reading_a_long_stream_returns_every_event_in_order()
    {
        var store = await StoreAsync();
        var stream = TestData.NewStream();
        for (var batch = 0; batch < 5; batch++)
        {
            await store.AppendAsync(stream, ExpectedVersion.Exactly(batch * 2_500), TestData.Increments(2_500, (batch * 2_500) + 1), Ct);
        }

        var read = await ReadAsync(store, stream);
        Assert.Equal(12_500, read.Count);
        for (var i = 0; i < read.Count; i++)
        {
            Assert.Equal(i + 1, read[i].StreamVersion);
            Assert.Equal(i + 1, ((Incremented)read[i].Event).By);
        }
    }

    [Fact]
    public async Task Events_of_an_old_type_read_back_upcast_to_the_current_type_on_stream_and_global_reads()
    {
        var store = await StoreAsync();
        var stream = TestData.NewStream();
        var head = await HeadAsync(store);
        await VisibleAsync(store, await store.AppendAsync(stream, ExpectedVersion.NoStream, [new EventData(new LegacyIncremented(7)), new EventData(new Incremented(1))], Ct));

        var read = await ReadAsync(store, stream);
        Assert.Equal(new Incremented(7), read[0].Event);
        Assert.Equal("incremented", read[0].EventType);
        var global = (await ReadAllAsync(store, head)).Where(e => e.StreamId == stream).ToList();
        Assert.Equal(new Incremented(7), global[0].Event);
        Assert.Equal("incremented", global[0].EventType);
    }
}
