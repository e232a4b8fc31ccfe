namespace EventSourcing.Projections;

/// <summary>
/// Turns events into a read model. A projection names the event types it handles, so stores can
/// filter before deserializing, and must be idempotent per event: delivery is at least once, and the
/// envelope's <see cref="EventEnvelope.Position"/> tells a handler what it has already applied.
/// </summary>
public interface IProjection
{
    /// <summary>The projection's stable name; it keys its checkpoint.</summary>
    string Name { get; }

    /// <summary>The registered event type names the projection handles; it never sees other events.</summary>
    IReadOnlyCollection<string> EventTypes { get; }

    /// <summary>Applies one event to the read model.</summary>
    /// <param name="envelope">The event and its position.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>A task that completes when the event is applied.</returns>
    ValueTask ProjectAsync(EventEnvelope envelope, CancellationToken cancellationToken = default);
}
