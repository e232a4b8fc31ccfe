using System.Diagnostics;
using System.Text;
using EventSourcing.Serialization;
using EventSourcing.Sqlite.Internal;
using EventSourcing.Storage;
using Microsoft.Data.Sqlite;

namespace EventSourcing.Sqlite;

public sealed partial class SqliteEventStore
{
    /// <summary>The most ids in one stored-ids query (SQLite limits the variables of a statement).</summary>
    private const int IdsPerQuery = 500;

    /// <summary>The writer connection and its prepared statements; touched only during this process's writer turn.</summary>
    private WriterConnection? _writer;

    /// <inheritdoc />
    /// <remarks>
    /// <para>
    /// One <c>BEGIN IMMEDIATE</c> transaction: it takes the database's write lock first, then reads the
    /// stream's version, checks the expectation, inserts the events (their positions assigned in that
    /// transaction), moves the stream's row, runs the inline projections and commits. The payloads are
    /// serialized before the lock is taken. An event id already in the stream is found by the unique index
    /// on (stream, event id): a whole batch stored before is reported as
    /// <see cref="AppendResult.AlreadyAppended"/>, anything else as <see cref="DuplicateEventIdException"/>,
    /// whatever the expectation. The commit is durable (<c>synchronous=FULL</c>) before the call returns.
    /// </para>
    /// <para>
    /// When another connection holds the write lock, the append waits (this process's writers in a queue,
    /// other processes' with SQLite's busy timeout) for up to <see cref="SqliteOptions.BusyTimeout"/>, then
    /// fails with an <see cref="EventStoreException"/> and nothing written. Cancellation is honoured until
    /// the commit starts: a cancelled append writes nothing, a committed one is never reported as cancelled.
    /// </para>
    /// </remarks>
    public ValueTask<AppendResult> AppendAsync(StreamId streamId, ExpectedVersion expectedVersion, IReadOnlyList<EventData> events, CancellationToken cancellationToken = default)
    {
        AppendGuard.Validate(streamId, expectedVersion, events);
        ThrowIfDisposed();
        cancellationToken.ThrowIfCancellationRequested();
        return SqliteInstruments.Store.IsObserved
            ? AppendObservedAsync(streamId, expectedVersion, events, cancellationToken)
            : AppendCoreAsync(streamId, expectedVersion, events, cancellationToken);
    }

    /// <summary>The append with its activity and metrics; only taken while someone listens.</summary>
    private async ValueTask<AppendResult> AppendObservedAsync(StreamId streamId, ExpectedVersion expectedVersion, IReadOnlyList<EventData> events, CancellationToken cancellationToken)
    {
        using var activity = SqliteInstruments.Store.StartAppend(streamId, expectedVersion, events.Count);
        var started = Stopwatch.GetTimestamp();
        try
        {
            var result = await AppendCoreAsync(streamId, expectedVersion, events, cancellationToken).ConfigureAwait(false);
            SqliteInstruments.Store.Succeeded(activity, started, events.Count, result);
            return result;
        }
        catch (Exception ex)
        {
            SqliteInstruments.Store.Failed(activity, started, events.Count, ex);
            throw;
        }
    }

    private async ValueTask<AppendResult> AppendCoreAsync(StreamId streamId, ExpectedVersion expectedVersion, IReadOnlyList<EventData> events, CancellationToken cancellationToken)
    {

        var count = events.Count;
        var batch = new Batch(new Guid[count], new string[count], new byte[count][], new byte[]?[count]);
        for (var i = 0; i < count; i++)
        {
            var e = events[i];
            batch.Ids[i] = e.EventId;
            batch.Data[i] = _registry.SerializeEvent(e.Event, out batch.Types[i]);
            batch.Metadata[i] = MetadataJson.Serialize(e.Metadata);
        }

        AppendResult result;
        await _database.EnterWriterAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            ThrowIfDisposed();
            _writer ??= await WriterConnection.OpenAsync(_database, cancellationToken).ConfigureAwait(false);
            try
            {
                result = await AppendLockedAsync(_writer, streamId, expectedVersion, batch, cancellationToken).ConfigureAwait(false);
            }
            catch (SqliteException ex)
            {
                // Nothing was committed; the connection may be unusable: open a fresh one next time.
                _writer.Dispose();
                _writer = null;
                if (SqliteErrors.IsBusy(ex))
                {
                    throw SqliteErrors.Busy(_database.BusyTimeout, ex);
                }

                throw;
            }
        }
        finally
        {
            _database.ExitWriter();
        }

