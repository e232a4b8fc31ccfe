namespace EventSourcing.Projections;

/// <summary>Where a projection's runner is.</summary>
public enum ProjectionState
{
    /// <summary>Not started.</summary>
    Stopped,

    /// <summary>Another instance holds the lease; this one waits to take over.</summary>
    Standby,

    /// <summary>Reading events behind the head of the log.</summary>
    CatchingUp,

    /// <summary>Caught up; waiting for new events.</summary>
    Live,

    /// <summary>Stopped by a handler failure (see <see cref="ProjectionStatus.Error"/>).</summary>
    Faulted,
}
