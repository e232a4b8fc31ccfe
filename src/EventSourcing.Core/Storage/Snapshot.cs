namespace EventSourcing.Storage;

/// <summary>A stored snapshot: an aggregate's state as of one stream version.</summary>
/// <param name="StreamId">The stream the state was built from.</param>
/// <param name="Version">The stream version the state includes (every event up to and including it).</param>
/// <param name="StateType">The name of the state's type, e.g. the aggregate's name.</param>
/// <param name="SchemaVersion">The state's schema version; a snapshot of another schema version is ignored on load.</param>
/// <param name="State">The serialized state (UTF-8 JSON for the built-in serializer).</param>
/// <param name="Timestamp">When the snapshot was taken.</param>
public sealed record Snapshot(StreamId StreamId, long Version, string StateType, int SchemaVersion, ReadOnlyMemory<byte> State, DateTimeOffset Timestamp);
