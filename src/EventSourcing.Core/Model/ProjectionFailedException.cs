namespace EventSourcing;

/// <summary>A projection handler kept failing on one event; the projection stopped there.</summary>
public sealed class ProjectionFailedException : EventStoreException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="projection">The projection.</param>
    /// <param name="eventId">The event it failed on.</param>
    /// <param name="position">The event's position.</param>
    /// <param name="innerException">The handler's last error.</param>
    public ProjectionFailedException(string projection, Guid eventId, GlobalPosition position, Exception innerException)
        : base($"Projection '{projection}' failed on event {eventId} at position {position}: {innerException?.Message}", innerException)
    {
        Projection = projection;
        EventId = eventId;
        Position = position;
    }

    /// <summary>The projection.</summary>
    public string Projection { get; }

    /// <summary>The event it failed on.</summary>
    public Guid EventId { get; }

    /// <summary>The event's position.</summary>
    public GlobalPosition Position { get; }
}
