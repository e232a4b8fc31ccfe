using System.Buffers;
using System.Globalization;
using System.Runtime.CompilerServices;
using System.Text;
using System.Text.Json;
using EventSourcing.Serialization;
using EventSourcing.Sqlite.Internal;
using EventSourcing.Storage;
using Microsoft.Data.Sqlite;

namespace EventSourcing.Sqlite;

public sealed partial class SqliteEventStore
{
    /// <summary>Rows of one page of a read.</summary>
    internal const int PageSize = 2048;

    /// <inheritdoc />
    /// <remarks>
    /// Reads in pages of up to 2,048 rows on one pooled connection, and hands each event out as its row is
    /// read; payloads are copied into a pooled buffer and deserialized from there. WAL readers never block
    /// writers, nor wait for them.
    /// </remarks>
    public IAsyncEnumerable<EventEnvelope> ReadStreamAsync(StreamId streamId, long fromVersion = 1, long maxCount = long.MaxValue, CancellationToken cancellationToken = default)
    {
        AppendGuard.ValidateRead(streamId, fromVersion, maxCount);
        ThrowIfDisposed();
        return ReadStreamPagesAsync(streamId, fromVersion, maxCount, backwards: false, cancellationToken);
    }

    /// <inheritdoc />
    /// <remarks>Paged newest first as <see cref="ReadStreamAsync"/> is, on the (stream, version) index.</remarks>
    public IAsyncEnumerable<EventEnvelope> ReadStreamBackwardsAsync(StreamId streamId, long fromVersion = long.MaxValue, long maxCount = long.MaxValue, CancellationToken cancellationToken = default)
    {
        AppendGuard.ValidateRead(streamId, fromVersion, maxCount);
        ThrowIfDisposed();
        return ReadStreamPagesAsync(streamId, fromVersion, maxCount, backwards: true, cancellationToken);
    }

