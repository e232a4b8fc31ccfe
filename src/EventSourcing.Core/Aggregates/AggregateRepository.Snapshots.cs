using System.Text.Json;
using EventSourcing.Storage;
using Microsoft.Extensions.Logging;

namespace EventSourcing.Aggregates;

public sealed partial class AggregateRepository<TAggregate>
{
    /// <summary>
    /// Loads the aggregate as it was at a version: the newest usable snapshot at or before it, then the
    /// events up to it. A version past the stream's end gives the current state.
    /// </summary>
    /// <param name="streamId">The aggregate's stream.</param>
    /// <param name="version">The version to stop at (at least 0).</param>
    /// <param name="cancellationToken">Cancels the load.</param>
    /// <returns>The aggregate as of that version; read-only in intent (saving it will conflict).</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="version"/> is negative.</exception>
    public Task<TAggregate> LoadAtVersionAsync(StreamId streamId, long version, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(version);
        return version == 0 ? Task.FromResult(new TAggregate()) : LoadCoreAsync(streamId, version, asOf: null, cancellationToken);
    }

    /// <summary>Loads the aggregate as it was at a point in time: every event appended at or before it.</summary>
    /// <param name="streamId">The aggregate's stream.</param>
    /// <param name="pointInTime">The point in time.</param>
    /// <param name="cancellationToken">Cancels the load.</param>
    /// <returns>The aggregate as of that time (version 0 when the stream did not exist yet).</returns>
    public Task<TAggregate> LoadAsOfAsync(StreamId streamId, DateTimeOffset pointInTime, CancellationToken cancellationToken = default) =>
        LoadCoreAsync(streamId, long.MaxValue, pointInTime, cancellationToken);

    /// <summary>
    /// Takes a snapshot of the aggregate's current state now, whatever the policy: e.g. to rebuild
    /// snapshots after <see cref="ISnapshotStore.DeleteAllAsync"/> for a list of aggregates.
    /// </summary>
    /// <param name="streamId">The aggregate's stream.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The version snapshotted; 0 when the stream does not exist (nothing is written).</returns>
    /// <exception cref="InvalidOperationException">The aggregate does not support snapshots, or the repository has no snapshot store.</exception>
    public async Task<long> SnapshotAsync(StreamId streamId, CancellationToken cancellationToken = default)
    {
        var aggregate = await LoadCoreAsync(streamId, long.MaxValue, asOf: null, cancellationToken).ConfigureAwait(false);
        if (aggregate is not ISnapshotSupport support || _snapshots is null)
        {
            throw new InvalidOperationException($"{typeof(TAggregate).Name} snapshots need an AggregateRoot<TSnapshot> aggregate and a snapshot store.");
        }

        if (aggregate.Version == 0)
        {
            return 0;
        }

        var state = JsonSerializer.SerializeToUtf8Bytes(support.Capture(), _registry.JsonOptions.GetTypeInfo(support.SnapshotType));
        await SaveSnapshotAsync(new Snapshot(streamId, aggregate.Version, support.Name, support.SchemaVersion, state, _time.GetUtcNow()), cancellationToken).ConfigureAwait(false);
        return aggregate.Version;
    }

    private async ValueTask<Snapshot?> LoadSnapshotAsync(StreamId streamId, CancellationToken cancellationToken)
    {
        using var activity = RepositoryInstruments.Start(RepositoryInstruments.SnapshotLoadActivity, streamId, AggregateType);
        try
        {
            var snapshot = await _snapshots!.LoadAsync(streamId, cancellationToken).ConfigureAwait(false);
            if (activity is not null)
            {
                activity.SetTag("eventsourcing.snapshot.found", snapshot is not null);
                activity.SetTag(RepositoryInstruments.SnapshotVersionTag, snapshot?.Version);
            }

            return snapshot;
        }
        catch (Exception ex)
        {
            RepositoryInstruments.Fail(activity, ex);
            throw;
        }
    }

