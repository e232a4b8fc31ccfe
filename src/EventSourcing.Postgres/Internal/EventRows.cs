using System.Text.Json;
using EventSourcing.Serialization;
using EventSourcing.Storage;
using Npgsql;

namespace EventSourcing.Postgres.Internal;

/// <summary>
/// Reads an event row in the columns' order every event query shares (see <see cref="PostgresSql.EventColumns"/>):
/// version, event id, type, timestamp, position (two columns), metadata, payload.
/// </summary>
internal static class EventRows
{
    /// <summary>
    /// Reads the event's columns, the first at <paramref name="ordinal"/>, front to back (sequential
    /// access reads each once): json as UTF-8 bytes into <paramref name="buffers"/>, deserialized from
    /// there; the type name found by its bytes among those of the read (decoded once each): no string per event.
    /// </summary>
    public static EventEnvelope Read(NpgsqlDataReader reader, int ordinal, RowBuffers buffers, EventTypeRegistry registry, StreamId streamId)
    {
        var version = reader.GetInt64(ordinal);
        var eventId = reader.GetGuid(ordinal + 1);
        var storedType = buffers.ReadTypeName(reader, ordinal + 2);
        var timestamp = reader.GetFieldValue<DateTimeOffset>(ordinal + 3);
        var position = Positions.Read(reader, ordinal + 4);

        var metadata = EventMetadata.Empty;
        if (!reader.IsDBNull(ordinal + 6))
        {
            var length = buffers.ReadBytes(reader, ordinal + 6);
            try
            {
                metadata = MetadataJson.Deserialize(buffers.Bytes.AsSpan(0, length));
            }
            catch (Exception ex) when (ex is JsonException or InvalidOperationException)
            {
                throw new EventDeserializationException(eventId, streamId, version, storedType, ex);
            }
        }

        var payloadLength = buffers.ReadBytes(reader, ordinal + 7);
        var @event = registry.DeserializeEvent(storedType, buffers.Bytes.AsSpan(0, payloadLength), eventId, streamId, version, out var eventType);
        return new EventEnvelope(eventId, streamId, version, position, eventType, @event, metadata, timestamp);
    }

    /// <summary>
    /// Reads a replay's row (<see cref="PostgresSql.ReplayColumns"/>: version, event id, type, payload), the
    /// first column at <paramref name="ordinal"/>, as <see cref="Read"/> reads those columns.
    /// </summary>
    public static ReplayEvent ReadReplay(NpgsqlDataReader reader, int ordinal, RowBuffers buffers, EventTypeRegistry registry, StreamId streamId)
    {
        var version = reader.GetInt64(ordinal);
        var eventId = reader.GetGuid(ordinal + 1);
        var storedType = buffers.ReadTypeName(reader, ordinal + 2);
        var payloadLength = buffers.ReadBytes(reader, ordinal + 3);
        var @event = registry.DeserializeEvent(storedType, buffers.Bytes.AsSpan(0, payloadLength), eventId, streamId, version, out _);
        return new ReplayEvent(version, eventId, @event);
    }
}
