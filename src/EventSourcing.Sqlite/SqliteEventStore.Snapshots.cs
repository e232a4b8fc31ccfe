using System.Runtime.CompilerServices;
using EventSourcing.Sqlite.Internal;
using EventSourcing.Storage;

namespace EventSourcing.Sqlite;

public sealed partial class SqliteEventStore : ISnapshotTailReader, IStreamReplayReader
{
    /// <inheritdoc />
    /// <remarks>
    /// Serves a <see cref="SqliteSnapshotStore"/> on the same database file: the snapshot and up to 2,048
    /// events after it, read in one read transaction on one connection (one consistent view of the file).
    /// A snapshot store on another file gets null.
    /// </remarks>
    public async ValueTask<SnapshotTail?> ReadSnapshotTailAsync(ISnapshotStore snapshots, StreamId streamId, long toVersion, CancellationToken cancellationToken = default)
    {
        SnapshotGuard.ValidateTailRead(snapshots, streamId, toVersion);
        ThrowIfDisposed();
        if (snapshots is not SqliteSnapshotStore { Database.FullPath: var path } || !string.Equals(path, _database.FullPath, StringComparison.Ordinal))
        {
            return null;
        }

        var buffer = new RowBuffer();
        try
        {
            var connection = await _database.OpenAsync(cancellationToken).ConfigureAwait(false);
            await using var connectionScope = connection.ConfigureAwait(false);

            // A deferred transaction reads from one WAL snapshot from its first SELECT to its end.
            using var transaction = connection.BeginTransaction(deferred: true);
            Snapshot? snapshot = null;
            using (var command = connection.CreateCommand())
            {
                command.Transaction = transaction;
                command.CommandText = SqliteSql.LoadSnapshotUpTo;
                Values.Add(command, "$stream", streamId.Value);
                Values.Add(command, "$to", toVersion);
                using var reader = command.ExecuteReader();
                if (reader.Read())
                {
                    snapshot = new Snapshot(
                        streamId,
                        Version: reader.GetInt64(0),
                        StateType: reader.GetString(1),
                        SchemaVersion: reader.GetInt32(2),
                        State: reader.GetFieldValue<byte[]>(4),
                        Timestamp: Values.FromMicroseconds(reader.GetInt64(3)));
                }
            }

            var from = (snapshot?.Version ?? 0) + 1;
            var wanted = toVersion - from + 1;
            var take = (int)Math.Min(wanted, PageSize);
            var events = new List<ReplayEvent>();
            var complete = true;
            if (wanted > 0)
            {
                using var command = connection.CreateCommand();
                command.Transaction = transaction;
                command.CommandText = SqliteSql.ReadStream;
                Values.Add(command, "$stream", streamId.Value);
                Values.Add(command, "$from", from);
                Values.Add(command, "$limit", take < wanted ? take + 1 : take);
                using var reader = command.ExecuteReader();
                while (reader.Read())
                {
                    cancellationToken.ThrowIfCancellationRequested();
                    if (events.Count == take)
                    {
                        complete = false;
                        break;
                    }

                    events.Add(ReplayEvent.From(ReadEnvelope(reader, 0, streamId, buffer)));
                }
            }

            transaction.Commit();
            return new SnapshotTail(snapshot, events, complete);
        }
        finally
        {
            buffer.Return();
        }
    }

    /// <inheritdoc />
    /// <remarks>
    /// The events of <see cref="ReadStreamAsync"/>: SQLite reads a row's columns from the page it already
    /// holds in memory, so leaving some unread saves next to nothing.
    /// </remarks>
    public IAsyncEnumerable<ReplayEvent> ReadReplayAsync(StreamId streamId, long fromVersion = 1, long maxCount = long.MaxValue, CancellationToken cancellationToken = default) =>
        Replay(ReadStreamAsync(streamId, fromVersion, maxCount, cancellationToken), cancellationToken);

    private static async IAsyncEnumerable<ReplayEvent> Replay(IAsyncEnumerable<EventEnvelope> events, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await foreach (var e in events.WithCancellation(cancellationToken).ConfigureAwait(false))
        {
            yield return ReplayEvent.From(e);
        }
    }
}