    /// <summary>The snapshot and the events after it from a store that reads both at once; null when it cannot read our snapshot store.</summary>
    private async ValueTask<SnapshotTail?> LoadSnapshotTailAsync(ISnapshotTailReader reader, StreamId streamId, long toVersion, CancellationToken cancellationToken)
    {
        using var activity = RepositoryInstruments.Start(RepositoryInstruments.SnapshotLoadActivity, streamId, AggregateType);
        try
        {
            var tail = await reader.ReadSnapshotTailAsync(_snapshots!, streamId, toVersion, cancellationToken).ConfigureAwait(false);
            if (tail is null)
            {
                _tailReader = null;
            }
            if (activity is not null && tail is not null)
            {
                activity.SetTag("eventsourcing.snapshot.found", tail.Snapshot is not null);
                activity.SetTag(RepositoryInstruments.SnapshotVersionTag, tail.Snapshot?.Version);
                activity.SetTag(StoreInstruments.Tags.EventCount, tail.Events.Count);
            }

            return tail;
        }
        catch (Exception ex)
        {
            RepositoryInstruments.Fail(activity, ex);
            throw;
        }
    }

    private async ValueTask SaveSnapshotAsync(Snapshot snapshot, CancellationToken cancellationToken)
    {
        using var activity = RepositoryInstruments.Start(RepositoryInstruments.SnapshotSaveActivity, snapshot.StreamId, AggregateType);
        activity?.SetTag(RepositoryInstruments.SnapshotVersionTag, snapshot.Version);
        try
        {
            await _snapshots!.SaveAsync(snapshot, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            RepositoryInstruments.Fail(activity, ex);
            throw;
        }
    }

    private bool TryRestore(StreamId streamId, TAggregate aggregate, ISnapshotSupport support, Snapshot snapshot)
    {
        if (snapshot.SchemaVersion != support.SchemaVersion || snapshot.StateType != support.Name)
        {
            LogSnapshotIgnored(_logger, streamId.Value, snapshot.Version, $"schema {snapshot.StateType} v{snapshot.SchemaVersion}, expected {support.Name} v{support.SchemaVersion}");
            return false;
        }

        try
        {
            var state = JsonSerializer.Deserialize(snapshot.State.Span, _registry.JsonOptions.GetTypeInfo(support.SnapshotType))
                ?? throw new JsonException("The snapshot is JSON null.");
            support.Restore(state);
            aggregate.RestoreVersion(snapshot.Version);
            return true;
        }
        catch (Exception ex) when (ex is JsonException or NotSupportedException or InvalidCastException or InvalidOperationException)
        {
            LogSnapshotIgnored(_logger, streamId.Value, snapshot.Version, ex.Message);
            return false;
        }
    }

    private async Task TrySnapshotAsync(StreamId streamId, TAggregate aggregate, ISnapshotSupport support, CancellationToken cancellationToken)
    {
        Snapshot snapshot;
        try
        {
            // Captured synchronously: the state matches aggregate.Version even if the write runs later.
            var state = JsonSerializer.SerializeToUtf8Bytes(support.Capture(), _registry.JsonOptions.GetTypeInfo(support.SnapshotType));
            snapshot = new Snapshot(streamId, aggregate.Version, support.Name, support.SchemaVersion, state, _time.GetUtcNow());
        }
        catch (Exception ex) when (ex is JsonException or NotSupportedException or InvalidOperationException)
        {
            LogSnapshotFailed(_logger, ex, streamId.Value, aggregate.Version);
            return;
        }

        try
        {
            await SaveSnapshotAsync(snapshot, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            // The events are committed; a missing snapshot only costs replay time, so report and go on.
            LogSnapshotFailed(_logger, ex, streamId.Value, aggregate.Version);
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Ignored the snapshot of stream {StreamId} at version {Version}: {Reason}. It will be replaced.")]
    private static partial void LogSnapshotIgnored(ILogger logger, string streamId, long version, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not write the snapshot of stream {StreamId} at version {Version}.")]
    private static partial void LogSnapshotFailed(ILogger logger, Exception exception, string streamId, long version);
}
