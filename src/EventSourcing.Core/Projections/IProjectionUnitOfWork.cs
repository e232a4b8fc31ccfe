namespace EventSourcing.Projections;

/// <summary>Units of work that commit read-model changes together with a fenced checkpoint.</summary>
public interface IProjectionUnitOfWork
{
    /// <summary>
    /// Begins a unit of work for a projection. Keep it short: on PostgreSQL an open transaction holds
    /// back every global-log reader of the cluster until it ends.
    /// </summary>
    /// <param name="projectionName">The projection.</param>
    /// <param name="isRebuild">True when it builds the shadow read model.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The unit of work; disposing it without committing rolls it back where the backend can.</returns>
    ValueTask<ProjectionTransaction> BeginAsync(string projectionName, bool isRebuild, CancellationToken cancellationToken = default);
}
