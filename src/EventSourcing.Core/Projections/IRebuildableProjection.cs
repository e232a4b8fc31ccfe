namespace EventSourcing.Projections;

/// <summary>
/// A projection that can be rebuilt from the start of the log without taking its live read model
/// away: the rebuild writes a shadow copy (<see cref="ProjectionContext.IsRebuild"/>), and once the
/// shadow has caught up, <see cref="SwapAsync"/> makes it live in the same unit of work that moves the
/// live checkpoint.
/// </summary>
public interface IRebuildableProjection : IProjection
{
    /// <summary>Creates (or empties) the shadow read model.</summary>
    /// <param name="context">A rebuild context.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>A task that completes when the shadow is empty and ready.</returns>
    ValueTask PrepareShadowAsync(ProjectionContext context, CancellationToken cancellationToken = default);

    /// <summary>Replaces the live read model with the shadow.</summary>
    /// <param name="context">A rebuild context; commit happens after this returns.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>A task that completes when the swap is staged.</returns>
    ValueTask SwapAsync(ProjectionContext context, CancellationToken cancellationToken = default);
}
