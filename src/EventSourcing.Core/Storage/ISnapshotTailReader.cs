namespace EventSourcing.Storage;

/// <summary>
/// An optional capability of an event store (backend SPI): reads a stream's stored snapshot and the
/// events after it together, in one consistent view and, where the backend allows, one round trip.
/// <see cref="Aggregates.AggregateRepository{TAggregate}"/> uses it when its event store implements it
/// and accepts its snapshot store; otherwise it loads the snapshot and then reads the events.
/// </summary>
public interface ISnapshotTailReader
{
    /// <summary>
    /// Reads the snapshot <paramref name="snapshots"/> holds for the stream, when its version is at most
    /// <paramref name="toVersion"/> (of whatever state type and schema version: the caller decides whether
    /// it can use it), and the stream's events after it (after version 0 when there is none), in version
    /// order, none past <paramref name="toVersion"/>. Snapshot and events come from one consistent view
    /// of the store: the first event is the one right after the snapshot's version.
    /// </summary>
    /// <param name="snapshots">The snapshot store; the reader serves only stores of its own database.</param>
    /// <param name="streamId">The stream.</param>
    /// <param name="toVersion">The last version wanted (<see cref="long.MaxValue"/> for the stream's end).</param>
    /// <param name="cancellationToken">Cancels the read.</param>
    /// <returns>
    /// The snapshot and events, or null when this reader cannot read <paramref name="snapshots"/> (the
    /// caller then takes the two-call path).
    /// </returns>
    /// <exception cref="ArgumentException">The stream id is default.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="toVersion"/> is below 1.</exception>
    /// <exception cref="UnknownEventTypeException">A stored event's type is not registered.</exception>
    /// <exception cref="EventDeserializationException">A stored event cannot be deserialized.</exception>
    ValueTask<SnapshotTail?> ReadSnapshotTailAsync(ISnapshotStore snapshots, StreamId streamId, long toVersion, CancellationToken cancellationToken = default);
}

/// <summary>What <see cref="ISnapshotTailReader.ReadSnapshotTailAsync"/> read.</summary>
/// <param name="Snapshot">The stored snapshot at or before the version asked for, or null.</param>
/// <param name="Events">
/// The events right after the snapshot (from version 1 without one), in version order: what a replay reads
/// of them (see <see cref="IStreamReplayReader"/>).
/// </param>
/// <param name="IsComplete">
/// False when the reader stopped before the stream's end or the version asked for (e.g. after one page);
/// the caller reads the rest with <see cref="IEventStore.ReadStreamAsync"/> (or <see cref="IStreamReplayReader.ReadReplayAsync"/>)
/// from the version after the last event returned.
/// </param>
public sealed record SnapshotTail(Snapshot? Snapshot, IReadOnlyList<ReplayEvent> Events, bool IsComplete);
