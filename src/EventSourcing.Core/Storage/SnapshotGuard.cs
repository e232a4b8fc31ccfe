namespace EventSourcing.Storage;

/// <summary>The snapshot rules every backend shares (backend SPI).</summary>
public static class SnapshotGuard
{
    /// <summary>Validates a snapshot before it is saved.</summary>
    /// <param name="snapshot">The snapshot.</param>
    /// <exception cref="ArgumentNullException">It is null.</exception>
    /// <exception cref="ArgumentException">Its stream id is default or its state type empty.</exception>
    /// <exception cref="ArgumentOutOfRangeException">Its version is below 1.</exception>
    public static void Validate(Snapshot snapshot)
    {
        ArgumentNullException.ThrowIfNull(snapshot);
        snapshot.StreamId.EnsureValid();
        ArgumentOutOfRangeException.ThrowIfLessThan(snapshot.Version, 1, nameof(snapshot));
        ArgumentException.ThrowIfNullOrWhiteSpace(snapshot.StateType, nameof(snapshot));
    }

    /// <summary>Validates the arguments of <see cref="ISnapshotTailReader.ReadSnapshotTailAsync"/>.</summary>
    /// <param name="snapshots">The snapshot store asked about.</param>
    /// <param name="streamId">The stream.</param>
    /// <param name="toVersion">The version to read up to.</param>
    /// <exception cref="ArgumentNullException"><paramref name="snapshots"/> is null.</exception>
    /// <exception cref="ArgumentException">The stream id is default or invalid.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="toVersion"/> is below 1.</exception>
    public static void ValidateTailRead(ISnapshotStore snapshots, StreamId streamId, long toVersion)
    {
        ArgumentNullException.ThrowIfNull(snapshots);
        streamId.EnsureValid();
        ArgumentOutOfRangeException.ThrowIfLessThan(toVersion, 1);
    }

    /// <summary>A newer snapshot replaces an older one; a snapshot of another schema version always replaces.</summary>
    /// <param name="existing">The stored snapshot.</param>
    /// <param name="candidate">The one being saved.</param>
    /// <returns>True when <paramref name="candidate"/> is stored instead of <paramref name="existing"/>.</returns>
    public static bool Replaces(Snapshot existing, Snapshot candidate) =>
        existing.SchemaVersion != candidate.SchemaVersion || existing.StateType != candidate.StateType || candidate.Version >= existing.Version;
}
