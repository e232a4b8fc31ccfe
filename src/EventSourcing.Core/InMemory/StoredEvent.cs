using EventSourcing.Serialization;

namespace EventSourcing.InMemory;

/// <summary>
/// An event as the in-memory store keeps it: the serialized payload, as PostgreSQL keeps it, read back
/// into a fresh event object on every read (or once, when the object cannot be changed). Metadata is kept as the read-only copy read back from its
/// serialized form when it was appended.
/// </summary>
internal sealed class StoredEvent(Guid eventId, StreamId streamId, long version, GlobalPosition position, EventTypeEntry entry, string readName, byte[] data, EventMetadata metadata, DateTimeOffset timestamp)
{
    private EventEnvelope? _shared;

    public Guid EventId { get; } = eventId;

    public long Version { get; } = version;

    public GlobalPosition Position { get; } = position;

    /// <summary>The name readers see (after upcasting), for filtering the global log without reading payloads.</summary>
    public string ReadName { get; } = readName;

    public DateTimeOffset Timestamp { get; } = timestamp;

    /// <summary>
    /// Reads the event back: a fresh object, upcast exactly as PostgreSQL reads upcast it. When that object
    /// is deeply immutable (<see cref="ImmutableTypes"/>), its envelope is kept and handed to later readers:
    /// nobody can change it, so it is as good as a fresh one, and replay does not deserialize again.
    /// </summary>
    public EventEnvelope ToEnvelope(EventTypeRegistry registry)
    {
        if (Volatile.Read(ref _shared) is { } shared)
        {
            return shared;
        }

        var @event = registry.DeserializeEvent(entry, data, EventId, streamId, Version, out var name);
        var envelope = new EventEnvelope(EventId, streamId, Version, Position, name, @event, metadata, Timestamp);
        if (ImmutableTypes.IsDeeplyImmutable(@event.GetType()))
        {
            // Two first readers may both get here; both envelopes are equal, either may be kept.
            Volatile.Write(ref _shared, envelope);
        }

        return envelope;
    }
}
