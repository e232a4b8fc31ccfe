using System.Buffers;
using System.Data;
using Npgsql;
using NpgsqlTypes;

namespace EventSourcing.Postgres.Internal;

internal sealed partial class AppendProtocol
{
    /// <summary>
    /// The smallest batch (with an exact expectation and no inline projections) written by a binary COPY
    /// instead of the single statement's arrays; see <see cref="AppendByCopyAsync"/> for why and how.
    /// </summary>
    public const int DefaultCopyThreshold = 500;

    /// <summary>The smallest batch written by COPY (tests lower it to send every batch of two or more that way).</summary>
    public int CopyThreshold { get; set; } = DefaultCopyThreshold;

    /// <summary>
    /// A large batch with an exact expectation, in one transaction: the stream write of the fast path
    /// (<see cref="FastPathSql.LockFor"/>: the same conditional insert or update, order guard included, which
    /// locks the stream row until the commit), then the events by binary COPY, then the last event's
    /// position, then the commit. Nothing else can write the stream in between (its row is locked), so the
    /// versions are the expected one + 1 … + n; the log id and positions come from the table's defaults, as
    /// for an INSERT, so the whole batch has this transaction's log id and positions in version order. When
    /// the stream write matches nothing (or, for NoStream, finds the stream), the transaction is rolled back
    /// and the append function reports why (or writes, as after a failed fast path). A stored event id
    /// surfaces as 23505 on <c>events_stream_event_id</c> from the COPY. An error or a cancellation before
    /// the commit rolls everything back; a cancellation while the server inserts the rows already sent is
    /// noticed once they are in, before the commit.
    /// </summary>
    /// <remarks>
    /// Why: the single statement's arrays are decoded and unnested before the first row is inserted, and
    /// its rows go in one at a time; a COPY's rows are inserted while the client still sends the next ones,
    /// in multi-row heap writes (pg_walinspect, 1,000 events: 210 KB of heap WAL instead of 255 KB; the
    /// index entries are the same). The rows are encoded by <see cref="CopyRows"/> in one pass: written field
    /// by field through Npgsql's importer they cost more client CPU than they saved. It takes four round trips
    /// more than the statement (the COPY's start and end, the position, the commit), which small batches do
    /// not win back: in one alternating run (5 rounds, 2 shared cores) COPY ÷ statement was 1.20
    /// (0.88–1.46) at 1,000 events, 1.04 (0.69–1.19) at 300 and 0.62 (0.46–1.66) at 100.
    /// </remarks>
    private async Task<AppendResult> AppendByCopyAsync(NpgsqlConnection connection, StreamId streamId, ExpectedVersion expectedVersion, AppendBatch batch, CancellationToken cancellationToken)
    {
        var sql = backend.Sql.FastPath;
        var transaction = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
        await using var transactionScope = transaction.ConfigureAwait(false);
        DateTimeOffset at;
        using (var command = backend.Command(sql.LockFor(noStream: expectedVersion.Value == 0), connection, transaction))
        {
            command.Parameters.Add(new NpgsqlParameter<string> { NpgsqlDbType = NpgsqlDbType.Text, TypedValue = streamId.Value });
            command.Parameters.Add(new NpgsqlParameter<long> { NpgsqlDbType = NpgsqlDbType.Bigint, TypedValue = expectedVersion.Value });
            command.Parameters.Add(new NpgsqlParameter<long> { NpgsqlDbType = NpgsqlDbType.Bigint, TypedValue = batch.Count });
            command.Parameters.Add(new NpgsqlParameter<DateTimeOffset> { NpgsqlDbType = NpgsqlDbType.TimestampTz, TypedValue = batch.Timestamp });
            await backend.PrepareAsync(command, cancellationToken).ConfigureAwait(false);
            var locked = await ReadTimestampAsync(command, cancellationToken).ConfigureAwait(false);
            if (locked is null)
            {
                await transaction.RollbackAsync(cancellationToken).ConfigureAwait(false);
                command.Transaction = null;
                return await FallBackToFunctionAsync(command, streamId, expectedVersion, batch, cancellationToken).ConfigureAwait(false);
            }

            at = locked.Value;
        }

        await CopyEventsAsync(connection, streamId, expectedVersion.Value, batch, at, cancellationToken).ConfigureAwait(false);

        var last = expectedVersion.Value + batch.Count;
        GlobalPosition position;
        using (var command = backend.Command(sql.EventPosition, connection, transaction))
        {
            command.Parameters.Add(new NpgsqlParameter<string> { NpgsqlDbType = NpgsqlDbType.Text, TypedValue = streamId.Value });
            command.Parameters.Add(new NpgsqlParameter<long> { NpgsqlDbType = NpgsqlDbType.Bigint, TypedValue = last });
            await backend.PrepareAsync(command, cancellationToken).ConfigureAwait(false);
            var reader = await command.ExecuteReaderAsync(CommandBehavior.SingleRow, cancellationToken).ConfigureAwait(false);
            await using var readerScope = reader.ConfigureAwait(false);
            if (!await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                throw new EventStoreException($"The last event (version {last}) of the append to stream '{streamId}' could not be read back; nothing was written.");
            }

            position = Positions.Read(reader, 0);
        }

        await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
        return new AppendResult(streamId, last, position, AlreadyAppended: false);
    }

    /// <summary>The stream write's one value (the events' timestamp), or null when it wrote nothing (no row, or NoStream on a stream that exists).</summary>
    private static async Task<DateTimeOffset?> ReadTimestampAsync(NpgsqlCommand command, CancellationToken cancellationToken)
    {
        try
        {
            var reader = await command.ExecuteReaderAsync(CommandBehavior.SingleRow, cancellationToken).ConfigureAwait(false);
            await using var readerScope = reader.ConfigureAwait(false);
            return await reader.ReadAsync(cancellationToken).ConfigureAwait(false) ? reader.GetFieldValue<DateTimeOffset>(0) : null;
        }
        catch (PostgresException error) when (PostgresErrors.IsExistingStream(error))
        {
            return null;
        }
    }

    /// <summary>The batch's rows by binary COPY, at versions <paramref name="expected"/> + 1 …, all with the timestamp <paramref name="at"/>.</summary>
    private async Task CopyEventsAsync(NpgsqlConnection connection, StreamId streamId, long expected, AppendBatch batch, DateTimeOffset at, CancellationToken cancellationToken)
    {
        var rows = CopyRows.Encode(streamId.Value, expected, batch, at, out var length);
        try
        {
            var copy = await connection.BeginRawBinaryCopyAsync(backend.Sql.FastPath.CopyEvents, cancellationToken).ConfigureAwait(false);
            await using var copyScope = copy.ConfigureAwait(false);
            if (copy.CanTimeout)
            {
                copy.WriteTimeout = copy.ReadTimeout = backend.CommandTimeout * 1000;
            }

            try
            {
                await copy.WriteAsync(rows.AsMemory(0, length), cancellationToken).ConfigureAwait(false);
            }
            catch
            {
                // Not completed: the server discards the COPY (and the transaction is rolled back).
                await copy.CancelAsync().ConfigureAwait(false);
                throw;
            }

            // Disposing the stream completes the COPY; a refused row (a stored event id) throws here.
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(rows);
        }
    }
}
