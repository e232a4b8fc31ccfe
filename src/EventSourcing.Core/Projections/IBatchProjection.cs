namespace EventSourcing.Projections;

/// <summary>
/// A projection that can apply a whole batch at once — e.g. fold it in memory and write one upsert
/// per batch instead of one per event. The daemon calls <see cref="ProjectBatchAsync"/> with the
/// events of the projection's types in each unit of work; if it throws, the unit is rolled back and
/// the same events are applied one by one through <see cref="IProjection.ProjectAsync"/> to find the
/// failing event, so retries, stop and dead-letter work as for any projection.
/// </summary>
public interface IBatchProjection : IProjection
{
    /// <summary>Applies a batch of events, in global order, in one unit of work.</summary>
    /// <param name="batch">The events (at least one), all of the projection's types.</param>
    /// <param name="context">The unit of work.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>A task that completes when the batch is applied.</returns>
    ValueTask ProjectBatchAsync(IReadOnlyList<EventEnvelope> batch, ProjectionContext context, CancellationToken cancellationToken = default);
}
