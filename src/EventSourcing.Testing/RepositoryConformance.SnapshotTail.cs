using System.Text;
using EventSourcing.Aggregates;
using EventSourcing.Storage;
using Xunit;

namespace EventSourcing.Testing;

/// <summary>
/// <see cref="ISnapshotTailReader"/>: the snapshot and the events after it in one read, and the repository
/// giving the same answers through it as through the two-call path (snapshot store, then event store).
/// Every backend of this repository offers the capability; the kit checks it.
/// </summary>
public abstract partial class RepositoryConformance
{
    private static readonly DateTimeOffset SnapshotTime = new(2026, 3, 4, 5, 6, 7, TimeSpan.Zero);

    /// <summary>Total after versions 1..v of <see cref="TestData.Increments"/> (event i adds i).</summary>
    private static int Triangle(long v) => (int)(v * (v + 1) / 2);

    /// <summary>A counter snapshot consistent with <see cref="TestData.Increments"/> up to <paramref name="version"/>.</summary>
    private static Snapshot CounterSnapshot(StreamId stream, long version, int schema = 1, string? state = null) =>
        new(stream, version, "counter", schema, Encoding.UTF8.GetBytes(state ?? $"{{\"total\":{Triangle(version)},\"count\":{version}}}"), SnapshotTime);

    private static ISnapshotTailReader TailReader(IEventStore events) =>
        events as ISnapshotTailReader ?? throw new Xunit.Sdk.XunitException($"{events.GetType().Name} does not implement ISnapshotTailReader.");

    [Fact]
    public async Task The_snapshot_tail_read_returns_the_snapshot_and_the_events_right_after_it()
    {
        var (events, snapshots) = await CreateStoresAsync(TestData.NewRegistry(), new ManualTimeProvider());
        var reader = TailReader(events);
        var stream = TestData.NewStream();

        var missing = await reader.ReadSnapshotTailAsync(snapshots, stream, long.MaxValue, Ct);
        Assert.NotNull(missing);
        Assert.Null(missing.Snapshot);
        Assert.Empty(missing.Events);
        Assert.True(missing.IsComplete);

        await events.AppendAsync(stream, ExpectedVersion.NoStream, TestData.Increments(10), Ct);
        var none = await reader.ReadSnapshotTailAsync(snapshots, stream, long.MaxValue, Ct);
        Assert.Null(none!.Snapshot);
        Assert.Equal(Enumerable.Range(1, 10).Select(v => (long)v), none.Events.Select(e => e.StreamVersion));
        Assert.True(none.IsComplete);

        var saved = CounterSnapshot(stream, 4);
        await snapshots.SaveAsync(saved, Ct);
        var head = await reader.ReadSnapshotTailAsync(snapshots, stream, long.MaxValue, Ct);
        Assert.NotNull(head!.Snapshot);
        Assert.Equal((4L, "counter", 1, SnapshotTime), (head.Snapshot.Version, head.Snapshot.StateType, head.Snapshot.SchemaVersion, head.Snapshot.Timestamp));
        Assert.Equal(saved.State.ToArray(), head.Snapshot.State.ToArray());
        Assert.Equal([5L, 6, 7, 8, 9, 10], head.Events.Select(e => e.StreamVersion));
        Assert.Equal([5, 6, 7, 8, 9, 10], head.Events.Select(e => ((Incremented)e.Event).By));
        Assert.True(head.IsComplete);

        // Up to a version: the events stop there; a snapshot past it is not returned, the events start at 1.
        var upTo7 = await reader.ReadSnapshotTailAsync(snapshots, stream, 7, Ct);
        Assert.Equal(4, upTo7!.Snapshot!.Version);
        Assert.Equal([5L, 6, 7], upTo7.Events.Select(e => e.StreamVersion));
        Assert.True(upTo7.IsComplete);
        var upTo4 = await reader.ReadSnapshotTailAsync(snapshots, stream, 4, Ct);
        Assert.Equal(4, upTo4!.Snapshot!.Version);
        Assert.Empty(upTo4.Events);
        var upTo3 = await reader.ReadSnapshotTailAsync(snapshots, stream, 3, Ct);
        Assert.Null(upTo3!.Snapshot);
        Assert.Equal([1L, 2, 3], upTo3.Events.Select(e => e.StreamVersion));

        // A snapshot at the head: nothing after it. Snapshots of any state type or schema come back as stored.
        await snapshots.SaveAsync(CounterSnapshot(stream, 10, schema: 7), Ct);
        var atHead = await reader.ReadSnapshotTailAsync(snapshots, stream, long.MaxValue, Ct);
        Assert.Equal((10L, 7), (atHead!.Snapshot!.Version, atHead.Snapshot.SchemaVersion));
        Assert.Empty(atHead.Events);
        Assert.True(atHead.IsComplete);

        // Appends after the snapshot show up as its tail on the next read.
        await events.AppendAsync(stream, ExpectedVersion.Exactly(10), TestData.Increments(2, start: 11), Ct);
        var grown = await reader.ReadSnapshotTailAsync(snapshots, stream, long.MaxValue, Ct);
        Assert.Equal(10, grown!.Snapshot!.Version);
        Assert.Equal([11L, 12], grown.Events.Select(e => e.StreamVersion));
    }

