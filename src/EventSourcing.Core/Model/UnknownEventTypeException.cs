namespace EventSourcing;

/// <summary>
/// An event type is not in the registry: either an event of an unregistered CLR type was appended
/// (nothing was written), or a stored event names a type the registry does not know.
/// </summary>
public sealed class UnknownEventTypeException : EventStoreException
{
    /// <summary>Creates the exception for an unregistered CLR type on write.</summary>
    /// <param name="clrType">The event's CLR type.</param>
    public UnknownEventTypeException(Type clrType)
        : base($"Event type {clrType?.FullName} is not registered. Register it with a stable name, e.g. builder.AddEvent<{clrType?.Name}>(\"{clrType?.Name}\").")
    {
        ClrType = clrType;
    }

    /// <summary>Creates the exception for an unknown stored type name on read.</summary>
    /// <param name="typeName">The stored type name.</param>
    /// <param name="eventId">The stored event's id.</param>
    /// <param name="streamId">The stored event's stream.</param>
    /// <param name="streamVersion">The stored event's version.</param>
    public UnknownEventTypeException(string typeName, Guid eventId, StreamId streamId, long streamVersion)
        : base($"Stored event {eventId} (stream '{streamId}', version {streamVersion}) has type '{typeName}', which is not registered. Register the type or an alias for it.")
    {
        TypeName = typeName;
        EventId = eventId;
        StreamId = streamId;
        StreamVersion = streamVersion;
    }

    /// <summary>The unregistered CLR type, on write.</summary>
    public Type? ClrType { get; }

    /// <summary>The unknown stored type name, on read.</summary>
    public string? TypeName { get; }

    /// <summary>The stored event's id, on read.</summary>
    public Guid? EventId { get; }

    /// <summary>The stored event's stream, on read.</summary>
    public StreamId? StreamId { get; }

    /// <summary>The stored event's version, on read.</summary>
    public long? StreamVersion { get; }
}
