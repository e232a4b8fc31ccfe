namespace EventSourcing.Aggregates;

/// <summary>How the repository reaches a snapshot-capable aggregate without reflection.</summary>
internal interface ISnapshotSupport
{
    int SchemaVersion { get; }

    string Name { get; }

    Type SnapshotType { get; }

    object Capture();

    void Restore(object snapshot);
}
