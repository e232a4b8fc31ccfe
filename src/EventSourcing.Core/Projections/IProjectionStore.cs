namespace EventSourcing.Projections;

/// <summary>
/// The backend seam projections run on: units of work that commit read-model changes together with a
/// fenced checkpoint, and a lease so only one instance runs a projection at a time.
/// </summary>
public interface IProjectionStore
{
    /// <summary>Begins a unit of work for a projection.</summary>
    /// <param name="projectionName">The projection.</param>
    /// <param name="isRebuild">True when it builds the shadow read model.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The unit of work; disposing it without committing rolls it back where the backend can.</returns>
    ValueTask<ProjectionTransaction> BeginAsync(string projectionName, bool isRebuild, CancellationToken cancellationToken = default);

    /// <summary>
    /// Tries to become the one instance running a projection. The lease lasts until disposed or until
    /// this process (or its connection) dies.
    /// </summary>
    /// <param name="projectionName">The projection.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The lease, or null when another instance holds it.</returns>
    ValueTask<IAsyncDisposable?> TryAcquireLeaseAsync(string projectionName, CancellationToken cancellationToken = default);

    /// <summary>Lists the events recorded as dead letters for a projection.</summary>
    /// <param name="projectionName">The projection.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The dead letters, oldest first.</returns>
    ValueTask<IReadOnlyList<DeadLetter>> GetDeadLettersAsync(string projectionName, CancellationToken cancellationToken = default);

    /// <summary>Counts (or closely estimates) the events in the global log, for rebuild progress.</summary>
    /// <param name="eventTypes">Only events of these registered type names (as <see cref="Storage.IEventStore.ReadAllAsync"/> filters); all when null.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The number of events.</returns>
    ValueTask<long> CountEventsAsync(IReadOnlyCollection<string>? eventTypes = null, CancellationToken cancellationToken = default);
}
