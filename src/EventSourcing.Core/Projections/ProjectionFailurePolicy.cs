namespace EventSourcing.Projections;

/// <summary>What the daemon does when a handler still fails after its retries.</summary>
public enum ProjectionFailurePolicy
{
    /// <summary>Stop the projection with a <see cref="ProjectionFailedException"/> in its status; others keep running.</summary>
    Stop,

    /// <summary>Record the event as a dead letter (in the same unit of work as the checkpoint) and go on.</summary>
    DeadLetter,
}
