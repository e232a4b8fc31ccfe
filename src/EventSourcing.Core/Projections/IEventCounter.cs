namespace EventSourcing.Projections;

/// <summary>Counts events in the global log, for rebuild progress.</summary>
public interface IEventCounter
{
    /// <summary>Counts (or closely estimates) the events in the global log.</summary>
    /// <param name="eventTypes">Only events of these registered type names (as <see cref="Storage.IEventStore.ReadAllAsync"/> filters); all when null.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The number of events.</returns>
    ValueTask<long> CountEventsAsync(IReadOnlyCollection<string>? eventTypes = null, CancellationToken cancellationToken = default);
}
