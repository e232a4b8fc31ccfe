using EventSourcing.Serialization;
using Npgsql;
using NpgsqlTypes;

namespace EventSourcing.Postgres.Internal;

internal sealed partial class AppendProtocol
{
    /// <summary>The documents inline views write in the append's transaction.</summary>
    private readonly PostgresDocuments _documents = new(backend);

    /// <summary>
    /// The append and the inline projections in one transaction: a projection that throws (or a
    /// cancellation) rolls the events back with its own writes.
    /// </summary>
    private async Task<AppendResult> AppendWithInlineProjectionsAsync(NpgsqlConnection connection, NpgsqlCommand command, StreamId streamId, AppendBatch batch, CancellationToken cancellationToken)
    {
        var transaction = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
        await using var transactionScope = transaction.ConfigureAwait(false);
        command.Transaction = transaction;
        var result = await ExecuteFunctionAsync(command, streamId, cancellationToken).ConfigureAwait(false);
        if (!result.AlreadyAppended)
        {
            var envelopes = await AppendedEnvelopesAsync(connection, transaction, result, batch, cancellationToken).ConfigureAwait(false);
            var documents = _documents.Session(connection, transaction);
            var contexts = Inline.CreateContexts(name => new PostgresProjectionContext(name, isRebuild: false, connection, transaction) { Documents = documents });
            await Inline.RunAsync(envelopes, contexts, cancellationToken).ConfigureAwait(false);
        }

        await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
        return result;
    }

    /// <summary>
    /// The envelopes of the events just appended, as readers will get them: positions and timestamps read
    /// back inside the transaction, events and metadata deserialized from the bytes written (fresh objects,
    /// upcast on read), never the appender's own objects.
    /// </summary>
    private async Task<EventEnvelope[]> AppendedEnvelopesAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, AppendResult result, AppendBatch batch, CancellationToken cancellationToken)
    {
        var count = batch.Count;
        var first = result.NextExpectedVersion - count + 1;
        using var command = backend.Command(backend.Sql.AppendedPositions, connection, transaction);
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
                throw new EventStoreException($"Appended event {batch.Ids[i]} of stream '{result.StreamId}' could not be read back.");
            }

            var version = reader.GetInt64(0);
            var position = GlobalPosition.FromParts(result.Position.ToParts().Major, reader.GetInt64(1));
            var @event = registry.DeserializeEvent(batch.Types[i], batch.Data[i], batch.Ids[i], result.StreamId, version, out var name);
            var metadata = batch.Metadata[i] is { } m ? MetadataJson.Deserialize(m) : EventMetadata.Empty;
            envelopes[i] = new EventEnvelope(batch.Ids[i], result.StreamId, version, position, name, @event, metadata, reader.GetFieldValue<DateTimeOffset>(2));
        }

        return envelopes;
    }
}
