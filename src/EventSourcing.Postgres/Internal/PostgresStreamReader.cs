using System.Data;
using EventSourcing.Serialization;
using EventSourcing.Storage;
using Npgsql;
using NpgsqlTypes;

namespace EventSourcing.Postgres.Internal;

/// <summary>Every read of one stream: its events in version order (either way), one event by id, its version.</summary>
internal sealed class PostgresStreamReader(PostgresBackend backend, EventTypeRegistry registry)
{
    /// <summary>
    /// The stream's events from <paramref name="fromVersion"/> on, oldest first, or with
    /// <paramref name="backwards"/> those at or below it, newest first; at most <paramref name="maxCount"/>.
    /// </summary>
    public IAsyncEnumerable<EventEnvelope> ReadAsync(StreamId streamId, long fromVersion, long maxCount, bool backwards, CancellationToken cancellationToken) =>
        EventPages.ReadAsync(backend, new Page(backend.Sql, registry, streamId, fromVersion, backwards), maxCount, cancellationToken);

    /// <summary>The stream's events from <paramref name="fromVersion"/> on, oldest first, only a replay's columns of each.</summary>
    public IAsyncEnumerable<ReplayEvent> ReplayAsync(StreamId streamId, long fromVersion, long maxCount, CancellationToken cancellationToken) =>
        EventPages.ReadAsync(backend, new ReplayPage(backend.Sql, registry, streamId, fromVersion), maxCount, cancellationToken);

    /// <summary>One event of the stream by its id, or null.</summary>
    public async ValueTask<EventEnvelope?> ReadEventAsync(StreamId streamId, Guid eventId, CancellationToken cancellationToken)
    {
        var buffers = new RowBuffers();
        try
        {
            var connection = await backend.OpenAsync(cancellationToken).ConfigureAwait(false);
            await using var connectionScope = connection.ConfigureAwait(false);
            using var command = backend.Command(backend.Sql.ReadEvent, connection);
            command.Parameters.Add(new NpgsqlParameter<string> { NpgsqlDbType = NpgsqlDbType.Text, TypedValue = streamId.Value });
            command.Parameters.Add(new NpgsqlParameter<Guid> { NpgsqlDbType = NpgsqlDbType.Uuid, TypedValue = eventId });
            var reader = await command.ExecuteReaderAsync(CommandBehavior.SequentialAccess | CommandBehavior.SingleRow, cancellationToken).ConfigureAwait(false);
            await using var readerScope = reader.ConfigureAwait(false);
            return await reader.ReadAsync(cancellationToken).ConfigureAwait(false)
                ? EventRows.Read(reader, 0, buffers, registry, streamId)
                : null;
        }
        finally
        {
            buffers.Return();
        }
    }