        if (!result.AlreadyAppended)
        {
            Notifier?.Notify();
        }

        return result;
    }

    /// <summary>One append in one <c>BEGIN IMMEDIATE</c> transaction, during this process's writer turn.</summary>
    private async Task<AppendResult> AppendLockedAsync(WriterConnection writer, StreamId streamId, ExpectedVersion expected, Batch batch, CancellationToken cancellationToken)
    {
        var count = batch.Ids.Length;
        using var transaction = await _database.BeginImmediateAsync(writer.Connection, cancellationToken).ConfigureAwait(false);
        writer.Use(transaction);

        long current = 0;
        var lastAt = long.MinValue;
        writer.SelectStream.Parameters[0].Value = streamId.Value;
        using (var reader = writer.SelectStream.ExecuteReader())
        {
            if (reader.Read())
            {
                current = reader.GetInt64(0);
                lastAt = reader.GetInt64(1);
            }
        }

        if (AppendGuard.Overflows(expected, count) || !AppendGuard.Satisfies(expected, current))
        {
            // The event-id rule comes first: a retried batch is recognised whatever the expectation.
            if (current > 0 && FindRepeat(writer.Connection, transaction, streamId, batch.Ids) is { } repeat)
            {
                return repeat;
            }

            throw new WrongExpectedVersionException(streamId, expected, current);
        }

        // Never before the stream's previous event, whatever the clock says.
        var at = Math.Max(Values.ToMicroseconds(Values.Now(_time)), lastAt);
        var positions = new long[count];
        var insert = writer.Insert;
        var p = insert.Parameters;
        p[0].Value = streamId.Value;
        p[6].Value = at;
        for (var i = 0; i < count; i++)
        {
            p[1].Value = current + i + 1;
            p[2].Value = batch.Ids[i];
            p[3].Value = batch.Types[i];
            p[4].Value = batch.Data[i];
            p[5].Value = (object?)batch.Metadata[i] ?? DBNull.Value;
            try
            {
                positions[i] = (long)insert.ExecuteScalar()!;
            }
            catch (SqliteException ex) when (SqliteErrors.IsUniqueViolation(ex))
            {
                // The lock is held and the version was checked, so only the event-id index can object. The
                // batch's events inserted so far are rolled back first, so that only ids stored before this
                // append are found (stored ids never change, so reading after the rollback is safe).
                transaction.Rollback();
                return FindRepeat(writer.Connection, transaction: null, streamId, batch.Ids)
                    ?? throw new EventStoreException($"Appending to stream '{streamId}' hit a unique constraint that the stream's version did not predict; nothing was written.", ex);
            }
        }

        var upsert = writer.Upsert.Parameters;
        upsert[0].Value = streamId.Value;
        upsert[1].Value = current + count;
        upsert[2].Value = at;
        writer.Upsert.ExecuteNonQuery();

        if (!_inline.IsEmpty)
        {
            var envelopes = new EventEnvelope[count];
            var timestamp = Values.FromMicroseconds(at);
            for (var i = 0; i < count; i++)
            {
                // What readers will get: a fresh object read back from the stored bytes.
                var version = current + i + 1;
                var @event = _registry.DeserializeEvent(batch.Types[i], batch.Data[i], batch.Ids[i], streamId, version, out var name);
                var metadata = batch.Metadata[i] is { } m ? MetadataJson.Deserialize(m) : EventMetadata.Empty;
                envelopes[i] = new EventEnvelope(batch.Ids[i], streamId, version, Values.Position(positions[i]), name, @event, metadata, timestamp);
            }

            var documents = SqliteDocuments.Session(writer.Connection, transaction);
            var contexts = _inline.CreateContexts(name => new SqliteProjectionContext(name, isRebuild: false, writer.Connection, transaction) { Documents = documents });
            await _inline.RunAsync(envelopes, contexts, cancellationToken).ConfigureAwait(false);
        }

        cancellationToken.ThrowIfCancellationRequested();
        transaction.Commit();
        return new AppendResult(streamId, current + count, Values.Position(positions[^1]), AlreadyAppended: false);
    }

    /// <summary>
    /// The event-id rule (<see cref="StoredBatch"/>): the result of a repeat of a stored batch, null when
    /// none of the batch's ids is in the stream; throws <see cref="DuplicateEventIdException"/> otherwise.
    /// </summary>
    private static AppendResult? FindRepeat(SqliteConnection connection, SqliteTransaction? transaction, StreamId streamId, Guid[] ids)
    {
        var stored = new Dictionary<Guid, (long Version, long Position)>();
        for (var start = 0; start < ids.Length; start += IdsPerQuery)
        {
            var chunk = Math.Min(IdsPerQuery, ids.Length - start);
            using var command = connection.CreateCommand();
            command.Transaction = transaction;
            var sql = new StringBuilder(SqliteSql.StoredIdsPrefix).Append('(');
            Values.Add(command, "$stream", streamId.Value);
            for (var i = 0; i < chunk; i++)
            {
                sql.Append(i == 0 ? "$i" : ", $i").Append(i);
                Values.Add(command, "$i" + i.ToString(System.Globalization.CultureInfo.InvariantCulture), ids[start + i]);
            }

            command.CommandText = sql.Append(')').ToString();
            using var reader = command.ExecuteReader();
            while (reader.Read())
            {
                stored[reader.GetGuid(0)] = (reader.GetInt64(1), reader.GetInt64(2));
            }
        }

        if (stored.Count == 0)
        {
            return null;
        }

        var versions = new long[ids.Length];
        for (var i = 0; i < ids.Length; i++)
        {
            versions[i] = stored.TryGetValue(ids[i], out var s) ? s.Version : 0;
        }

        var end = StoredBatch.RepeatEnd(streamId, ids, versions)!.Value;
        return new AppendResult(streamId, end, Values.Position(stored[ids[^1]].Position), AlreadyAppended: true);
    }

    /// <summary>An append's events, serialized.</summary>
    private sealed record Batch(Guid[] Ids, string[] Types, byte[][] Data, byte[]?[] Metadata);

    /// <summary>The store's one writer connection and its prepared statements.</summary>
    private sealed class WriterConnection : IDisposable
    {
        private WriterConnection(SqliteConnection connection)
        {
            Connection = connection;
            SelectStream = Command(SqliteSql.SelectStream, "$stream");
            Insert = Command(SqliteSql.InsertEvent, "$stream", "$version", "$id", "$type", "$data", "$metadata", "$at");
            Upsert = Command(SqliteSql.UpsertStream, "$stream", "$version", "$at");
        }

        public SqliteConnection Connection { get; }

        public SqliteCommand SelectStream { get; }

        public SqliteCommand Insert { get; }

        public SqliteCommand Upsert { get; }

        public static async Task<WriterConnection> OpenAsync(SqliteDatabase database, CancellationToken cancellationToken) =>
            new(await database.OpenAsync(cancellationToken).ConfigureAwait(false));

        /// <summary>Joins the statements to the append's transaction.</summary>
        public void Use(SqliteTransaction transaction)
        {
            SelectStream.Transaction = transaction;
            Insert.Transaction = transaction;
            Upsert.Transaction = transaction;
        }

        public void Dispose()
        {
            SelectStream.Dispose();
            Insert.Dispose();
            Upsert.Dispose();
            Connection.Dispose();
        }

        private SqliteCommand Command(string sql, params string[] parameters)
        {
            var command = Connection.CreateCommand();
            command.CommandText = sql;
            foreach (var name in parameters)
            {
                Values.Add(command, name, null);
            }

            return command;
        }
    }
}
