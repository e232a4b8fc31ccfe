using EventSourcing.Aggregates;
using EventSourcing.Storage;
using Xunit;

namespace EventSourcing.Testing;

/// <summary>
/// <see cref="IStreamReplayReader"/>: the stream read of a replay (version, id and event of each event), and
/// the repository loading through it with the answers of the full stream read. Every backend of this
/// repository offers the capability; the kit checks it.
/// </summary>
public abstract partial class RepositoryConformance
{
    private static IStreamReplayReader ReplayReader(IEventStore events) =>
        events as IStreamReplayReader ?? throw new Xunit.Sdk.XunitException($"{events.GetType().Name} does not implement IStreamReplayReader.");

    [Fact]
    public async Task The_replay_read_returns_the_versions_ids_and_events_of_the_stream_read()
    {
        var (events, _) = await CreateStoresAsync(TestData.NewRegistry(), new ManualTimeProvider());
        var reader = ReplayReader(events);
        var stream = TestData.NewStream();
        Assert.Empty(await reader.ReadReplayAsync(stream, cancellationToken: Ct).ToListAsync(Ct));

        // Longer than the first page of every backend, with notes (another type) and metadata in between.
        const int Length = 6_100;
        for (var start = 1; start <= Length; start += 1_000)
        {
            var batch = TestData.Increments(Math.Min(1_000, Length - start + 1), start).ToList();
            batch[0] = new EventData(new Noted($"at {start}"), new EventMetadata { CorrelationId = $"c-{start}", Headers = new Dictionary<string, string> { ["h"] = "v" } });
            await events.AppendAsync(stream, ExpectedVersion.Exactly(start - 1), batch, Ct);
        }

        foreach (var (from, max) in new[] { (1L, long.MaxValue), (1L, 0L), (50L, 10L), (2_047L, 4_000L), (4_999L, 1_101L), (6_100L, 5L), (6_101L, 10L) })
        {
            var expected = (await events.ReadStreamAsync(stream, from, max, Ct).ToListAsync(Ct)).Select(e => (e.StreamVersion, e.EventId, e.Event));
            var actual = (await reader.ReadReplayAsync(stream, from, max, Ct).ToListAsync(Ct)).Select(e => (e.StreamVersion, e.EventId, e.Event));
            Assert.Equal(expected, actual);
        }

        Assert.Equal(Length, (await reader.ReadReplayAsync(stream, cancellationToken: Ct).ToListAsync(Ct)).Count);
    }

    [Fact]
    public async Task The_replay_read_refuses_bad_input()
    {
        var (events, _) = await CreateStoresAsync(TestData.NewRegistry(), new ManualTimeProvider());
        var reader = ReplayReader(events);
        await Assert.ThrowsAnyAsync<ArgumentException>(async () => await reader.ReadReplayAsync(default, cancellationToken: Ct).ToListAsync(Ct));
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(async () => await reader.ReadReplayAsync(TestData.NewStream(), 0, cancellationToken: Ct).ToListAsync(Ct));
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(async () => await reader.ReadReplayAsync(TestData.NewStream(), 1, -1, Ct).ToListAsync(Ct));
    }

    [Fact]
    public async Task Loads_replay_through_the_replay_read_with_the_answers_of_the_stream_read()
    {
        var registry = TestData.NewRegistry();
        var (events, _) = await CreateStoresAsync(registry, new ManualTimeProvider());
        var replaying = new CountingReplayStore(events);
        var viaReplay = new AggregateRepository<Counter>(replaying, registry);
        var viaStream = new AggregateRepository<Counter>(new CountingEventStore(events), registry);
        var stream = TestData.NewStream();
        await events.AppendAsync(stream, ExpectedVersion.NoStream, TestData.Increments(20), Ct);
        await events.AppendAsync(stream, ExpectedVersion.Exactly(20), [new EventData(new Noted("last"))], Ct);

        for (var v = 0; v <= 22; v++)
        {
            var a = await viaReplay.LoadAtVersionAsync(stream, v, Ct);
            var b = await viaStream.LoadAtVersionAsync(stream, v, Ct);
            Assert.True((a.Total, a.Count, a.LastNote, a.Version) == (b.Total, b.Count, b.LastNote, b.Version), $"version {v}");
        }

        var loaded = await viaReplay.LoadAsync(stream, Ct);
        Assert.Equal((Triangle(20), 21, "last", 21L), (loaded.Total, loaded.Count, loaded.LastNote, loaded.Version));
        Assert.Equal(0, replaying.StreamReads);
        Assert.Equal(23, replaying.ReplayReads);

        // A point-in-time load needs each event's timestamp: it reads the stream.
        var asOf = await viaReplay.LoadAsOfAsync(stream, DateTimeOffset.MaxValue, Ct);
        Assert.Equal((loaded.Total, loaded.Version), (asOf.Total, asOf.Version));
        Assert.Equal(1, replaying.StreamReads);

        // A retried command is recognised by its events' ids, which the replay read returns.
        var commandId = Guid.NewGuid();
        var first = await viaReplay.ExecuteAsync(stream, commandId, c => c.Increment(100), cancellationToken: Ct);
        var retry = await viaReplay.ExecuteAsync(stream, commandId, c => c.Increment(100), cancellationToken: Ct);
        Assert.False(first.AlreadyApplied);
        Assert.True(retry.AlreadyApplied);
        Assert.Equal((Triangle(20) + 100, 22L), (retry.Aggregate.Total, retry.Aggregate.Version));
        Assert.Equal(1, replaying.StreamReads);
    }

    /// <summary>A <see cref="CountingEventStore"/> that also offers the store's replay read, counting its calls.</summary>
    private sealed class CountingReplayStore(IEventStore inner) : CountingEventStore(inner, hideTailReader: false), IStreamReplayReader
    {
        private readonly IStreamReplayReader _replay = ReplayReader(inner);
        private int _replayReads;

        public int ReplayReads => Volatile.Read(ref _replayReads);

        public IAsyncEnumerable<ReplayEvent> ReadReplayAsync(StreamId streamId, long fromVersion = 1, long maxCount = long.MaxValue, CancellationToken cancellationToken = default)
        {
            Interlocked.Increment(ref _replayReads);
            return _replay.ReadReplayAsync(streamId, fromVersion, maxCount, cancellationToken);
        }
    }
}
