using System.Buffers;
using System.Data;
using System.Runtime.CompilerServices;
using System.Text.Json;
using EventSourcing.Serialization;
using EventSourcing.Storage;
using Npgsql;
using NpgsqlTypes;

namespace EventSourcing.Postgres;

public sealed partial class PostgresEventStore
{
    /// <inheritdoc />
    /// <remarks>
    /// Reads in keyset pages of up to 5,000 rows; each page is one short query whose connection goes
    /// back to the pool before its events are handed out. Payloads are read as UTF-8 bytes into a
    /// pooled buffer and deserialized from there, without an intermediate string.
    /// </remarks>
    public IAsyncEnumerable<EventEnvelope> ReadStreamAsync(StreamId streamId, long fromVersion = 1, long maxCount = long.MaxValue, CancellationToken cancellationToken = default)
    {
        AppendGuard.ValidateRead(streamId, fromVersion, maxCount);
        ThrowIfDisposed();
        return ReadStreamPagesAsync(streamId, fromVersion, maxCount, cancellationToken);
    }

    /// <inheritdoc />
    /// <remarks>
    /// Gap-safe: each page takes only events of transactions older than the oldest transaction still
    /// running in the cluster, in (transaction id, sequence) order, decided in the same statement. An
    /// open write transaction anywhere in the cluster therefore holds readers back until it ends (the
    /// events after it are returned once it commits or rolls back); that delays, but never loses, events.
    /// </remarks>
    public IAsyncEnumerable<EventEnvelope> ReadAllAsync(GlobalPosition after, int maxCount = int.MaxValue, IReadOnlyCollection<string>? eventTypes = null, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(maxCount);
        ThrowIfDisposed();
        return ReadAllPagesAsync(after, maxCount, eventTypes is null ? null : StoredNames(_registry, eventTypes), cancellationToken);
    }

    /// <summary>Every stored name whose events read as one of these registered names (aliases and upcast sources included).</summary>
    internal static string[] StoredNames(EventTypeRegistry registry, IReadOnlyCollection<string> eventTypes)
    {
        var names = new HashSet<string>(StringComparer.Ordinal);
        foreach (var type in eventTypes)
        {
            names.UnionWith(registry.GetStoredNames(type));
        }

        return [.. names];
    }

    private async IAsyncEnumerable<EventEnvelope> ReadStreamPagesAsync(StreamId streamId, long fromVersion, long maxCount, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var page = new List<EventEnvelope>((int)Math.Min(maxCount, 64));
        var next = fromVersion;
        var remaining = maxCount;
        while (remaining > 0)
        {
            var limit = (int)Math.Min(remaining, PageSize);
            page.Clear();
            await ReadStreamPageAsync(streamId, next, limit, page, cancellationToken).ConfigureAwait(false);
            foreach (var envelope in page)
            {
                yield return envelope;
            }

            if (page.Count < limit)
            {
                yield break;
            }

            remaining -= page.Count;
            next = page[^1].StreamVersion + 1;
        }
    }