    /// <summary>
    /// The stream's snapshot at or before <paramref name="toVersion"/> and up to one page of the events
    /// after it, in one statement (one round trip, one MVCC snapshot).
    /// </summary>
    public async ValueTask<SnapshotTail?> ReadSnapshotTailAsync(StreamId streamId, long toVersion, CancellationToken cancellationToken)
    {
        var buffers = new RowBuffers();
        try
        {
            var connection = await backend.OpenAsync(cancellationToken).ConfigureAwait(false);
            await using var connectionScope = connection.ConfigureAwait(false);
            using var command = backend.Command(backend.Sql.SnapshotTail, connection);

            // At most one page; one row more than the page says whether the tail goes on (it is seen, not read).
            var take = EventPages.PageSize;
            command.Parameters.Add(new NpgsqlParameter<string> { NpgsqlDbType = NpgsqlDbType.Text, TypedValue = streamId.Value });
            command.Parameters.Add(new NpgsqlParameter<long> { NpgsqlDbType = NpgsqlDbType.Bigint, TypedValue = toVersion });
            command.Parameters.Add(new NpgsqlParameter<int> { NpgsqlDbType = NpgsqlDbType.Integer, TypedValue = take + 1 });
            await backend.PrepareAsync(command, cancellationToken).ConfigureAwait(false);
            var reader = await command.ExecuteReaderAsync(CommandBehavior.SequentialAccess, cancellationToken).ConfigureAwait(false);
            await using var readerScope = reader.ConfigureAwait(false);
            Snapshot? snapshot = null;
            List<ReplayEvent>? events = null;
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                if (!reader.IsDBNull(0))
                {
                    snapshot = new Snapshot(
                        streamId,
                        Version: reader.GetInt64(0),
                        StateType: reader.GetString(1),
                        SchemaVersion: reader.GetInt32(2),
                        Timestamp: reader.GetFieldValue<DateTimeOffset>(3),
                        State: await reader.GetFieldValueAsync<byte[]>(4, cancellationToken).ConfigureAwait(false));
                }
                else if (events?.Count == take)
                {
                    return new SnapshotTail(snapshot, events, IsComplete: false);
                }
                else
                {
                    (events ??= []).Add(EventRows.ReadReplay(reader, 5, buffers, registry, streamId));
                }
            }

            // A snapshot at the head (the common case under a snapshot policy) has no tail: no list for it.
            return new SnapshotTail(snapshot, (IReadOnlyList<ReplayEvent>?)events ?? [], IsComplete: true);
        }
        finally
        {
            buffers.Return();
        }
    }

    /// <summary>The stream's version; 0 when it does not exist.</summary>
    public async ValueTask<long> VersionAsync(StreamId streamId, CancellationToken cancellationToken)
    {
        var connection = await backend.OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var connectionScope = connection.ConfigureAwait(false);
        using var command = backend.Command(backend.Sql.StreamVersion, connection);
        command.Parameters.Add(new NpgsqlParameter<string> { NpgsqlDbType = NpgsqlDbType.Text, TypedValue = streamId.Value });
        var version = await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false);
        return version is long v ? v : 0L;
    }

    /// <summary>The parameters of a page of the stream: from the version after (or, backwards, before) the last one read.</summary>
    private abstract class StreamPage<T>(StreamId streamId, long fromVersion, bool backwards) : EventPages.Query<T>
    {
        private long _next = fromVersion;

        protected StreamId StreamId => streamId;

        protected bool Backwards => backwards;

        public override void AddParameters(NpgsqlParameterCollection parameters, int limit)
        {
            parameters.Add(new NpgsqlParameter<string> { NpgsqlDbType = NpgsqlDbType.Text, TypedValue = streamId.Value });
            parameters.Add(new NpgsqlParameter<long> { NpgsqlDbType = NpgsqlDbType.Bigint, TypedValue = _next });
            parameters.Add(new NpgsqlParameter<int> { NpgsqlDbType = NpgsqlDbType.Integer, TypedValue = limit });
        }

        /// <summary>Moves the read past the row of <paramref name="version"/>.</summary>
        protected void Passed(long version) => _next = backwards ? version - 1 : version + 1;
    }

    /// <summary>A page of the stream's envelopes.</summary>
    private sealed class Page(PostgresSql sql, EventTypeRegistry registry, StreamId streamId, long fromVersion, bool backwards) : StreamPage<EventEnvelope>(streamId, fromVersion, backwards)
    {
        public override string Sql => Backwards ? sql.ReadStreamBackwards : sql.ReadStream;

        public override EventEnvelope Read(NpgsqlDataReader reader, RowBuffers buffers)
        {
            var envelope = EventRows.Read(reader, 0, buffers, registry, StreamId);
            Passed(envelope.StreamVersion);
            return envelope;
        }
    }

    /// <summary>A page of the stream for a replay, forward: version, id and event of each row.</summary>
    private sealed class ReplayPage(PostgresSql sql, EventTypeRegistry registry, StreamId streamId, long fromVersion) : StreamPage<ReplayEvent>(streamId, fromVersion, backwards: false)
    {
        public override string Sql => sql.ReplayStream;

        public override ReplayEvent Read(NpgsqlDataReader reader, RowBuffers buffers)
        {
            var replayed = EventRows.ReadReplay(reader, 0, buffers, registry, StreamId);
            Passed(replayed.StreamVersion);
            return replayed;
        }
    }
}
