using System.Data;
using EventSourcing.Postgres.Internal;
using EventSourcing.Serialization;
using EventSourcing.Storage;
using Npgsql;
using NpgsqlTypes;

namespace EventSourcing.Postgres;

public sealed partial class PostgresEventStore
{
    /// <summary>How many times an append the server refused or rolled back (ES503, 40001, 40P01) is tried in all.</summary>
    private const int OrderRetries = 8;

    /// <inheritdoc />
    /// <remarks>
    /// <para>
    /// One round trip whatever the batch size: the events travel as arrays (payloads as UTF-8 bytes)
    /// and are inserted with <c>unnest … with ordinality</c>. With an exact expected version (or
    /// <see cref="ExpectedVersion.NoStream"/>) and no inline projections, the append is one plain SQL
    /// statement (a single event as plain values, not arrays); only when it writes nothing does a second
    /// round trip call the schema's <c>append</c> function, which reports the conflict with the actual
    /// version. With inline projections, the append, the projections' writes and the commit share one
    /// transaction.
    /// </para>
    /// <para>
    /// A call that throws before it returns may or may not have committed (a reply lost with the
    /// connection, a server restart): the outcome is unknown. Retrying with the same
    /// <see cref="EventData"/> (the same event ids) is always safe: a batch already stored is reported as
    /// <see cref="AppendResult.AlreadyAppended"/>, wherever it landed. The store retries by itself only
    /// when the database proves nothing was written: an append whose transaction is older than the
    /// stream's last writer's is refused (per stream, global-log order equals version order), and one
    /// that the server rolled back as a serialization failure (40001) or deadlock victim (40P01), is
    /// re-run in a new transaction, a few times at most. Connection failures, server shutdowns
    /// (57P01, 08xxx) and timeouts reach the caller: their outcome may be unknown.
    /// </para>
    /// </remarks>
    public async ValueTask<AppendResult> AppendAsync(StreamId streamId, ExpectedVersion expectedVersion, IReadOnlyList<EventData> events, CancellationToken cancellationToken = default)
    {
        AppendGuard.Validate(streamId, expectedVersion, events);
        ThrowIfDisposed();

        var count = events.Count;
        var ids = new Guid[count];
        var types = new string[count];
        var data = new byte[count][];
        var metadata = new byte[]?[count];
        for (var i = 0; i < count; i++)
        {
            var e = events[i];
            ids[i] = e.EventId;
            data[i] = _registry.SerializeEvent(e.Event, out types[i]);
            metadata[i] = MetadataJson.Serialize(e.Metadata);
        }

        // Microseconds, as PostgreSQL stores them, so what inline projections see equals what readers see.
        var now = _time.GetUtcNow().ToUniversalTime();
        now = new DateTimeOffset(now.Ticks - (now.Ticks % 10), TimeSpan.Zero);

        // The fast path: an exact expectation that can hold (no overflow), no inline projections (they
        // need the function's result inside their transaction); one event goes as plain values.
        var fastSql = !_inline.IsEmpty || !expectedVersion.IsExact || AppendGuard.Overflows(expectedVersion, count)
            ? null
            : _fastSql.For(noStream: expectedVersion.Value == 0, single: count == 1);

        AppendResult result;
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                result = await AppendOnceAsync(fastSql, streamId, expectedVersion, ids, types, data, metadata, now, cancellationToken).ConfigureAwait(false);
                break;
            }
            catch (PostgresException error) when (PostgresErrors.IsRetryable(error) && attempt < OrderRetries)
            {
                // The transaction was refused or rolled back by the server: nothing was written, and a
                // new transaction (with a newer id) can succeed.
            }
            catch (PostgresException error) when (PostgresErrors.IsStoredIds(error))
            {
                result = await ResolveStoredBatchAsync(streamId, ids, cancellationToken).ConfigureAwait(false);
                break;
            }
            catch (PostgresException error) when (PostgresErrors.TranslateAppend(error, streamId, expectedVersion) is { } translated)
            {
                throw translated;
            }
        }

        if (!result.AlreadyAppended)
        {
            Notifier?.Notify();
        }

        return result;
    }

    /// <summary>One attempt, in one transaction: the fast path (falling back to the function), the function, or the function with inline projections.</summary>
    private async Task<AppendResult> AppendOnceAsync(string? fastSql, StreamId streamId, ExpectedVersion expectedVersion, Guid[] ids, string[] types, byte[][] data, byte[]?[] metadata, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var connection = await _dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var connectionScope = connection.ConfigureAwait(false);
        using var command = new NpgsqlCommand(fastSql ?? _sql.Append, connection) { CommandTimeout = _commandTimeout };
        AddAppendParameters(command.Parameters, streamId, expectedVersion, ids, types, data, metadata, now, single: fastSql is not null && ids.Length == 1);
        if (fastSql is not null)
        {
            await PrepareAsync(command, cancellationToken).ConfigureAwait(false);
            return await ExecuteFastAppendAsync(command, streamId, expectedVersion.Value + ids.Length, cancellationToken).ConfigureAwait(false)
                ?? await FallBackToFunctionAsync(command, streamId, expectedVersion, ids, types, data, metadata, now, cancellationToken).ConfigureAwait(false);
        }

        if (_inline.IsEmpty)
        {
            await PrepareAsync(command, cancellationToken).ConfigureAwait(false);
            return await ExecuteAppendAsync(command, streamId, cancellationToken).ConfigureAwait(false);
        }

        return await AppendWithInlineProjectionsAsync(connection, command, streamId, ids, types, data, metadata, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Some of the batch's ids are stored in the stream (an event id is stored at most once per stream).
    /// When all of them are, at consecutive versions in the batch's order, this is a repeat of an append
    /// that committed (e.g. a retry after a lost reply): "already appended", with the stored position.
    /// Anything else is a duplicate id.
    /// </summary>
    private async Task<AppendResult> ResolveStoredBatchAsync(StreamId streamId, Guid[] ids, CancellationToken cancellationToken)
    {
        var connection = await _dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var connectionScope = connection.ConfigureAwait(false);
        using var command = new NpgsqlCommand(_sql.StoredOfBatch, connection) { CommandTimeout = _commandTimeout };
        command.Parameters.Add(new NpgsqlParameter<string> { NpgsqlDbType = NpgsqlDbType.Text, TypedValue = streamId.Value });
        command.Parameters.Add(new NpgsqlParameter<Guid[]> { NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Uuid, TypedValue = ids });
        var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        await using var readerScope = reader.ConfigureAwait(false);
        var stored = new Dictionary<Guid, (long Version, GlobalPosition Position)>(ids.Length);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            stored[reader.GetGuid(1)] = (reader.GetInt64(0), Positions.Read(reader, 2));
        }

        var versions = new long[ids.Length];
        for (var i = 0; i < ids.Length; i++)
        {
            versions[i] = stored.TryGetValue(ids[i], out var at) ? at.Version : 0;
        }

        if (StoredBatch.RepeatEnd(streamId, ids, versions) is { } end)
        {
            return new AppendResult(streamId, end, stored[ids[^1]].Position, AlreadyAppended: true);
        }

        throw new EventStoreException($"The append to stream '{streamId}' was refused for ids the stream holds, but none of them could be read back.");
    }

    /// <summary>
    /// The single statement of <see cref="FastPathSql"/>: the result when the events were written, null
    /// when the expectation did not hold (nothing written: no row, or a row of NULLs).
    /// </summary>
    private static async Task<AppendResult?> ExecuteFastAppendAsync(NpgsqlCommand command, StreamId streamId, long nextVersion, CancellationToken cancellationToken)
    {
        var reader = await command.ExecuteReaderAsync(CommandBehavior.SingleRow, cancellationToken).ConfigureAwait(false);
        await using var readerScope = reader.ConfigureAwait(false);
        if (!await reader.ReadAsync(cancellationToken).ConfigureAwait(false) || reader.IsDBNull(0))
        {
            return null;
        }

        var position = Positions.Read(reader, 0);
        return new AppendResult(streamId, nextVersion, position, AlreadyAppended: false);
    }

    /// <summary>
    /// After a failed fast path: the same append through the append function (a second round trip and
    /// transaction), which raises ES409 with the actual version (or ES422 when the batch's ids are stored, or
    /// ES503 when a newer transaction wrote the stream first). It may
    /// also write, if the stream reached the expected version in between: a valid outcome.
    /// </summary>
    private async Task<AppendResult> FallBackToFunctionAsync(NpgsqlCommand command, StreamId streamId, ExpectedVersion expectedVersion, Guid[] ids, string[] types, byte[][] data, byte[]?[] metadata, DateTimeOffset now, CancellationToken cancellationToken)
    {
        command.CommandText = _sql.Append;
        command.Parameters.Clear();
        AddAppendParameters(command.Parameters, streamId, expectedVersion, ids, types, data, metadata, now, single: false);
        await PrepareAsync(command, cancellationToken).ConfigureAwait(false);
        return await ExecuteAppendAsync(command, streamId, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// The parameters of the append function and of <see cref="FastPathSql"/>, in their order: stream,
    /// expected version, ids, types, payloads, metadata (arrays, or single values for
    /// <paramref name="single"/>), timestamp.
    /// </summary>
    private static void AddAppendParameters(NpgsqlParameterCollection parameters, StreamId streamId, ExpectedVersion expectedVersion, Guid[] ids, string[] types, byte[][] data, byte[]?[] metadata, DateTimeOffset now, bool single)
    {
        parameters.Add(new NpgsqlParameter<string> { NpgsqlDbType = NpgsqlDbType.Text, TypedValue = streamId.Value });
        parameters.Add(new NpgsqlParameter<long> { NpgsqlDbType = NpgsqlDbType.Bigint, TypedValue = expectedVersion.Value });
        if (single)
        {
            parameters.Add(new NpgsqlParameter<Guid> { NpgsqlDbType = NpgsqlDbType.Uuid, TypedValue = ids[0] });
            parameters.Add(new NpgsqlParameter<string> { NpgsqlDbType = NpgsqlDbType.Text, TypedValue = types[0] });
            parameters.Add(new NpgsqlParameter<byte[]> { NpgsqlDbType = NpgsqlDbType.Json, TypedValue = data[0] });
            parameters.Add(metadata[0] is { } m
                ? new NpgsqlParameter<byte[]> { NpgsqlDbType = NpgsqlDbType.Json, TypedValue = m }
                : new NpgsqlParameter { NpgsqlDbType = NpgsqlDbType.Json, Value = DBNull.Value });
        }
        else
        {
            parameters.Add(new NpgsqlParameter<Guid[]> { NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Uuid, TypedValue = ids });
            parameters.Add(new NpgsqlParameter<string[]> { NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Text, TypedValue = types });
            parameters.Add(new NpgsqlParameter<byte[][]> { NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Json, TypedValue = data });
            parameters.Add(new NpgsqlParameter<byte[]?[]> { NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Json, TypedValue = metadata });
        }

        parameters.Add(new NpgsqlParameter<DateTimeOffset> { NpgsqlDbType = NpgsqlDbType.TimestampTz, TypedValue = now });
    }

    private static async Task<AppendResult> ExecuteAppendAsync(NpgsqlCommand command, StreamId streamId, CancellationToken cancellationToken)
    {
        var reader = await command.ExecuteReaderAsync(CommandBehavior.SingleRow, cancellationToken).ConfigureAwait(false);
        await using var readerScope = reader.ConfigureAwait(false);
        if (!await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            throw new EventStoreException($"The append function returned no row for stream '{streamId}'.");
        }

        var position = Positions.Read(reader, 1);
        return new AppendResult(streamId, reader.GetInt64(0), position, AlreadyAppended: reader.GetBoolean(3));
    }

    /// <summary>
    /// The append and the inline projections in one transaction: a projection that throws (or a
    /// cancellation) rolls the events back with its own writes.
    /// </summary>
    private async Task<AppendResult> AppendWithInlineProjectionsAsync(NpgsqlConnection connection, NpgsqlCommand command, StreamId streamId, Guid[] ids, string[] types, byte[][] data, byte[]?[] metadata, CancellationToken cancellationToken)
    {
        var transaction = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
        await using var transactionScope = transaction.ConfigureAwait(false);
        command.Transaction = transaction;
        var result = await ExecuteAppendAsync(command, streamId, cancellationToken).ConfigureAwait(false);
        if (!result.AlreadyAppended)
        {
            var envelopes = await AppendedEnvelopesAsync(connection, transaction, result, ids, types, data, metadata, cancellationToken).ConfigureAwait(false);
            var contexts = _inline.CreateContexts(name => new PostgresProjectionContext(name, isRebuild: false, connection, transaction));
            await _inline.RunAsync(envelopes, contexts, cancellationToken).ConfigureAwait(false);
        }

        await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
        return result;
    }

    /// <summary>
    /// The envelopes of the events just appended, as readers will get them: positions and timestamps read
    /// back inside the transaction, events and metadata deserialized from the bytes written (fresh objects,
    /// upcast on read), never the appender's own objects.
    /// </summary>
    private async Task<EventEnvelope[]> AppendedEnvelopesAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, AppendResult result, Guid[] ids, string[] types, byte[][] data, byte[]?[] metadata, CancellationToken cancellationToken)
    {
        var count = ids.Length;
        var first = result.NextExpectedVersion - count + 1;
        using var command = new NpgsqlCommand(_sql.AppendedPositions, connection, transaction) { CommandTimeout = _commandTimeout };
        command.Parameters.Add(new NpgsqlParameter<string> { NpgsqlDbType = NpgsqlDbType.Text, TypedValue = result.StreamId.Value });
        command.Parameters.Add(new NpgsqlParameter<long> { NpgsqlDbType = NpgsqlDbType.Bigint, TypedValue = first - 1 });
        command.Parameters.Add(new NpgsqlParameter<long> { NpgsqlDbType = NpgsqlDbType.Bigint, TypedValue = result.NextExpectedVersion });
        var envelopes = new EventEnvelope[count];
        var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        await using var readerScope = reader.ConfigureAwait(false);
        for (var i = 0; i < count; i++)
        {
            if (!await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                throw new EventStoreException($"Appended event {ids[i]} of stream '{result.StreamId}' could not be read back.");
            }

            var version = reader.GetInt64(0);
            var position = GlobalPosition.FromParts(result.Position.ToParts().Major, reader.GetInt64(1));
            var @event = _registry.DeserializeEvent(types[i], data[i], ids[i], result.StreamId, version, out var name);
            var eventMetadata = metadata[i] is { } m ? MetadataJson.Deserialize(m) : EventMetadata.Empty;
            envelopes[i] = new EventEnvelope(ids[i], result.StreamId, version, position, name, @event, eventMetadata, reader.GetFieldValue<DateTimeOffset>(2));
        }

        return envelopes;
    }
}
