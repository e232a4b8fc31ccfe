using System.Data;
using EventSourcing.Postgres.Internal;
using EventSourcing.Serialization;
using EventSourcing.Storage;
using Npgsql;
using NpgsqlTypes;

namespace EventSourcing.Postgres;

public sealed partial class PostgresEventStore
{
    /// <inheritdoc />
    /// <remarks>
    /// One round trip whatever the batch size: the events travel as arrays (payloads as UTF-8 bytes)
    /// and are inserted with <c>unnest … with ordinality</c>. A cancelled or broken call writes nothing.
    /// With inline projections, the append, the projections' writes and the commit share one transaction.
    /// </remarks>
    public async ValueTask<AppendResult> AppendAsync(StreamId streamId, ExpectedVersion expectedVersion, IReadOnlyList<EventData> events, CancellationToken cancellationToken = default)
    {
        AppendGuard.Validate(streamId, events);
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

        var connection = await _dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var connectionScope = connection.ConfigureAwait(false);
        using var command = new NpgsqlCommand(_sql.Append, connection) { CommandTimeout = _commandTimeout };
        var parameters = command.Parameters;
        parameters.Add(new NpgsqlParameter<string> { NpgsqlDbType = NpgsqlDbType.Text, TypedValue = streamId.Value });
        parameters.Add(new NpgsqlParameter<long> { NpgsqlDbType = NpgsqlDbType.Bigint, TypedValue = expectedVersion.Value });
        parameters.Add(new NpgsqlParameter<Guid[]> { NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Uuid, TypedValue = ids });
        parameters.Add(new NpgsqlParameter<string[]> { NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Text, TypedValue = types });
        parameters.Add(new NpgsqlParameter<byte[][]> { NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Json, TypedValue = data });
        parameters.Add(new NpgsqlParameter<byte[]?[]> { NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Json, TypedValue = metadata });
        parameters.Add(new NpgsqlParameter<DateTimeOffset> { NpgsqlDbType = NpgsqlDbType.TimestampTz, TypedValue = now });

        AppendResult result;
        try
        {
            if (_inline.Length == 0)
            {
                await command.PrepareAsync(cancellationToken).ConfigureAwait(false);
                result = await ExecuteAppendAsync(command, streamId, cancellationToken).ConfigureAwait(false);
            }
            else
            {
                result = await AppendWithInlineProjectionsAsync(connection, command, streamId, events, now, cancellationToken).ConfigureAwait(false);
            }
        }
        catch (PostgresException error) when (PostgresErrors.TranslateAppend(error, streamId, expectedVersion) is { } translated)
        {
            throw translated;
        }

        if (!result.AlreadyAppended)
        {
            Notifier?.Notify();
        }

        return result;
    }

    private static async Task<AppendResult> ExecuteAppendAsync(NpgsqlCommand command, StreamId streamId, CancellationToken cancellationToken)
    {
        var reader = await command.ExecuteReaderAsync(CommandBehavior.SingleRow, cancellationToken).ConfigureAwait(false);
        await using var readerScope = reader.ConfigureAwait(false);
        if (!await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            throw new EventStoreException($"The append function returned no row for stream '{streamId}'.");
        }

        var position = new GlobalPosition(reader.GetFieldValue<ulong>(1), reader.GetInt64(2));
        return new AppendResult(streamId, reader.GetInt64(0), position, AlreadyAppended: reader.GetBoolean(3));
    }

    /// <summary>
    /// The append and the inline projections in one transaction: a projection that throws (or a
    /// cancellation) rolls the events back with its own writes.
    /// </summary>
    private async Task<AppendResult> AppendWithInlineProjectionsAsync(NpgsqlConnection connection, NpgsqlCommand command, StreamId streamId, IReadOnlyList<EventData> events, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var transaction = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
        await using var transactionScope = transaction.ConfigureAwait(false);
        command.Transaction = transaction;
        var result = await ExecuteAppendAsync(command, streamId, cancellationToken).ConfigureAwait(false);
        if (!result.AlreadyAppended)
        {
            var envelopes = await AppendedEnvelopesAsync(connection, transaction, result, events, now, cancellationToken).ConfigureAwait(false);
            foreach (var envelope in envelopes)
            {
                foreach (var (projection, handled) in _inline)
                {
                    if (handled.Contains(envelope.EventType))
                    {
                        var context = new PostgresProjectionContext(projection.Name, isRebuild: false, connection, transaction);
                        await projection.ProjectAsync(envelope, context, cancellationToken).ConfigureAwait(false);
                    }
                }
            }
        }

        await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
        return result;
    }

    /// <summary>The envelopes of the events just appended (their positions read back inside the transaction).</summary>
    private async Task<EventEnvelope[]> AppendedEnvelopesAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, AppendResult result, IReadOnlyList<EventData> events, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var count = events.Count;
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
                throw new EventStoreException($"Appended event {events[i].EventId} of stream '{result.StreamId}' could not be read back.");
            }

            var e = events[i];
            var @event = _registry.UpcastObject(_registry.Resolve(e.Event.GetType()), e.Event, out var name);
            var position = new GlobalPosition(result.Position.TransactionId, reader.GetInt64(1));
            envelopes[i] = new EventEnvelope(e.EventId, result.StreamId, reader.GetInt64(0), position, name, @event, e.Metadata, now);
        }

        return envelopes;
    }
}
