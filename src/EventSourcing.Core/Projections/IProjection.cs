namespace EventSourcing.Projections;

/// <summary>
/// Turns events into a read model. A projection names the event types it handles (it never sees
/// others) and must tolerate redelivery: async delivery is at least once, and the envelope's
/// <see cref="EventEnvelope.Position"/> tells a handler what it has already applied. When the read
/// model lives in the backend's database, write it through the <see cref="ProjectionContext"/>: those
/// writes commit atomically with the checkpoint (async) or with the append (inline), so their effect
/// is exactly once.
/// </summary>
public interface IProjection
{
    /// <summary>The projection's stable name; it keys its checkpoint.</summary>
    string Name { get; }

    /// <summary>The registered event type names the projection handles.</summary>
    IReadOnlyCollection<string> EventTypes { get; }

    /// <summary>Applies one event to the read model.</summary>
    /// <param name="envelope">The event and its position.</param>
    /// <param name="context">The backend's unit of work (e.g. the PostgreSQL transaction) and whether this is a rebuild.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>A task that completes when the event is applied.</returns>
    ValueTask ProjectAsync(EventEnvelope envelope, ProjectionContext context, CancellationToken cancellationToken = default);
}
