using System.Transactions;
using EventSourcing.Aggregates;
using EventSourcing.InMemory;
using Xunit;

namespace EventSourcing.Testing;

/// <summary>The guarantees of issue 14: one event id per stream, bounds, timestamps, ambient transactions.</summary>
public abstract partial class EventStoreConformance
{
    private static readonly DateTimeOffset Epoch = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);

    public static TheoryData<string> Expectations => new() { "any", "nostream", "streamexists", "exactly0", "exactly1", "exactly9" };

    private static ExpectedVersion Expectation(string name) => name switch
    {
        "any" => ExpectedVersion.Any,
        "nostream" => ExpectedVersion.NoStream,
        "streamexists" => ExpectedVersion.StreamExists,
        "exactly0" => ExpectedVersion.Exactly(0),
        "exactly1" => ExpectedVersion.Exactly(1),
        _ => ExpectedVersion.Exactly(9),
    };

    [Theory]
    [MemberData(nameof(Expectations))]
    public async Task A_retried_batch_is_recognised_after_another_writer_appended_whatever_the_expectation(string expectation)
    {
        var store = await StoreAsync();
        var stream = TestData.NewStream();
        await store.AppendAsync(stream, ExpectedVersion.NoStream, TestData.Increments(1), Ct);
        var batch = TestData.Increments(2, 10);
        var first = await store.AppendAsync(stream, ExpectedVersion.Any, batch, Ct);
        await store.AppendAsync(stream, ExpectedVersion.Any, TestData.Increments(1, 50), Ct); // another writer

        var again = await store.AppendAsync(stream, Expectation(expectation), batch, Ct);

        Assert.True(again.AlreadyAppended);
        Assert.Equal(3, again.NextExpectedVersion);
        Assert.Equal(first.Position, again.Position);
        var read = await ReadAsync(store, stream);
        Assert.Equal([1, 10, 11, 50], read.Select(e => ((Incremented)e.Event).By));
    }

    [Fact]
    public async Task A_retried_tail_of_a_stored_batch_is_recognised_as_already_appended()
    {
        var store = await StoreAsync();
        var stream = TestData.NewStream();
        var batch = TestData.Increments(3);
        await store.AppendAsync(stream, ExpectedVersion.NoStream, batch, Ct);

        var head = await store.AppendAsync(stream, ExpectedVersion.NoStream, batch[..2], Ct);
        var tail = await store.AppendAsync(stream, ExpectedVersion.Exactly(1), batch[1..], Ct);

        Assert.True(head.AlreadyAppended);
        Assert.Equal(2, head.NextExpectedVersion);
        Assert.True(tail.AlreadyAppended);
        Assert.Equal(3, tail.NextExpectedVersion);
        Assert.Equal(3, await store.GetStreamVersionAsync(stream, Ct));
    }

    [Theory]
    [MemberData(nameof(Expectations))]
    public async Task A_batch_that_overlaps_stored_ids_only_in_part_is_refused_and_writes_nothing(string expectation)
    {
        var store = await StoreAsync();
        var stream = TestData.NewStream();
        var stored = TestData.Increments(2);
        await store.AppendAsync(stream, ExpectedVersion.NoStream, stored, Ct);
        var fresh = new EventData(new Incremented(99));

        var ex = await Assert.ThrowsAsync<DuplicateEventIdException>(() => store.AppendAsync(stream, Expectation(expectation), [stored[1], fresh], Ct).AsTask());

        Assert.Equal(stream, ex.StreamId);
        Assert.Equal(stored[1].EventId, ex.EventId);
        Assert.Equal(2, ex.StoredVersion);
        Assert.Equal(2, await store.GetStreamVersionAsync(stream, Ct));
        Assert.Null(await store.ReadEventAsync(stream, fresh.EventId, Ct));
    }

    [Fact]
    public async Task Stored_ids_in_another_order_or_with_a_new_id_first_are_refused()
    {
        var store = await StoreAsync();
        var stream = TestData.NewStream();
        var stored = TestData.Increments(2);
        await store.AppendAsync(stream, ExpectedVersion.NoStream, stored, Ct);

        var reversed = await Assert.ThrowsAsync<DuplicateEventIdException>(() => store.AppendAsync(stream, ExpectedVersion.Any, [stored[1], stored[0]], Ct).AsTask());
        var newFirst = await Assert.ThrowsAsync<DuplicateEventIdException>(() => store.AppendAsync(stream, ExpectedVersion.Exactly(2), [new EventData(new Incremented(7)), stored[0]], Ct).AsTask());

        Assert.Equal(stored[1].EventId, reversed.EventId);
        Assert.Equal(stored[0].EventId, newFirst.EventId);
        Assert.Equal(1, newFirst.StoredVersion);
        Assert.Equal(2, await store.GetStreamVersionAsync(stream, Ct));
    }

    [Fact]
    public async Task ReadEventAsync_finds_an_event_by_id_in_its_stream_only()
    {
        var store = await StoreAsync();
        var stream = TestData.NewStream();
        var metadata = new EventMetadata { CorrelationId = "c-9" };
        var events = TestData.Increments(3);
        events[1] = new EventData(new Incremented(2), metadata, events[1].EventId);
        await store.AppendAsync(stream, ExpectedVersion.NoStream, events, Ct);
        await store.AppendAsync(stream, ExpectedVersion.Any, events, Ct); // a retry: still one copy

        var found = await store.ReadEventAsync(stream, events[1].EventId, Ct);

        Assert.NotNull(found);
        Assert.Equal(2, found.StreamVersion);
        Assert.Equal(new Incremented(2), found.Event);
        Assert.Equal(metadata, found.Metadata);
        Assert.Equal((await ReadAsync(store, stream))[1].Position, found.Position);
        Assert.Null(await store.ReadEventAsync(stream, Guid.CreateVersion7(), Ct));
        Assert.Null(await store.ReadEventAsync(TestData.NewStream(), events[1].EventId, Ct));
    }

    public static TheoryData<long, int> OverflowingExpectations => new()
    {
        { long.MaxValue, 1 },
        { long.MaxValue - 1, 2 },
        { long.MaxValue - 2, 5 },
        { long.MaxValue / 2, 1 },
    };

    [Theory]
    [MemberData(nameof(OverflowingExpectations))]
    public async Task Expected_versions_near_the_top_are_concurrency_conflicts_not_overflows(long expected, int count)
    {
        var store = await StoreAsync();
        var stream = TestData.NewStream();
        var missing = await Assert.ThrowsAsync<WrongExpectedVersionException>(() => store.AppendAsync(stream, ExpectedVersion.Exactly(expected), TestData.Increments(count), Ct).AsTask());
        await store.AppendAsync(stream, ExpectedVersion.NoStream, TestData.Increments(2), Ct);

        var existing = await Assert.ThrowsAsync<WrongExpectedVersionException>(() => store.AppendAsync(stream, ExpectedVersion.Exactly(expected), TestData.Increments(count), Ct).AsTask());

        Assert.Equal(0, missing.ActualVersion);
        Assert.Equal(2, existing.ActualVersion);
        Assert.Equal(ExpectedVersion.Exactly(expected), existing.Expected);
        Assert.Equal(2, await store.GetStreamVersionAsync(stream, Ct));
    }

    [Fact]
    public async Task Reading_a_stream_with_bounds_near_the_top_does_not_overflow()
    {
        var store = await StoreAsync();
        var stream = TestData.NewStream();
        await store.AppendAsync(stream, ExpectedVersion.NoStream, TestData.Increments(3), Ct);

        Assert.Equal([2L, 3L], (await ReadAsync(store, stream, 2, long.MaxValue)).Select(e => e.StreamVersion));
        Assert.Equal([3L], (await ReadAsync(store, stream, 3, long.MaxValue - 1)).Select(e => e.StreamVersion));
        Assert.Empty(await ReadAsync(store, stream, long.MaxValue, long.MaxValue));
        Assert.Empty(await ReadAsync(store, stream, long.MaxValue - 1, 5));
        Assert.Empty(await ReadAsync(store, TestData.NewStream(), long.MaxValue, long.MaxValue));
    }

    [Fact]
    public async Task Timestamps_never_go_backwards_within_a_stream_whatever_the_clock_says()
    {
        var clock = new SettableTimeProvider(Epoch.AddSeconds(10));
        var store = await StoreAsync(clock);
        var stream = TestData.NewStream();
        var other = TestData.NewStream();

        await store.AppendAsync(stream, ExpectedVersion.NoStream, TestData.Increments(1), Ct);
        clock.Now = Epoch.AddSeconds(5); // a writer whose clock is behind
        await store.AppendAsync(stream, ExpectedVersion.Any, TestData.Increments(2), Ct);
        await store.AppendAsync(other, ExpectedVersion.NoStream, TestData.Increments(1), Ct);
        clock.Now = Epoch.AddSeconds(20);
        await store.AppendAsync(stream, ExpectedVersion.Any, TestData.Increments(1), Ct);
        clock.Now = Epoch.AddSeconds(15);
        await store.AppendAsync(stream, ExpectedVersion.Any, TestData.Increments(1), Ct);

        var stamps = (await ReadAsync(store, stream)).Select(e => e.Timestamp - Epoch).ToList();
        Assert.Equal([10, 10, 10, 20, 20], stamps.Select(s => s.TotalSeconds));
        Assert.Equal(Epoch.AddSeconds(5), (await ReadAsync(store, other))[0].Timestamp); // per stream, not global
    }

    [Fact]
    public async Task An_append_inside_an_ambient_transaction_is_refused_and_writes_nothing()
    {
        var store = await StoreAsync();
        var stream = TestData.NewStream();
        var head = await HeadAsync(store);

        using (new TransactionScope(TransactionScopeAsyncFlowOption.Enabled))
        {
            await Assert.ThrowsAsync<InvalidOperationException>(() => store.AppendAsync(stream, ExpectedVersion.Any, TestData.Increments(1), Ct).AsTask());
        }

        Assert.Equal(0, await store.GetStreamVersionAsync(stream, Ct));
        Assert.Equal(head, await HeadAsync(store));

        using (new TransactionScope(TransactionScopeOption.Suppress, TransactionScopeAsyncFlowOption.Enabled))
        {
            await store.AppendAsync(stream, ExpectedVersion.Any, TestData.Increments(1), Ct);
        }

        Assert.Equal(1, await store.GetStreamVersionAsync(stream, Ct));
    }

    [Fact]
    public async Task Loading_as_of_a_time_gives_the_same_version_with_and_without_a_snapshot()
    {
        var clock = new SettableTimeProvider(Epoch);
        var registry = TestData.NewRegistry();
        var store = await CreateEventStoreAsync(registry, clock);
        var snapshots = new InMemorySnapshotStore();
        var withSnapshots = new AggregateRepository<Counter>(store, registry, snapshots);
        var replayOnly = new AggregateRepository<Counter>(store, registry);
        var stream = TestData.NewStream();

        // Two app servers with different clocks: the fourth event's clock is behind the third's.
        foreach (var (second, by) in new[] { (10, 1), (20, 2), (30, 3), (25, 4), (40, 5) })
        {
            clock.Now = Epoch.AddSeconds(second);
            await withSnapshots.ExecuteAsync(stream, c => c.Increment(by), cancellationToken: Ct);
            if (by == 4)
            {
                Assert.Equal(4, await withSnapshots.SnapshotAsync(stream, Ct));
            }
        }

        var asOf = Epoch.AddSeconds(26);
        var replayed = await replayOnly.LoadAsOfAsync(stream, asOf, Ct);
        var fromSnapshot = await withSnapshots.LoadAsOfAsync(stream, asOf, Ct);

        Assert.Equal(4, (await snapshots.LoadAsync(stream, Ct))?.Version);
        Assert.Equal(2, replayed.Version);
        Assert.Equal(2, fromSnapshot.Version);
        Assert.Equal(3, fromSnapshot.Total);
    }
}
