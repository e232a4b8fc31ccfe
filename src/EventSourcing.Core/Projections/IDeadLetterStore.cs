namespace EventSourcing.Projections;

/// <summary>The events projections gave up on (written by <see cref="ProjectionTransaction.DeadLetterAsync"/>).</summary>
public interface IDeadLetterStore
{
    /// <summary>Lists the events recorded as dead letters for a projection.</summary>
    /// <param name="projectionName">The projection.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The dead letters, oldest first.</returns>
    ValueTask<IReadOnlyList<DeadLetter>> GetDeadLettersAsync(string projectionName, CancellationToken cancellationToken = default);
}
