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
    public const int DefaultCopyThreshold = 256;

    /// <summary>The smallest batch written by COPY (tests lower it to send every batch of two or more that way).</summary>
    public int CopyThreshold { get; set; } = DefaultCopyThreshold;

    /// <summary>
    /// A large batch with an exact expectation, in one transaction: the stream write of the fast path
    /// (<see cref="FastPathSql.LockFor"/>: the same conditional insert or update, order guard included, which
    /// locks the stream row until the commit), then the events by binary COPY, then the last event's
    /// position, then the commit. Nothing else can write the stream in between (its row is locked), so the
    /// versions are the expected one + 1 … + n; the log id and positions come from the table's defaults, as
    /// for an INSERT. When the stream write matches nothing, the transaction is rolled back and the append
    /// function reports why (or writes, as after a failed fast path). A stored event id surfaces as 23505 on
    /// <c>events_stream_event_id</c> from the COPY; an error or a cancellation anywhere before the commit
    /// rolls everything back.
    /// </summary>
    /// <remarks>
    /// Why: the arrays of the single statement are decoded and unnested before the first row is inserted,
    /// and the rows go in one at a time; a COPY's rows are inserted while the client still sends the next
    /// ones, in multi-row heap writes (less WAL). Measured at 1,000 events: see
    /// <c>benchmarks/sql/append-server-cost.sql</c> and the append notes in <c>benchmarks/README.md</c>.
    /// It costs three round trips more than the statement, which small batches do not win back.
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

    /// <summary>The stream write's one value (the events' timestamp), or null when it wrote nothing.</summary>
    private static async Task<DateTimeOffset?> ReadTimestampAsync(NpgsqlCommand command, CancellationToken cancellationToken)
    {
        var reader = await command.ExecuteReaderAsync(CommandBehavior.SingleRow, cancellationToken).ConfigureAwait(false);
        await using var readerScope = reader.ConfigureAwait(false);
        return await reader.ReadAsync(cancellationToken).ConfigureAwait(false) ? reader.GetFieldValue<DateTimeOffset>(0) : null;
    }

    /// <summary>The batch's rows by binary COPY, at versions <paramref name="expected"/> + 1 …, all with the timestamp <paramref name="at"/>.</summary>
    private async Task CopyEventsAsync(NpgsqlConnection connection, StreamId streamId, long expected, AppendBatch batch, DateTimeOffset at, CancellationToken cancellationToken)
    {
        // Disposed without CompleteAsync (an exception, a cancellation), the importer cancels the COPY.
        var importer = await connection.BeginBinaryImportAsync(backend.Sql.FastPath.CopyEvents, cancellationToken).ConfigureAwait(false);
        await using var importerScope = importer.ConfigureAwait(false);
        importer.Timeout = TimeSpan.FromSeconds(backend.CommandTimeout);
        var stream = streamId.Value;
        for (var i = 0; i < batch.Count; i++)
        {
            await importer.StartRowAsync(cancellationToken).ConfigureAwait(false);
            await importer.WriteAsync(stream, NpgsqlDbType.Text, cancellationToken).ConfigureAwait(false);
            await importer.WriteAsync(expected + i + 1, NpgsqlDbType.Bigint, cancellationToken).ConfigureAwait(false);
            await importer.WriteAsync(batch.Ids[i], NpgsqlDbType.Uuid, cancellationToken).ConfigureAwait(false);
            await importer.WriteAsync(batch.Types[i], NpgsqlDbType.Text, cancellationToken).ConfigureAwait(false);
            await importer.WriteAsync(batch.Data[i], NpgsqlDbType.Json, cancellationToken).ConfigureAwait(false);
            if (batch.Metadata[i] is { } metadata)
            {
                await importer.WriteAsync(metadata, NpgsqlDbType.Json, cancellationToken).ConfigureAwait(false);
            }
            else
            {
                await importer.WriteNullAsync(cancellationToken).ConfigureAwait(false);
            }

            await importer.WriteAsync(at, NpgsqlDbType.TimestampTz, cancellationToken).ConfigureAwait(false);
        }

        await importer.CompleteAsync(cancellationToken).ConfigureAwait(false);
    }
}