    private async Task ReadStreamPageAsync(StreamId streamId, long fromVersion, int limit, List<EventEnvelope> page, CancellationToken cancellationToken)
    {
        var connection = await _dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var connectionScope = connection.ConfigureAwait(false);
        using var command = new NpgsqlCommand(_sql.ReadStream, connection) { CommandTimeout = _commandTimeout };
        command.Parameters.Add(new NpgsqlParameter<string> { NpgsqlDbType = NpgsqlDbType.Text, TypedValue = streamId.Value });
        command.Parameters.Add(new NpgsqlParameter<long> { NpgsqlDbType = NpgsqlDbType.Bigint, TypedValue = fromVersion });
        command.Parameters.Add(new NpgsqlParameter<int> { NpgsqlDbType = NpgsqlDbType.Integer, TypedValue = limit });
        await command.PrepareAsync(cancellationToken).ConfigureAwait(false);

        var buffer = ArrayPool<byte>.Shared.Rent(4096);
        try
        {
            var reader = await command.ExecuteReaderAsync(CommandBehavior.SequentialAccess, cancellationToken).ConfigureAwait(false);
            await using var readerScope = reader.ConfigureAwait(false);
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                // Columns in select order: SequentialAccess reads each once, front to back.
                var version = reader.GetInt64(0);
                var eventId = reader.GetGuid(1);
                var storedType = reader.GetString(2);
                var timestamp = reader.GetFieldValue<DateTimeOffset>(3);
                var position = new GlobalPosition(reader.GetFieldValue<ulong>(4), reader.GetInt64(5));
                page.Add(ReadEnvelope(reader, 6, ref buffer, eventId, streamId, version, position, storedType, timestamp));
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private async IAsyncEnumerable<EventEnvelope> ReadAllPagesAsync(GlobalPosition after, int maxCount, string[]? storedTypes, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var page = new List<EventEnvelope>(Math.Min(maxCount, 64));
        var position = after;
        var remaining = maxCount;
        while (remaining > 0)
        {
            var limit = Math.Min(remaining, PageSize);
            page.Clear();
            await ReadAllPageAsync(position, limit, storedTypes, page, cancellationToken).ConfigureAwait(false);
            foreach (var envelope in page)
            {
                yield return envelope;
            }

            if (page.Count < limit)
            {
                yield break;
            }

            remaining -= page.Count;
            position = page[^1].Position;
        }
    }

    private async Task ReadAllPageAsync(GlobalPosition after, int limit, string[]? storedTypes, List<EventEnvelope> page, CancellationToken cancellationToken)
    {
        var connection = await _dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var connectionScope = connection.ConfigureAwait(false);
        using var command = new NpgsqlCommand(storedTypes is null ? _sql.ReadAll : _sql.ReadAllOfTypes, connection) { CommandTimeout = _commandTimeout };
        command.Parameters.Add(new NpgsqlParameter<ulong> { NpgsqlDbType = NpgsqlDbType.Xid8, TypedValue = after.TransactionId });
        command.Parameters.Add(new NpgsqlParameter<long> { NpgsqlDbType = NpgsqlDbType.Bigint, TypedValue = after.Sequence });
        command.Parameters.Add(new NpgsqlParameter<int> { NpgsqlDbType = NpgsqlDbType.Integer, TypedValue = limit });
        if (storedTypes is not null)
        {
            command.Parameters.Add(new NpgsqlParameter<string[]> { NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Text, TypedValue = storedTypes });
        }
        await command.PrepareAsync(cancellationToken).ConfigureAwait(false);

        var buffer = ArrayPool<byte>.Shared.Rent(4096);
        StreamId streamId = default;
        try
        {
            var reader = await command.ExecuteReaderAsync(CommandBehavior.SequentialAccess, cancellationToken).ConfigureAwait(false);
            await using var readerScope = reader.ConfigureAwait(false);
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                var position = new GlobalPosition(reader.GetFieldValue<ulong>(0), reader.GetInt64(1));
                var stream = reader.GetString(2);

                // Consecutive events of one stream (a batch) share one validated id.
                if (streamId.IsDefault || !string.Equals(streamId.Value, stream, StringComparison.Ordinal))
                {
                    streamId = new StreamId(stream);
                }

                var version = reader.GetInt64(3);
                var eventId = reader.GetGuid(4);
                var storedType = reader.GetString(5);
                var timestamp = reader.GetFieldValue<DateTimeOffset>(6);
                page.Add(ReadEnvelope(reader, 7, ref buffer, eventId, streamId, version, position, storedType, timestamp));
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <summary>Reads the metadata and payload columns (at <paramref name="ordinal"/> and the next one) and builds the envelope.</summary>
    private EventEnvelope ReadEnvelope(NpgsqlDataReader reader, int ordinal, ref byte[] buffer, Guid eventId, StreamId streamId, long version, GlobalPosition position, string storedType, DateTimeOffset timestamp)
    {
        var metadata = EventMetadata.Empty;
        if (!reader.IsDBNull(ordinal))
        {
            var length = ReadBytes(reader, ordinal, ref buffer);
            try
            {
                metadata = MetadataJson.Deserialize(buffer.AsSpan(0, length));
            }
            catch (Exception ex) when (ex is JsonException or InvalidOperationException)
            {
                throw new EventDeserializationException(eventId, streamId, version, storedType, ex);
            }
        }

        var payloadLength = ReadBytes(reader, ordinal + 1, ref buffer);
        var @event = _registry.DeserializeEvent(storedType, buffer.AsSpan(0, payloadLength), eventId, streamId, version, out var eventType);
        return new EventEnvelope(eventId, streamId, version, position, eventType, @event, metadata, timestamp);
    }

    /// <summary>Copies a json column's raw UTF-8 bytes into the (pooled, grown on demand) buffer; returns the length.</summary>
    private static int ReadBytes(NpgsqlDataReader reader, int ordinal, ref byte[] buffer)
    {
        var length = checked((int)reader.GetBytes(ordinal, 0, null, 0, 0));
        if (buffer.Length < length)
        {
            ArrayPool<byte>.Shared.Return(buffer);
            buffer = ArrayPool<byte>.Shared.Rent(length);
        }

        reader.GetBytes(ordinal, 0, buffer, 0, length);
        return length;
    }
}
