using EventSourcing.Serialization;

namespace EventSourcing.InMemory;

/// <summary>
/// An event as the in-memory store keeps it: the serialized payload, as PostgreSQL keeps it, read back
/// into a fresh event object on every read. Metadata is kept as the read-only copy read back from its
/// serialized form when it was appended.
/// </summary>
internal sealed class StoredEvent(Guid eventId, StreamId streamId, long version, GlobalPosition position, EventTypeEntry entry, string readName, byte[] data, EventMetadata metadata, DateTimeOffset timestamp)
{
    public Guid EventId { get; } = eventId;

    public long Version { get; } = version;

    public GlobalPosition Position { get; } = position;

    /// <summary>The name readers see (after upcasting), for filtering the global log without reading payloads.</summary>
    public string ReadName { get; } = readName;

    public DateTimeOffset Timestamp { get; } = timestamp;

    /// <summary>Reads the event back: a fresh object, upcast exactly as PostgreSQL reads upcast it.</summary>
    public EventEnvelope ToEnvelope(EventTypeRegistry registry)
    {
        var @event = registry.DeserializeEvent(entry, data, EventId, streamId, Version, out var name);
        return new EventEnvelope(EventId, streamId, Version, Position, name, @event, metadata, Timestamp);
    }
}