    [Fact]
    public async Task The_snapshot_tail_read_refuses_bad_input()
    {
        var (events, snapshots) = await CreateStoresAsync(TestData.NewRegistry(), new ManualTimeProvider());
        var reader = TailReader(events);
        await Assert.ThrowsAsync<ArgumentNullException>(async () => await reader.ReadSnapshotTailAsync(null!, TestData.NewStream(), 1, Ct));
        await Assert.ThrowsAnyAsync<ArgumentException>(async () => await reader.ReadSnapshotTailAsync(snapshots, default, 1, Ct));
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(async () => await reader.ReadSnapshotTailAsync(snapshots, TestData.NewStream(), 0, Ct));
    }

    [Fact]
    public async Task A_load_from_a_snapshot_at_the_head_reads_no_stream_and_matches_the_two_call_path()
    {
        var registry = TestData.NewRegistry();
        var (events, snapshots) = await CreateStoresAsync(registry, new ManualTimeProvider());
        var counting = new CountingEventStore(events);
        var oneCall = new AggregateRepository<Counter>(counting, registry, snapshots);
        var twoCalls = new AggregateRepository<Counter>(new CountingEventStore(events, hideTailReader: true), registry, snapshots);
        var stream = TestData.NewStream();
        await events.AppendAsync(stream, ExpectedVersion.NoStream, TestData.Increments(12), Ct);

        // A forged state shows which snapshot a load used.
        await snapshots.SaveAsync(CounterSnapshot(stream, 12, state: "{\"total\":5000,\"count\":12,\"lastNote\":\"snap\"}"), Ct);
        var head = await oneCall.LoadAsync(stream, Ct);
        Assert.Equal((5000, 12L, "snap"), (head.Total, head.Version, head.LastNote));
        Assert.Equal(0, counting.StreamReads);
        Assert.Equal(1, counting.TailReads);
        var expected = await twoCalls.LoadAsync(stream, Ct);
        Assert.Equal((expected.Total, expected.Count, expected.LastNote, expected.Version), (head.Total, head.Count, head.LastNote, head.Version));

        // A tail within one read: still no separate stream read.
        await snapshots.DeleteAsync(stream, Ct);
        await snapshots.SaveAsync(CounterSnapshot(stream, 8), Ct);
        var tail = await oneCall.LoadAsync(stream, Ct);
        Assert.Equal((Triangle(12), 12L), (tail.Total, tail.Version));
        Assert.Equal(0, counting.StreamReads);
    }

