namespace EventSourcing.Storage;

/// <summary>The snapshot rules every backend shares.</summary>
internal static class SnapshotGuard
{
    public static void Validate(Snapshot snapshot)
    {
        ArgumentNullException.ThrowIfNull(snapshot);
        snapshot.StreamId.EnsureValid();
        ArgumentOutOfRangeException.ThrowIfLessThan(snapshot.Version, 1, nameof(snapshot));
        ArgumentException.ThrowIfNullOrWhiteSpace(snapshot.StateType, nameof(snapshot));
    }

    /// <summary>A newer snapshot replaces an older one; a snapshot of another schema version always replaces.</summary>
    public static bool Replaces(Snapshot existing, Snapshot candidate) =>
        existing.SchemaVersion != candidate.SchemaVersion || existing.StateType != candidate.StateType || candidate.Version >= existing.Version;
}
