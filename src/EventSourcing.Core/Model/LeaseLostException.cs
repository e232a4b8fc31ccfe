namespace EventSourcing;

/// <summary>
/// A unit of work fenced on a lease could not commit: the lease was released, lost, or another instance
/// acquired it since (a higher epoch). Nothing of the unit of work was committed; stop and re-acquire.
/// </summary>
public sealed class LeaseLostException : EventStoreException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="name">The lease's name.</param>
    /// <param name="epoch">The epoch the unit of work was fenced on.</param>
    public LeaseLostException(string name, long epoch)
        : base($"The lease '{name}' (epoch {epoch}) is no longer held: another instance acquired it, or it was released. Nothing was committed.")
    {
        Name = name;
        Epoch = epoch;
    }

    /// <summary>The lease's name.</summary>
    public string Name { get; }

    /// <summary>The epoch the unit of work was fenced on.</summary>
    public long Epoch { get; }
}
