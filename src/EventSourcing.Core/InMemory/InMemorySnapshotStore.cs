using System.Collections.Concurrent;
using EventSourcing.Storage;

namespace EventSourcing.InMemory;

/// <summary>The embedded snapshot store: the newest snapshot per stream, in process.</summary>
public sealed class InMemorySnapshotStore : ISnapshotStore
{
    private readonly ConcurrentDictionary<string, Snapshot> _snapshots = new(StringComparer.Ordinal);

    /// <inheritdoc />
    public ValueTask<Snapshot?> LoadAsync(StreamId streamId, CancellationToken cancellationToken = default)
    {
        streamId.EnsureValid();
        return ValueTask.FromResult(_snapshots.GetValueOrDefault(streamId.Value));
    }

    /// <inheritdoc />
    public ValueTask SaveAsync(Snapshot snapshot, CancellationToken cancellationToken = default)
    {
        SnapshotGuard.Validate(snapshot);

        // Copy the state so a caller reusing its buffer cannot change what is stored.
        var stored = snapshot with { State = snapshot.State.ToArray() };
        _snapshots.AddOrUpdate(
            snapshot.StreamId.Value,
            stored,
            (_, existing) => SnapshotGuard.Replaces(existing, stored) ? stored : existing);
        return ValueTask.CompletedTask;
    }

    /// <inheritdoc />
    public ValueTask DeleteAsync(StreamId streamId, CancellationToken cancellationToken = default)
    {
        streamId.EnsureValid();
        _snapshots.TryRemove(streamId.Value, out _);
        return ValueTask.CompletedTask;
    }

    /// <inheritdoc />
    public ValueTask<long> DeleteAllAsync(string stateType, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(stateType);
        long deleted = 0;
        foreach (var (key, snapshot) in _snapshots)
        {
            if (snapshot.StateType == stateType && _snapshots.TryRemove(new KeyValuePair<string, Snapshot>(key, snapshot)))
            {
                deleted++;
            }
        }

        return ValueTask.FromResult(deleted);
    }
}