    [Fact]
    public async Task Loads_through_the_snapshot_tail_read_give_the_answers_of_the_two_call_path()
    {
        var registry = TestData.NewRegistry();
        var (events, snapshots) = await CreateStoresAsync(registry, new ManualTimeProvider());
        var options = new RepositoryOptions { Snapshots = SnapshotPolicy.Every(3) };
        var oneCall = new AggregateRepository<Counter>(events, registry, snapshots, options);
        var twoCalls = new AggregateRepository<Counter>(new CountingEventStore(events, hideTailReader: true), registry, snapshots, options);
        var v2 = new AggregateRepository<CounterSchemaV2>(events, registry, snapshots, options);
        var v2TwoCalls = new AggregateRepository<CounterSchemaV2>(new CountingEventStore(events, hideTailReader: true), registry, snapshots, options);
        var stream = TestData.NewStream();
        await events.AppendAsync(stream, ExpectedVersion.NoStream, TestData.Increments(11), Ct);

        async Task SameAnswersAsync(string state)
        {
            for (var v = 1; v <= 12; v++)
            {
                var a = await oneCall.LoadAtVersionAsync(stream, v, Ct);
                var b = await twoCalls.LoadAtVersionAsync(stream, v, Ct);
                Assert.True((a.Total, a.Count, a.Version) == (b.Total, b.Count, b.Version), $"{state}, version {v}: ({a.Total}, {a.Count}, {a.Version}) vs ({b.Total}, {b.Count}, {b.Version})");
            }

            var x = await oneCall.LoadAsync(stream, Ct);
            var y = await twoCalls.LoadAsync(stream, Ct);
            Assert.Equal((y.Total, y.Count, y.Version), (x.Total, x.Count, x.Version));
        }

        await SameAnswersAsync("no snapshot");
        await snapshots.SaveAsync(CounterSnapshot(stream, 6), Ct);
        await SameAnswersAsync("snapshot at 6");
        await snapshots.SaveAsync(CounterSnapshot(stream, 11), Ct);
        await SameAnswersAsync("snapshot at the head");

        // Another schema version: ignored by both paths, and replaced by the load that ignored it.
        await snapshots.DeleteAsync(stream, Ct);
        await snapshots.SaveAsync(CounterSnapshot(stream, 9, schema: 1, state: "{\"total\":-1,\"count\":9}"), Ct);
        var ignored = await v2.LoadAsync(stream, Ct);
        Assert.Equal((Triangle(11), 11L), (ignored.Total, ignored.Version));
        Assert.Equal((2, 11L), await SchemaAndVersionAsync());
        await snapshots.DeleteAsync(stream, Ct);
        await snapshots.SaveAsync(CounterSnapshot(stream, 9, schema: 1, state: "{\"total\":-1,\"count\":9}"), Ct);
        var ignoredTwoCalls = await v2TwoCalls.LoadAsync(stream, Ct);
        Assert.Equal((ignored.Total, ignored.Version), (ignoredTwoCalls.Total, ignoredTwoCalls.Version));
        Assert.Equal((2, 11L), await SchemaAndVersionAsync());

        // An unreadable snapshot: ignored by both paths, replaced by a good one.
        await snapshots.SaveAsync(CounterSnapshot(stream, 11, schema: 1, state: "{not json"), Ct);
        var corrupt = await oneCall.LoadAsync(stream, Ct);
        Assert.Equal((Triangle(11), 11L), (corrupt.Total, corrupt.Version));
        var replaced = await snapshots.LoadAsync(stream, Ct);
        Assert.Equal((1, 11L), (replaced!.SchemaVersion, replaced.Version));
        Assert.Equal(Triangle(11), (await oneCall.LoadAsync(stream, Ct)).Total);
        await SameAnswersAsync("replaced snapshot");

        async Task<(int, long)> SchemaAndVersionAsync()
        {
            var s = await snapshots.LoadAsync(stream, Ct);
            return (s!.SchemaVersion, s.Version);
        }
    }

    [Fact]
    public async Task A_tail_longer_than_one_read_continues_where_the_read_stopped()
    {
        var registry = TestData.NewRegistry();
        var (events, snapshots) = await CreateStoresAsync(registry, new ManualTimeProvider());
        var stream = TestData.NewStream();
        const int Length = 6_100;
        for (var start = 1; start <= Length; start += 1_000)
        {
            var count = Math.Min(1_000, Length - start + 1);
            await events.AppendAsync(stream, ExpectedVersion.Exactly(start - 1), TestData.Increments(count, start), Ct);
        }

        await snapshots.SaveAsync(CounterSnapshot(stream, 50), Ct);
        var read = await TailReader(events).ReadSnapshotTailAsync(snapshots, stream, long.MaxValue, Ct);
        Assert.Equal(50, read!.Snapshot!.Version);
        Assert.NotEmpty(read.Events);
        Assert.Equal(Enumerable.Range(51, read.Events.Count).Select(v => (long)v), read.Events.Select(e => e.StreamVersion));
        Assert.Equal(read.Events.Count == Length - 50, read.IsComplete);

        var loaded = await new AggregateRepository<Counter>(events, registry, snapshots).LoadAsync(stream, Ct);
        Assert.Equal((Triangle(Length), Length, (long)Length), (loaded.Total, loaded.Count, loaded.Version));
        var at = await new AggregateRepository<Counter>(events, registry, snapshots).LoadAtVersionAsync(stream, 5_555, Ct);
        Assert.Equal((Triangle(5_555), 5_555L), (at.Total, at.Version));
    }

