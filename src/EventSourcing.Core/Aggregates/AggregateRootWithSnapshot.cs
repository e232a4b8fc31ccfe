namespace EventSourcing.Aggregates;

/// <summary>
/// An aggregate whose state can be snapshotted, so long streams load as snapshot + tail.
/// <typeparamref name="TSnapshot"/> must be serializable by the registry's JSON options (add it to
/// your source-generated context).
/// </summary>
/// <typeparam name="TSnapshot">The snapshot's type: a plain record of the state.</typeparam>
public abstract class AggregateRoot<TSnapshot> : AggregateRoot, ISnapshotSupport
    where TSnapshot : class
{
    /// <summary>
    /// The snapshot's schema version. Raise it whenever <typeparamref name="TSnapshot"/> changes shape:
    /// snapshots of another version are ignored and replaced, never mis-read.
    /// </summary>
    protected virtual int SnapshotSchemaVersion => 1;

    /// <summary>
    /// The stable name stored with snapshots (e.g. "account"), used to delete them per aggregate type.
    /// Like event type names it must not follow CLR renames: a snapshot stored under another name is ignored.
    /// </summary>
    protected abstract string SnapshotName { get; }

    int ISnapshotSupport.SchemaVersion => SnapshotSchemaVersion;

    string ISnapshotSupport.Name => SnapshotName;

    Type ISnapshotSupport.SnapshotType => typeof(TSnapshot);

    /// <summary>Captures the current state.</summary>
    /// <returns>The snapshot.</returns>
    protected abstract TSnapshot ToSnapshot();

    /// <summary>Restores the state from a snapshot.</summary>
    /// <param name="snapshot">The snapshot.</param>
    protected abstract void FromSnapshot(TSnapshot snapshot);

    object ISnapshotSupport.Capture() => ToSnapshot();

    void ISnapshotSupport.Restore(object snapshot) => FromSnapshot((TSnapshot)snapshot);
}
