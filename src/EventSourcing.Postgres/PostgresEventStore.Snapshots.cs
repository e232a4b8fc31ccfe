using EventSourcing.Storage;

namespace EventSourcing.Postgres;

public sealed partial class PostgresEventStore : ISnapshotTailReader, IStreamReplayReader
{
    /// <inheritdoc />
    /// <remarks>
    /// Serves a <see cref="PostgresSnapshotStore"/> on the same data source and schema: one statement
    /// returns the snapshot and up to 5,000 events after it, so a load from a snapshot is one round trip
    /// and snapshot and events come from one MVCC snapshot. A snapshot store elsewhere gets null. Only a
    /// replay's columns of each event are read (see <see cref="ReadReplayAsync"/>).
    /// </remarks>
    public ValueTask<SnapshotTail?> ReadSnapshotTailAsync(ISnapshotStore snapshots, StreamId streamId, long toVersion, CancellationToken cancellationToken = default)
    {
        SnapshotGuard.ValidateTailRead(snapshots, streamId, toVersion);
        ThrowIfDisposed();
        if (snapshots is not PostgresSnapshotStore { Backend: var theirs }
            || !ReferenceEquals(theirs.DataSource, _backend.DataSource)
            || theirs.Sql.Schema != _backend.Sql.Schema)
        {
            return ValueTask.FromResult<SnapshotTail?>(null);
        }

        return _streams.ReadSnapshotTailAsync(streamId, toVersion, cancellationToken);
    }

    /// <inheritdoc />
    /// <remarks>
    /// Paged and connection-holding as <see cref="ReadStreamAsync"/> is, reading only each event's version,
    /// id, type and payload: the metadata, timestamp and global position stay on the server.
    /// </remarks>
    public IAsyncEnumerable<ReplayEvent> ReadReplayAsync(StreamId streamId, long fromVersion = 1, long maxCount = long.MaxValue, CancellationToken cancellationToken = default)
    {
        AppendGuard.ValidateRead(streamId, fromVersion, maxCount);
        ThrowIfDisposed();
        return _streams.ReplayAsync(streamId, fromVersion, maxCount, cancellationToken);
    }
}
