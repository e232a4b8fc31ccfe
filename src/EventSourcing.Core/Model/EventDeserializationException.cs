namespace EventSourcing;

/// <summary>A stored event could not be turned back into an object: its payload is malformed or does not fit its type.</summary>
public sealed class EventDeserializationException : EventStoreException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="eventId">The stored event's id.</param>
    /// <param name="streamId">The stored event's stream.</param>
    /// <param name="streamVersion">The stored event's version.</param>
    /// <param name="typeName">The stored type name.</param>
    /// <param name="innerException">The serializer's error.</param>
    public EventDeserializationException(Guid eventId, StreamId streamId, long streamVersion, string typeName, Exception? innerException)
        : base($"Stored event {eventId} (stream '{streamId}', version {streamVersion}, type '{typeName}') could not be deserialized: {innerException?.Message}", innerException)
    {
        EventId = eventId;
        StreamId = streamId;
        StreamVersion = streamVersion;
        TypeName = typeName;
    }

    /// <summary>The stored event's id.</summary>
    public Guid EventId { get; }

    /// <summary>The stored event's stream.</summary>
    public StreamId StreamId { get; }

    /// <summary>The stored event's version.</summary>
    public long StreamVersion { get; }

    /// <summary>The stored type name.</summary>
    public string TypeName { get; }
}
