namespace EventSourcing.Storage;

/// <summary>Stores the newest snapshot of each stream.</summary>
public interface ISnapshotStore
{
    /// <summary>Loads the newest snapshot of a stream.</summary>
    /// <param name="streamId">The stream.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The snapshot, or null when there is none.</returns>
    ValueTask<Snapshot?> LoadAsync(StreamId streamId, CancellationToken cancellationToken = default);

    /// <summary>
    /// Saves a snapshot unless the store already holds one of a higher version for the stream with the
    /// same schema version; a snapshot of another schema version is replaced.
    /// </summary>
    /// <param name="snapshot">The snapshot.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>A task that completes when the snapshot is stored or refused as older.</returns>
    ValueTask SaveAsync(Snapshot snapshot, CancellationToken cancellationToken = default);

    /// <summary>Deletes the snapshot of one stream.</summary>
    /// <param name="streamId">The stream.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>A task that completes when the snapshot is gone.</returns>
    ValueTask DeleteAsync(StreamId streamId, CancellationToken cancellationToken = default);

    /// <summary>Deletes every snapshot of one state type, e.g. after the aggregate's state changed shape.</summary>
    /// <param name="stateType">The state type name.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The number of snapshots deleted.</returns>
    ValueTask<long> DeleteAllAsync(string stateType, CancellationToken cancellationToken = default);
}