    [Fact]
    public async Task Snapshot_and_tail_stay_consistent_while_events_and_snapshots_are_written()
    {
        // Every state is a function of its version (event v adds v), so a load that paired a snapshot
        // with the wrong tail (a gap or an overlap) shows as a wrong total for its version.
        var registry = TestData.NewRegistry();
        var (events, snapshots) = await CreateStoresAsync(registry, new ManualTimeProvider());
        var reader = TailReader(events);
        var repository = new AggregateRepository<Counter>(events, registry, snapshots);
        var stream = TestData.NewStream();
        const int Appends = 120;
        var writer = Task.Run(
            async () =>
            {
                for (var v = 1; v <= Appends; v++)
                {
                    await events.AppendAsync(stream, ExpectedVersion.Exactly(v - 1), TestData.Increments(1, v), Ct);
                    if (v % 3 == 0)
                    {
                        await snapshots.SaveAsync(CounterSnapshot(stream, v), Ct);
                    }
                }
            },
            Ct);

        var loads = 0;
        while (!writer.IsCompleted || loads == 0)
        {
            var read = await reader.ReadSnapshotTailAsync(snapshots, stream, long.MaxValue, Ct);
            var from = (read!.Snapshot?.Version ?? 0) + 1;
            Assert.Equal(Enumerable.Range((int)from, read.Events.Count).Select(v => (long)v), read.Events.Select(e => e.StreamVersion));
            var loaded = await repository.LoadAsync(stream, Ct);
            Assert.Equal(Triangle(loaded.Version), loaded.Total);
            Assert.Equal(loaded.Version, loaded.Count);
            loads++;
        }

        await writer;
        var last = await repository.LoadAsync(stream, Ct);
        Assert.Equal((Triangle(Appends), (long)Appends), (last.Total, last.Version));
    }

    /// <summary>
    /// Forwards to a store, counting stream reads and snapshot tail reads; with <c>hideTailReader</c> it
    /// does not offer <see cref="ISnapshotTailReader"/>, so a repository over it takes the two-call path.
    /// </summary>
    private class CountingEventStore(IEventStore inner, bool hideTailReader = false) : IEventStore, ISnapshotTailReader
    {
        private int _streamReads;
        private int _tailReads;

        public int StreamReads => Volatile.Read(ref _streamReads);

        public int TailReads => Volatile.Read(ref _tailReads);

        public ValueTask<AppendResult> AppendAsync(StreamId streamId, ExpectedVersion expectedVersion, IReadOnlyList<EventData> events, CancellationToken cancellationToken = default) =>
            inner.AppendAsync(streamId, expectedVersion, events, cancellationToken);

        public IAsyncEnumerable<EventEnvelope> ReadStreamAsync(StreamId streamId, long fromVersion = 1, long maxCount = long.MaxValue, CancellationToken cancellationToken = default)
        {
            Interlocked.Increment(ref _streamReads);
            return inner.ReadStreamAsync(streamId, fromVersion, maxCount, cancellationToken);
        }

        public IAsyncEnumerable<EventEnvelope> ReadStreamBackwardsAsync(StreamId streamId, long fromVersion = long.MaxValue, long maxCount = long.MaxValue, CancellationToken cancellationToken = default) =>
            inner.ReadStreamBackwardsAsync(streamId, fromVersion, maxCount, cancellationToken);

        public IAsyncEnumerable<EventEnvelope> ReadAllAsync(GlobalPosition after, long maxCount = long.MaxValue, IReadOnlyCollection<string>? eventTypes = null, CancellationToken cancellationToken = default) =>
            inner.ReadAllAsync(after, maxCount, eventTypes, cancellationToken);

        public ValueTask<GlobalPosition> GetHeadPositionAsync(CancellationToken cancellationToken = default) => inner.GetHeadPositionAsync(cancellationToken);

        public ValueTask<EventEnvelope?> ReadEventAsync(StreamId streamId, Guid eventId, CancellationToken cancellationToken = default) =>
            inner.ReadEventAsync(streamId, eventId, cancellationToken);

        public ValueTask<long> GetStreamVersionAsync(StreamId streamId, CancellationToken cancellationToken = default) =>
            inner.GetStreamVersionAsync(streamId, cancellationToken);

        public ValueTask<SnapshotTail?> ReadSnapshotTailAsync(ISnapshotStore snapshots, StreamId streamId, long toVersion, CancellationToken cancellationToken = default)
        {
            if (hideTailReader)
            {
                return ValueTask.FromResult<SnapshotTail?>(null);
            }

            Interlocked.Increment(ref _tailReads);
            return TailReader(inner).ReadSnapshotTailAsync(snapshots, streamId, toVersion, cancellationToken);
        }
    }
}
