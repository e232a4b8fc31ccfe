namespace EventSourcing.Projections;

/// <summary>
/// One unit of work of a projection: the read-model changes made through <see cref="Context"/>, the
/// fenced checkpoint move and any dead letters commit together, or not at all.
/// </summary>
public abstract class ProjectionTransaction : IAsyncDisposable
{
    /// <summary>The context handed to the projection's handlers.</summary>
    public abstract ProjectionContext Context { get; }

    /// <summary>Loads a checkpoint inside this unit of work.</summary>
    /// <param name="name">The checkpoint's name.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The position, or null when it never ran.</returns>
    public abstract ValueTask<GlobalPosition?> LoadCheckpointAsync(string name, CancellationToken cancellationToken = default);

    /// <summary>Moves a checkpoint, fenced on where it was.</summary>
    /// <param name="name">The checkpoint's name.</param>
    /// <param name="expected">Where it must be now; null when it must not exist.</param>
    /// <param name="position">The new position.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>A task that completes when the move is staged.</returns>
    /// <exception cref="CheckpointConflictException">Another instance moved it.</exception>
    public abstract ValueTask SaveCheckpointAsync(string name, GlobalPosition? expected, GlobalPosition position, CancellationToken cancellationToken = default);

    /// <summary>
    /// Fences this unit of work on a lease: it commits only while <paramref name="lease"/>'s epoch is the
    /// current one of its name. Once another acquisition (by any instance, this one included) happened,
    /// this call or <see cref="CommitAsync"/> fails with <see cref="LeaseLostException"/> and nothing is
    /// committed. Call it last, just before the checkpoint move and the commit.
    /// </summary>
    /// <param name="lease">A lease acquired from the same store.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>A task that completes when the fence is in place.</returns>
    /// <exception cref="LeaseLostException">The lease is no longer current.</exception>
    public abstract ValueTask FenceAsync(ProjectionLease lease, CancellationToken cancellationToken = default);

    /// <summary>Records an event the projection gave up on.</summary>
    /// <param name="envelope">The event.</param>
    /// <param name="error">The last error.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>A task that completes when the record is staged.</returns>
    public abstract ValueTask DeadLetterAsync(EventEnvelope envelope, Exception error, CancellationToken cancellationToken = default);

    /// <summary>Commits everything staged.</summary>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>A task that completes when committed.</returns>
    /// <exception cref="CheckpointConflictException">A fenced checkpoint had moved (backends that check at commit).</exception>
    /// <exception cref="LeaseLostException">The fencing lease is no longer current (backends that check at commit).</exception>
    public abstract ValueTask CommitAsync(CancellationToken cancellationToken = default);

    /// <inheritdoc />
    public abstract ValueTask DisposeAsync();
}
