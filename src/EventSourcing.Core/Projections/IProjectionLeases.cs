namespace EventSourcing.Projections;

/// <summary>Leases: at most one instance runs a projection (or a rebuild of it) at a time.</summary>
public interface IProjectionLeases
{
    /// <summary>
    /// Tries to become the one instance running a projection. The lease lasts until disposed, or until
    /// the backend finds it lost (see <see cref="ProjectionLease.Lost"/>); every acquisition gets a
    /// higher <see cref="ProjectionLease.Epoch"/>, and units of work fenced on it
    /// (<see cref="ProjectionTransaction.FenceAsync"/>) cannot commit once it was taken over.
    /// </summary>
    /// <param name="projectionName">The projection (or any name to hold exclusively).</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The lease, or null when another instance holds it.</returns>
    ValueTask<ProjectionLease?> TryAcquireLeaseAsync(string projectionName, CancellationToken cancellationToken = default);
}
