namespace EventSourcing.Projections;

/// <summary>What a node's projection daemon does; every node may pick its own.</summary>
public enum ProjectionDaemonMode
{
    /// <summary>
    /// Runs each projection whose lease it gets; for the others it stands by hot, following the leader's
    /// checkpoint from the store (so status, lag and waits are answered) and taking over when the lease
    /// is free.
    /// </summary>
    Active,

    /// <summary>
    /// Never takes a lease: follows the checkpoints from the store only, so status, lag and
    /// <see cref="ProjectionDaemon.WaitForPositionAsync"/> work on this node while others run the projections.
    /// </summary>
    Standby,

    /// <summary>Starts nothing: no leases, no polling; the status stays <see cref="ProjectionState.Stopped"/>.</summary>
    Disabled,
}