    /// <inheritdoc />
    /// <remarks>
    /// Positions are the <c>events</c> table's rowid, assigned inside each append's write transaction; with
    /// one writer at a time they commit in order and without gaps, so a plain <c>position &gt; after</c>
    /// read never skips an event that commits later. Paged as <see cref="ReadStreamAsync"/> is.
    /// </remarks>
    public IAsyncEnumerable<EventEnvelope> ReadAllAsync(GlobalPosition after, long maxCount = long.MaxValue, IReadOnlyCollection<string>? eventTypes = null, CancellationToken cancellationToken = default)
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
        var buffer = new RowBuffer();
        try
        {
            var connection = await _database.OpenAsync(cancellationToken).ConfigureAwait(false);
            await using var connectionScope = connection.ConfigureAwait(false);
            using var command = connection.CreateCommand();
            command.CommandText = SqliteSql.ReadEvent;
            Values.Add(command, "$stream", streamId.Value);
            Values.Add(command, "$id", eventId);
            using var reader = command.ExecuteReader();
            return reader.Read() ? ReadEnvelope(reader, 0, streamId, buffer) : null;
        }
        finally
        {
            buffer.Return();
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

    /// <summary>Appends <c>($t0, $t1, …)</c> to the SQL and the names as parameters.</summary>
    internal static void AddTypeList(StringBuilder sql, SqliteCommand command, string[] names)
    {
        sql.Append('(');
        for (var i = 0; i < names.Length; i++)
        {
            var name = "$t" + i.ToString(CultureInfo.InvariantCulture);
            sql.Append(i == 0 ? string.Empty : ", ").Append(name);
            Values.Add(command, name, names[i]);
        }

        sql.Append(')');
    }

    private async IAsyncEnumerable<EventEnvelope> ReadStreamPagesAsync(StreamId streamId, long fromVersion, long maxCount, bool backwards, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        if (maxCount == 0)
        {
            yield break;
        }

        var buffer = new RowBuffer();
        try
        {
            var connection = await _database.OpenAsync(cancellationToken).ConfigureAwait(false);
            await using var connectionScope = connection.ConfigureAwait(false);
            using var command = connection.CreateCommand();
            command.CommandText = backwards ? SqliteSql.ReadStreamBackwards : SqliteSql.ReadStream;
            Values.Add(command, "$stream", streamId.Value);
            var from = Values.Add(command, "$from", fromVersion);
            var limit = Values.Add(command, "$limit", 0L);
            var next = fromVersion;
            var remaining = maxCount;
            while (remaining > 0)
            {
                var take = (int)Math.Min(remaining, PageSize);
                from.Value = next;
                limit.Value = take;
                var read = 0;
                var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
                await using (reader.ConfigureAwait(false))
                {
                    while (reader.Read())
                    {
                        cancellationToken.ThrowIfCancellationRequested();
                        var envelope = ReadEnvelope(reader, 0, streamId, buffer);
                        read++;
                        next = backwards ? envelope.StreamVersion - 1 : envelope.StreamVersion + 1;
                        yield return envelope;
                    }
                }

                if (read < take || next < 1)
                {
                    yield break;
                }

                remaining -= read;
            }
        }
        finally
        {
            buffer.Return();
        }
    }

    private async IAsyncEnumerable<EventEnvelope> ReadAllPagesAsync(GlobalPosition after, long maxCount, string[]? storedTypes, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        // Positions of this backend are (0, rowid); one with another major part belongs to another store.
        var (major, minor) = after.ToParts();
        if (maxCount == 0 || major != 0 || storedTypes is { Length: 0 })
        {
            yield break;
        }

        var buffer = new RowBuffer();
        try
        {
            var connection = await _database.OpenAsync(cancellationToken).ConfigureAwait(false);
            await using var connectionScope = connection.ConfigureAwait(false);
            using var command = connection.CreateCommand();
            var position = Values.Add(command, "$after", minor);
            var limit = Values.Add(command, "$limit", 0L);
            if (storedTypes is null)
            {
                command.CommandText = SqliteSql.ReadAll;
            }
            else
            {
                var sql = new StringBuilder(SqliteSql.ReadAllOfTypesPrefix);
                AddTypeList(sql, command, storedTypes);
                command.CommandText = sql.Append(SqliteSql.ReadAllOfTypesSuffix).ToString();
            }

            var remaining = maxCount;
            StreamId streamId = default;
            while (remaining > 0)
            {
                var take = (int)Math.Min(remaining, PageSize);
                limit.Value = take;
                var read = 0;
                var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
                await using (reader.ConfigureAwait(false))
                {
                    while (reader.Read())
                    {
                        cancellationToken.ThrowIfCancellationRequested();

                        // Consecutive events of one stream (a batch) share one validated id.
                        var id = reader.GetString(0);
                        if (streamId.IsDefault || !string.Equals(streamId.Value, id, StringComparison.Ordinal))
                        {
                            streamId = new StreamId(id);
                        }

                        var envelope = ReadEnvelope(reader, 1, streamId, buffer);
                        read++;
                        position.Value = envelope.Position.ToParts().Minor;
                        yield return envelope;
                    }
                }

                if (read < take)
                {
                    yield break;
                }

                remaining -= read;
            }
        }
        finally
        {
            buffer.Return();
        }
    }

    /// <summary>
    /// Builds an envelope from the columns version, event_id, event_type, created_at, position, metadata,
    /// data starting at <paramref name="ordinal"/>.
    /// </summary>
    private EventEnvelope ReadEnvelope(SqliteDataReader reader, int ordinal, StreamId streamId, RowBuffer buffer)
    {
        var version = reader.GetInt64(ordinal);
        var eventId = reader.GetGuid(ordinal + 1);
        var storedType = reader.GetString(ordinal + 2);
        var timestamp = Values.FromMicroseconds(reader.GetInt64(ordinal + 3));
        var position = Values.Position(reader.GetInt64(ordinal + 4));
        var metadata = EventMetadata.Empty;
        if (!reader.IsDBNull(ordinal + 5))
        {
            var length = buffer.Read(reader, ordinal + 5);
            try
            {
                metadata = MetadataJson.Deserialize(buffer.Bytes.AsSpan(0, length));
            }
            catch (Exception ex) when (ex is JsonException or InvalidOperationException)
            {
                throw new EventDeserializationException(eventId, streamId, version, storedType, ex);
            }
        }

        var dataLength = buffer.Read(reader, ordinal + 6);
        var @event = _registry.DeserializeEvent(storedType, buffer.Bytes.AsSpan(0, dataLength), eventId, streamId, version, out var eventType);
        return new EventEnvelope(eventId, streamId, version, position, eventType, @event, metadata, timestamp);
    }

    /// <summary>A pooled byte buffer that BLOB columns are copied into (no array per row).</summary>
    private sealed class RowBuffer
    {
        public byte[] Bytes { get; private set; } = [];

        /// <summary>Copies a BLOB column into <see cref="Bytes"/>; returns its length.</summary>
        public int Read(SqliteDataReader reader, int ordinal)
        {
            var length = checked((int)reader.GetBytes(ordinal, 0, null, 0, 0));
            if (Bytes.Length < length)
            {
                Return();
                Bytes = ArrayPool<byte>.Shared.Rent(length);
            }

            return length == 0 ? 0 : (int)reader.GetBytes(ordinal, 0, Bytes, 0, length);
        }

        public void Return()
        {
            if (Bytes.Length > 0)
            {
                ArrayPool<byte>.Shared.Return(Bytes);
            }

            Bytes = [];
        }
    }
}
