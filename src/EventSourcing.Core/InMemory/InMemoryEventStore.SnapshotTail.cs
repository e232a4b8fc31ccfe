using EventSourcing.Storage;

namespace EventSourcing.InMemory;

public sealed partial class InMemoryEventStore : ISnapshotTailReader, IStreamReplayReader
{
    /// <summary>The most events one <see cref="ReadSnapshotTailAsync"/> returns; the caller reads the rest.</summary>
    internal const int SnapshotTailPage = 1024;

    /// <inheritdoc />
    /// <remarks>
    /// Serves an <see cref="InMemorySnapshotStore"/>: the snapshot, then the events after it (a stream only
    /// grows, so events read after the snapshot always continue it), at most 1,024 at a time.
    /// </remarks>
    public async ValueTask<SnapshotTail?> ReadSnapshotTailAsync(ISnapshotStore snapshots, StreamId streamId, long toVersion, CancellationToken cancellationToken = default)
    {
        SnapshotGuard.ValidateTailRead(snapshots, streamId, toVersion);
        if (snapshots is not InMemorySnapshotStore)
        {
            return null;
        }

        var snapshot = await snapshots.LoadAsync(streamId, cancellationToken).ConfigureAwait(false);
        if (snapshot is not null && snapshot.Version > toVersion)
        {
            snapshot = null;
        }

        var from = (snapshot?.Version ?? 0) + 1;
        var wanted = toVersion - from + 1;
        var take = Math.Min(wanted, SnapshotTailPage);
        var events = new List<ReplayEvent>();
        await foreach (var e in ReadReplayAsync(streamId, from, take < wanted ? take + 1 : take, cancellationToken).ConfigureAwait(false))
        {
            if (events.Count == take)
            {
                return new SnapshotTail(snapshot, events, IsComplete: false);
            }

            events.Add(e);
        }

        return new SnapshotTail(snapshot, events, IsComplete: true);
    }

    /// <inheritdoc />
    /// <remarks>The events of <see cref="ReadStreamAsync"/>: the in-memory store has nothing to leave unread.</remarks>
    public IAsyncEnumerable<ReplayEvent> ReadReplayAsync(StreamId streamId, long fromVersion = 1, long maxCount = long.MaxValue, CancellationToken cancellationToken = default)
    {
        var (items, start, end) = Slice(streamId, fromVersion, maxCount);
        return items.Length == 0 ? ViewEnumerable.EmptyReplay : ViewEnumerable.Replay(items, start, end, _registry, cancellationToken);
    }
}
