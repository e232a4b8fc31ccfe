namespace EventSourcing.Storage;

/// <summary>
/// Durable positions of global-log readers (projections, subscriptions). Updates are fenced: a save
/// names the position it moves from, so two instances can never both move one checkpoint.
/// </summary>
public interface ICheckpointStore
{
    /// <summary>Loads a checkpoint.</summary>
    /// <param name="name">The reader's name.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The last position the reader completed, or null when it never ran.</returns>
    ValueTask<GlobalPosition?> LoadAsync(string name, CancellationToken cancellationToken = default);

    /// <summary>Moves a checkpoint from <paramref name="expected"/> to <paramref name="position"/>.</summary>
    /// <param name="name">The reader's name.</param>
    /// <param name="expected">The position the checkpoint must be at now; null when it must not exist yet.</param>
    /// <param name="position">The new position.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>A task that completes when the checkpoint moved.</returns>
    /// <exception cref="CheckpointConflictException">The checkpoint is not at <paramref name="expected"/>: another instance moved it.</exception>
    ValueTask SaveAsync(string name, GlobalPosition? expected, GlobalPosition position, CancellationToken cancellationToken = default);
}
