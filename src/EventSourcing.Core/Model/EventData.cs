namespace EventSourcing;

/// <summary>An event to append: the event object, its id and its metadata.</summary>
public sealed class EventData
{
    /// <summary>Wraps an event for appending.</summary>
    /// <param name="event">The event; its CLR type must be registered in the event type registry.</param>
    /// <param name="metadata">Correlation, causation and headers; none when null.</param>
    /// <param name="eventId">
    /// The event id. Supply a stable id to make retries idempotent; a new UUIDv7 when null.
    /// </param>
    /// <exception cref="ArgumentNullException"><paramref name="event"/> is null.</exception>
    /// <exception cref="ArgumentException"><paramref name="eventId"/> is <see cref="Guid.Empty"/>.</exception>
    public EventData(object @event, EventMetadata? metadata = null, Guid? eventId = null)
    {
        ArgumentNullException.ThrowIfNull(@event);
        if (eventId == Guid.Empty)
        {
            throw new ArgumentException("An event id must not be Guid.Empty.", nameof(eventId));
        }

        Event = @event;
        Metadata = metadata ?? EventMetadata.Empty;
        EventId = eventId ?? Guid.CreateVersion7();
    }

    /// <summary>The event.</summary>
    public object Event { get; }

    /// <summary>The event's metadata.</summary>
    public EventMetadata Metadata { get; }

    /// <summary>The event's id.</summary>
    public Guid EventId { get; }
}
