namespace EventSourcing.Projections;

/// <summary>An event a projection gave up on under <see cref="ProjectionFailurePolicy.DeadLetter"/>.</summary>
/// <param name="ProjectionName">The projection.</param>
/// <param name="EventId">The event.</param>
/// <param name="StreamId">The event's stream.</param>
/// <param name="StreamVersion">The event's version.</param>
/// <param name="Position">The event's global position.</param>
/// <param name="Error">The last error, as text.</param>
/// <param name="Timestamp">When it was recorded.</param>
public sealed record DeadLetter(string ProjectionName, Guid EventId, StreamId StreamId, long StreamVersion, GlobalPosition Position, string Error, DateTimeOffset Timestamp);
