namespace EventSourcing.Aggregates;

/// <summary>Options of <see cref="AggregateRepository{TAggregate}"/>.</summary>
public sealed class RepositoryOptions
{
    /// <summary>When to take snapshots of snapshot-capable aggregates. <see cref="SnapshotPolicy.Never"/> by default.</summary>
    public SnapshotPolicy Snapshots { get; set; } = SnapshotPolicy.Never;

    /// <summary>
    /// How many times <c>AggregateRepository.ExecuteAsync</c> reloads and reruns a
    /// command that lost a concurrency race. 3 by default; 0 disables retries.
    /// </summary>
    public int MaxConcurrencyRetries { get; set; } = 3;

    /// <summary>
    /// The base of the back-off before a command is rerun after a conflict, 10 ms by default: before
    /// rerun n the repository waits a random time between half and all of
    /// <c>min(<see cref="MaxRetryDelay"/>, RetryDelay × 2^(n − 1))</c>, so writers that collided do not
    /// collide again in lockstep. <see cref="TimeSpan.Zero"/> reruns at once.
    /// </summary>
    public TimeSpan RetryDelay { get; set; } = TimeSpan.FromMilliseconds(10);

    /// <summary>The cap of the back-off between reruns, 500 ms by default.</summary>
    public TimeSpan MaxRetryDelay { get; set; } = TimeSpan.FromMilliseconds(500);

    /// <summary>
    /// When true, a snapshot the policy asks for is captured as the save returns (so it matches the
    /// committed version exactly) but written in the background, off the command's path; a failed
    /// write is logged. False by default: the write is awaited, and a failure is logged, never thrown,
    /// because the events are already committed.
    /// </summary>
    public bool WriteSnapshotsInBackground { get; set; }
}
