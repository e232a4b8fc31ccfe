using System.Collections.Concurrent;
using EventSourcing.Storage;

namespace EventSourcing.InMemory;

/// <summary>The embedded checkpoint store, fenced like the durable ones.</summary>
public sealed class InMemoryCheckpointStore : ICheckpointStore
{
    private readonly ConcurrentDictionary<string, GlobalPosition> _checkpoints = new(StringComparer.Ordinal);

    /// <inheritdoc />
    public ValueTask<GlobalPosition?> LoadAsync(string name, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        return ValueTask.FromResult(Get(name));
    }

    /// <inheritdoc />
    public ValueTask SaveAsync(string name, GlobalPosition? expected, GlobalPosition position, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        return TryMove(name, expected, position) ? ValueTask.CompletedTask : throw new CheckpointConflictException(name, expected);
    }

    internal GlobalPosition? Get(string name) => _checkpoints.TryGetValue(name, out var position) ? position : null;

    internal bool TryMove(string name, GlobalPosition? expected, GlobalPosition position) => expected is { } from
        ? _checkpoints.TryUpdate(name, position, from)
        : _checkpoints.TryAdd(name, position);
}
