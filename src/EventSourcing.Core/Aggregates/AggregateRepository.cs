using EventSourcing.Serialization;
using EventSourcing.Storage;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace EventSourcing.Aggregates;

/// <summary>
/// Loads aggregates (snapshot, when there is a usable one, plus the events after it) and saves their
/// raised events with the loaded version as the expected version.
/// </summary>
/// <typeparam name="TAggregate">The aggregate type.</typeparam>
public sealed partial class AggregateRepository<TAggregate>
    where TAggregate : AggregateRoot, new()
{
    private readonly IEventStore _store;
    private readonly ISnapshotStore? _snapshots;
    private readonly EventTypeRegistry _registry;
    private readonly RepositoryOptions _options;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;

    /// <summary>Creates a repository.</summary>
    /// <param name="store">The event store.</param>
    /// <param name="registry">The registry (its JSON options serialize snapshots).</param>
    /// <param name="snapshots">The snapshot store; null disables snapshots.</param>
    /// <param name="options">Snapshot policy and retries; defaults when null.</param>
    /// <param name="logger">Where ignored snapshots and failed snapshot writes are reported.</param>
    /// <param name="timeProvider">The clock for snapshot timestamps; the system clock when null.</param>
    public AggregateRepository(IEventStore store, EventTypeRegistry registry, ISnapshotStore? snapshots = null, RepositoryOptions? options = null, ILogger<AggregateRepository<TAggregate>>? logger = null, TimeProvider? timeProvider = null)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(registry);
        _store = store;
        _registry = registry;
        _snapshots = snapshots;
        _options = options ?? new RepositoryOptions();
        ArgumentOutOfRangeException.ThrowIfNegative(_options.MaxConcurrencyRetries);
        _logger = (ILogger?)logger ?? NullLogger.Instance;
        _time = timeProvider ?? TimeProvider.System;
    }

    /// <summary>Loads the aggregate's current state; a new aggregate (version 0) when the stream does not exist.</summary>
    /// <param name="streamId">The aggregate's stream.</param>
    /// <param name="cancellationToken">Cancels the load.</param>
    /// <returns>The aggregate.</returns>
    public Task<TAggregate> LoadAsync(StreamId streamId, CancellationToken cancellationToken = default) =>
        LoadCoreAsync(streamId, long.MaxValue, asOf: null, cancellationToken);

    /// <summary>Saves the aggregate's raised events, expecting the stream at the version it was loaded at.</summary>
    /// <param name="streamId">The aggregate's stream.</param>
    /// <param name="aggregate">The aggregate.</param>
    /// <param name="metadata">Metadata for every event saved (correlation, causation, user).</param>
    /// <param name="cancellationToken">Cancels the save.</param>
    /// <returns>The append result, or null when there was nothing to save.</returns>
    /// <exception cref="WrongExpectedVersionException">Another writer changed the stream since the load.</exception>
    public async Task<AppendResult?> SaveAsync(StreamId streamId, TAggregate aggregate, EventMetadata? metadata = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(aggregate);
        if (aggregate.UncommittedEvents.Count == 0)
        {
            return null;
        }

        var before = aggregate.PersistedVersion;
        var result = await _store.AppendAsync(streamId, ExpectedVersion.Exactly(before), aggregate.TakeUncommitted(metadata), cancellationToken).ConfigureAwait(false);
        aggregate.MarkCommitted(result.NextExpectedVersion);
        if (aggregate is ISnapshotSupport snapshot && _snapshots is not null && _options.Snapshots.ShouldTake(before, result.NextExpectedVersion))
        {
            var pending = TrySnapshotAsync(streamId, aggregate, snapshot, _options.WriteSnapshotsInBackground ? CancellationToken.None : cancellationToken);
            if (!_options.WriteSnapshotsInBackground)
            {
                await pending.ConfigureAwait(false);
            }
        }

        return result;
    }

    /// <summary>
    /// Runs a command: load, apply <paramref name="command"/>, save. On a concurrency conflict it reloads
    /// and reruns the command, up to <see cref="RepositoryOptions.MaxConcurrencyRetries"/> times.
    /// </summary>
    /// <param name="streamId">The aggregate's stream.</param>
    /// <param name="command">The command; it throws to reject.</param>
    /// <param name="metadata">Metadata for every event saved.</param>
    /// <param name="cancellationToken">Cancels the command.</param>
    /// <returns>The aggregate after the save.</returns>
    /// <exception cref="WrongExpectedVersionException">Every attempt lost its race.</exception>
    public async Task<TAggregate> ExecuteAsync(StreamId streamId, Action<TAggregate> command, EventMetadata? metadata = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(command);
        for (var attempt = 0; ; attempt++)
        {
            var aggregate = await LoadAsync(streamId, cancellationToken).ConfigureAwait(false);
            command(aggregate);
            try
            {
                await SaveAsync(streamId, aggregate, metadata, cancellationToken).ConfigureAwait(false);
                return aggregate;
            }
            catch (WrongExpectedVersionException) when (attempt < _options.MaxConcurrencyRetries)
            {
                LogRetry(_logger, streamId.Value, attempt + 1);
            }
        }
    }

    private async Task<TAggregate> LoadCoreAsync(StreamId streamId, long toVersion, DateTimeOffset? asOf, CancellationToken cancellationToken)
    {
        streamId.EnsureValid();
        var aggregate = new TAggregate();
        var from = 1L;
        var replaceSnapshot = false;
        if (aggregate is ISnapshotSupport support && _snapshots is not null)
        {
            var snapshot = await _snapshots.LoadAsync(streamId, cancellationToken).ConfigureAwait(false);
            if (snapshot is not null && snapshot.Version <= toVersion
                && (asOf is null || await EventTimeAsync(streamId, snapshot.Version, cancellationToken).ConfigureAwait(false) <= asOf))
            {
                if (TryRestore(streamId, aggregate, support, snapshot))
                {
                    from = snapshot.Version + 1;
                }
                else
                {
                    // A failed restore may have half-applied; start again from a clean aggregate.
                    aggregate = new TAggregate();
                    replaceSnapshot = !_options.Snapshots.IsNever;
                }
            }
        }

        var maxCount = toVersion == long.MaxValue ? long.MaxValue : Math.Max(0, toVersion - from + 1);
        await foreach (var e in _store.ReadStreamAsync(streamId, from, maxCount, cancellationToken).ConfigureAwait(false))
        {
            if (asOf is { } limit && e.Timestamp > limit)
            {
                break;
            }

            aggregate.Replay(e.Event, e.StreamVersion);
        }

        if (replaceSnapshot && aggregate.Version > 0 && asOf is null && toVersion == long.MaxValue)
        {
            await TrySnapshotAsync(streamId, aggregate, (ISnapshotSupport)aggregate, cancellationToken).ConfigureAwait(false);
        }

        return aggregate;
    }

    private async Task<DateTimeOffset> EventTimeAsync(StreamId streamId, long version, CancellationToken cancellationToken)
    {
        await foreach (var e in _store.ReadStreamAsync(streamId, version, 1, cancellationToken).ConfigureAwait(false))
        {
            return e.Timestamp;
        }

        return DateTimeOffset.MaxValue;
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Concurrency conflict on stream {StreamId}; retrying the command (attempt {Attempt}).")]
    private static partial void LogRetry(ILogger logger, string streamId, int attempt);
}
