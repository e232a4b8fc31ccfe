namespace EventSourcing;

/// <summary>A stored event as a reader gets it: the event with everything the store knows about it.</summary>
public sealed class EventEnvelope
{
    /// <summary>Creates an envelope. Stores call this; applications read envelopes.</summary>
    /// <param name="eventId">The event id.</param>
    /// <param name="streamId">The stream the event belongs to.</param>
    /// <param name="streamVersion">The event's version in its stream (1-based).</param>
    /// <param name="position">The event's position in the global log.</param>
    /// <param name="eventType">The event's registered type name.</param>
    /// <param name="event">The deserialized event.</param>
    /// <param name="metadata">The event's metadata.</param>
    /// <param name="timestamp">When the event was appended.</param>
    public EventEnvelope(Guid eventId, StreamId streamId, long streamVersion, GlobalPosition position, string eventType, object @event, EventMetadata metadata, DateTimeOffset timestamp)
    {
        EventId = eventId;
        StreamId = streamId;
        StreamVersion = streamVersion;
        Position = position;
        EventType = eventType;
        Event = @event;
        Metadata = metadata;
        Timestamp = timestamp;
    }

    /// <summary>The event id.</summary>
    public Guid EventId { get; }

    /// <summary>The stream the event belongs to.</summary>
    public StreamId StreamId { get; }

    /// <summary>The event's version in its stream; the first event is version 1.</summary>
    public long StreamVersion { get; }

    /// <summary>The event's position in the global log.</summary>
    public GlobalPosition Position { get; }

    /// <summary>The event's registered type name (after any upcasting).</summary>
    public string EventType { get; }

    /// <summary>The event.</summary>
    public object Event { get; }

    /// <summary>The event's metadata.</summary>
    public EventMetadata Metadata { get; }

    /// <summary>When the event was appended, from the store's <see cref="TimeProvider"/>.</summary>
    public DateTimeOffset Timestamp { get; }

    /// <inheritdoc />
    public override string ToString() => $"{StreamId}@{StreamVersion} {EventType} ({EventId})";
}
