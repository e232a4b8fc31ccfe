using System.Data;
using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Text.Json;
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
    /// <para>
    /// Reads in keyset pages, one query each, and hands each event out as soon as its row is read. The
    /// first page has up to 5,000 rows; later ones grow (up to 50,000) for a consumer fast enough to get
    /// through them in about a quarter of a second, so that a long stream replays in few round trips.
    /// Payloads and type names are read as UTF-8 bytes into pooled buffers and resolved and
    /// deserialized from there: no string per event.
    /// </para>
    /// <para>
    /// A page's query holds one pooled connection (and its snapshot) while its events are handed out: a
    /// consumer that is slow between events, or stops iterating without disposing the enumerator, keeps
    /// that connection busy for as long, and one that uses the same data source inside the loop needs a
    /// second connection from the pool. The connection goes back to the pool at the end of each page and
    /// when the enumeration ends or is disposed.
    /// </para>
    /// </remarks>
    public IAsyncEnumerable<EventEnvelope> ReadStreamAsync(StreamId streamId, long fromVersion = 1, long maxCount = long.MaxValue, CancellationToken cancellationToken = default)
    {
        AppendGuard.ValidateRead(streamId, fromVersion, maxCount);
        ThrowIfDisposed();
        return ReadStreamPagesAsync(streamId, fromVersion, maxCount, cancellationToken);
    }

    /// <inheritdoc />
    /// <remarks>
    /// <para>
    /// Gap-safe: each page takes only events of transactions older than the oldest transaction still
    /// running in the cluster, in (transaction id, sequence) order, decided in the same statement. An
    /// open write transaction anywhere in the cluster therefore holds readers back until it ends (the
    /// events after it are returned once it commits or rolls back); that delays, but never loses, events.
    /// </para>
    /// <para>
    /// Paged as <see cref="ReadStreamAsync"/> is (5,000 rows first, more for a fast consumer); events are
    /// handed out as their rows are read, and the page's query holds one pooled connection meanwhile: a
    /// slow consumer holds that connection for as long as it takes over the page's events.
    /// </para>
    /// </remarks>
    public IAsyncEnumerable<EventEnvelope> ReadAllAsync(GlobalPosition after, int maxCount = int.MaxValue, IReadOnlyCollection<string>? eventTypes = null, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(maxCount);
        ThrowIfDisposed();
        return ReadAllPagesAsync(after, maxCount, eventTypes is null ? null : StoredNames(_registry, eventTypes), cancellationToken);
    }

    /// <inheritdoc />
    public async ValueTask<EventEnvelope?> ReadEventAsync(StreamId streamId, Guid eventId, CancellationToken cancellationToken = default)
    {
        AppendGuard.ValidateStreamId(streamId);
        ThrowIfDisposed();
        var buffers = new RowBuffers();
        try
        {
            var connection = await _dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
            await using var connectionScope = connection.ConfigureAwait(false);
            using var command = new NpgsqlCommand(_sql.ReadEvent, connection) { CommandTimeout = _commandTimeout };
            command.Parameters.Add(new NpgsqlParameter<string> { NpgsqlDbType = NpgsqlDbType.Text, TypedValue = streamId.Value });
            command.Parameters.Add(new NpgsqlParameter<Guid> { NpgsqlDbType = NpgsqlDbType.Uuid, TypedValue = eventId });
            var reader = await command.ExecuteReaderAsync(CommandBehavior.SequentialAccess | CommandBehavior.SingleRow, cancellationToken).ConfigureAwait(false);
            await using var readerScope = reader.ConfigureAwait(false);
            if (!await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                return null;
            }

            var version = reader.GetInt64(0);
            var id = reader.GetGuid(1);
            var typeLength = buffers.ReadChars(reader, 2);
            var timestamp = reader.GetFieldValue<DateTimeOffset>(3);
            var position = Positions.Read(reader, 4);
            return ReadEnvelope(reader, 6, buffers, typeLength, id, streamId, version, position, timestamp);
        }
        finally
        {
            buffers.Return();
        }
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

    /// <summary>
    /// Rows to ask for: <paramref name="take"/> (the page, or what remains of the read if less), plus one
    /// when more remains. That extra row is never read, only seen: it says whether another page
    /// follows, so the last page is never an empty query.
    /// </summary>
    private static int PageLimit(long remaining, int pageSize, out int take)
    {
        take = (int)Math.Min(remaining, pageSize);
        return remaining > take ? take + 1 : take;
    }

    /// <summary>
    /// The size of the next page: as many rows as this consumer got through in about
    /// <see cref="PageTime"/>, between <see cref="PageSize"/> and <see cref="MaxPageSize"/>. A page holds
    /// a connection and a snapshot while its events are handed out, so a slow consumer keeps small
    /// pages; one that replays an aggregate or catches up on the log gets large ones, and few queries.
    /// </summary>
    internal static int NextPageSize(int rows, TimeSpan elapsed)
    {
        var fitting = elapsed <= TimeSpan.Zero ? MaxPageSize : rows * (PageTime / elapsed);
        return (int)Math.Clamp(fitting, PageSize, MaxPageSize);
    }

    private async IAsyncEnumerable<EventEnvelope> ReadStreamPagesAsync(StreamId streamId, long fromVersion, long maxCount, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var buffers = new RowBuffers();
        try
        {
            var next = fromVersion;
            var remaining = maxCount;
            var pageSize = PageSize;
            while (remaining > 0)
            {
                var started = Stopwatch.GetTimestamp();
                var limit = PageLimit(remaining, pageSize, out var take);
                var connection = await _dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
                await using var connectionScope = connection.ConfigureAwait(false);
                using var command = new NpgsqlCommand(_sql.ReadStream, connection) { CommandTimeout = _commandTimeout };
                command.Parameters.Add(new NpgsqlParameter<string> { NpgsqlDbType = NpgsqlDbType.Text, TypedValue = streamId.Value });
                command.Parameters.Add(new NpgsqlParameter<long> { NpgsqlDbType = NpgsqlDbType.Bigint, TypedValue = next });
                command.Parameters.Add(new NpgsqlParameter<int> { NpgsqlDbType = NpgsqlDbType.Integer, TypedValue = limit });
                await PrepareAsync(command, cancellationToken).ConfigureAwait(false);

                var reader = await command.ExecuteReaderAsync(CommandBehavior.SequentialAccess, cancellationToken).ConfigureAwait(false);
                await using var readerScope = reader.ConfigureAwait(false);
                var read = 0;
                while (read < take && await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
                {
                    // Columns in select order: SequentialAccess reads each once, front to back.
                    var version = reader.GetInt64(0);
                    var eventId = reader.GetGuid(1);
                    var typeLength = buffers.ReadChars(reader, 2);
                    var timestamp = reader.GetFieldValue<DateTimeOffset>(3);
                    var position = Positions.Read(reader, 4);
                    var envelope = ReadEnvelope(reader, 6, buffers, typeLength, eventId, streamId, version, position, timestamp);
                    read++;
                    next = version + 1;
                    yield return envelope;
                }

                if (read < take || limit == take || !await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
                {
                    yield break;
                }

                remaining -= read;
                pageSize = NextPageSize(read, Stopwatch.GetElapsedTime(started));
            }
        }
        finally
        {
            buffers.Return();
        }
    }

    private async IAsyncEnumerable<EventEnvelope> ReadAllPagesAsync(GlobalPosition after, int maxCount, string[]? storedTypes, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var buffers = new RowBuffers();
        try
        {
            var position = after;
            long remaining = maxCount;
            var pageSize = PageSize;
            StreamId streamId = default;
            while (remaining > 0)
            {
                var started = Stopwatch.GetTimestamp();
                var limit = PageLimit(remaining, pageSize, out var take);
                var connection = await _dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
                await using var connectionScope = connection.ConfigureAwait(false);
                using var command = new NpgsqlCommand(storedTypes is null ? _sql.ReadAll : _sql.ReadAllOfTypes, connection) { CommandTimeout = _commandTimeout };
                Positions.Add(command.Parameters, position);
                command.Parameters.Add(new NpgsqlParameter<int> { NpgsqlDbType = NpgsqlDbType.Integer, TypedValue = limit });
                if (storedTypes is not null)
                {
                    command.Parameters.Add(new NpgsqlParameter<string[]> { NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Text, TypedValue = storedTypes });
                }

                await PrepareAsync(command, cancellationToken).ConfigureAwait(false);

                var reader = await command.ExecuteReaderAsync(CommandBehavior.SequentialAccess, cancellationToken).ConfigureAwait(false);
                await using var readerScope = reader.ConfigureAwait(false);
                var read = 0;
                while (read < take && await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
                {
                    position = Positions.Read(reader, 0);

                    // Consecutive events of one stream (a batch) share one validated id: the bytes are
                    // compared first, and a string is made only for a new stream.
                    streamId = buffers.ReadStreamId(reader, 2, streamId);

                    var version = reader.GetInt64(3);
                    var eventId = reader.GetGuid(4);
                    var typeLength = buffers.ReadChars(reader, 5);
                    var timestamp = reader.GetFieldValue<DateTimeOffset>(6);
                    var envelope = ReadEnvelope(reader, 7, buffers, typeLength, eventId, streamId, version, position, timestamp);
                    read++;
                    yield return envelope;
                }

                if (read < take || limit == take || !await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
                {
                    yield break;
                }

                remaining -= read;
                pageSize = NextPageSize(read, Stopwatch.GetElapsedTime(started));
            }
        }
        finally
        {
            buffers.Return();
        }
    }

    /// <summary>
    /// Reads the metadata and payload columns (at <paramref name="ordinal"/> and the next one) and builds
    /// the envelope; the stored type name is the first <paramref name="typeLength"/> characters of the
    /// char buffer.
    /// </summary>
    private EventEnvelope ReadEnvelope(NpgsqlDataReader reader, int ordinal, RowBuffers buffers, int typeLength, Guid eventId, StreamId streamId, long version, GlobalPosition position, DateTimeOffset timestamp)
    {
        var metadata = EventMetadata.Empty;
        if (!reader.IsDBNull(ordinal))
        {
            var length = buffers.ReadBytes(reader, ordinal);
            try
            {
                metadata = MetadataJson.Deserialize(buffers.Bytes.AsSpan(0, length));
            }
            catch (Exception ex) when (ex is JsonException or InvalidOperationException)
            {
                throw new EventDeserializationException(eventId, streamId, version, new string(buffers.Chars, 0, typeLength), ex);
            }
        }

        var payloadLength = buffers.ReadBytes(reader, ordinal + 1);
        var storedType = buffers.Chars.AsSpan(0, typeLength);
        var @event = _registry.DeserializeEvent(storedType, buffers.Bytes.AsSpan(0, payloadLength), eventId, streamId, version, out var eventType);
        return new EventEnvelope(eventId, streamId, version, position, eventType, @event, metadata, timestamp);
    }
}
