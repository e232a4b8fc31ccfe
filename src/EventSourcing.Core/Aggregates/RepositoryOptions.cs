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
    /// When true, a snapshot the policy asks for is captured as the save returns (so it matches the
    /// committed version exactly) but written in the background, off the command's path; a failed
    /// write is logged. False by default: the write is awaited, and a failure is logged, never thrown,
    /// because the events are already committed.
    /// </summary>
    public bool WriteSnapshotsInBackground { get; set; }
}
