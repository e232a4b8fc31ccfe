using System.Data;
using Npgsql;
using NpgsqlTypes;

namespace EventSourcing.Postgres.Internal;

internal sealed partial class AppendProtocol
{
    /// <summary>
    /// After a failed fast path: the same append through the append function (a second round trip and
    /// transaction), which raises ES409 with the actual version (or ES422 when the batch's ids are stored, or
    /// ES503 when a newer transaction wrote the stream first). It may
    /// also write, if the stream reached the expected version in between: a valid outcome.
    /// </summary>
    private async Task<AppendResult> FallBackToFunctionAsync(NpgsqlCommand command, StreamId streamId, ExpectedVersion expectedVersion, AppendBatch batch, CancellationToken cancellationToken)
    {
        command.CommandText = backend.Sql.Append;
        command.Parameters.Clear();
        AddParameters(command.Parameters, streamId, expectedVersion, batch, single: false);
        await backend.PrepareAsync(command, cancellationToken).ConfigureAwait(false);
        return await ExecuteFunctionAsync(command, streamId, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The append function's result row: the stream's version, the last event's position, and whether the batch was stored already.</summary>
    private static async Task<AppendResult> ExecuteFunctionAsync(NpgsqlCommand command, StreamId streamId, CancellationToken cancellationToken)
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
    /// The parameters of the append function and of <see cref="FastPathSql"/>, in their order: stream,
    /// expected version, ids, types, payloads, metadata (arrays, or single values for
    /// <paramref name="single"/>), timestamp.
    /// </summary>
    private static void AddParameters(NpgsqlParameterCollection parameters, StreamId streamId, ExpectedVersion expectedVersion, AppendBatch batch, bool single)
    {
        parameters.Add(new NpgsqlParameter<string> { NpgsqlDbType = NpgsqlDbType.Text, TypedValue = streamId.Value });
        parameters.Add(new NpgsqlParameter<long> { NpgsqlDbType = NpgsqlDbType.Bigint, TypedValue = expectedVersion.Value });
        if (single)
        {
            parameters.Add(new NpgsqlParameter<Guid> { NpgsqlDbType = NpgsqlDbType.Uuid, TypedValue = batch.Ids[0] });
            parameters.Add(new NpgsqlParameter<string> { NpgsqlDbType = NpgsqlDbType.Text, TypedValue = batch.Types[0] });
            parameters.Add(new NpgsqlParameter<byte[]> { NpgsqlDbType = NpgsqlDbType.Json, TypedValue = batch.Data[0] });
            parameters.Add(batch.Metadata[0] is { } m
                ? new NpgsqlParameter<byte[]> { NpgsqlDbType = NpgsqlDbType.Json, TypedValue = m }
                : new NpgsqlParameter { NpgsqlDbType = NpgsqlDbType.Json, Value = DBNull.Value });
        }
        else
        {
            parameters.Add(new NpgsqlParameter<Guid[]> { NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Uuid, TypedValue = batch.Ids });
            parameters.Add(new NpgsqlParameter<string[]> { NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Text, TypedValue = batch.Types });
            parameters.Add(new NpgsqlParameter<byte[][]> { NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Json, TypedValue = batch.Data });
            parameters.Add(new NpgsqlParameter<byte[]?[]> { NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Json, TypedValue = batch.Metadata });
        }

        parameters.Add(new NpgsqlParameter<DateTimeOffset> { NpgsqlDbType = NpgsqlDbType.TimestampTz, TypedValue = batch.Timestamp });
    }
}
