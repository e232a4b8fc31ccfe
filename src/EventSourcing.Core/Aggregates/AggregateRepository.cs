using System.Diagnostics;
using System.Diagnostics.CodeAnalysis;
using EventSourcing.Serialization;
using EventSourcing.Storage;
using Microsoft.Extensions.DependencyInjection;
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
    // Each pair differs by a required Guid before any optional parameter, so no call can bind to both.
    private const string OverloadsByCommandId = "The overloads differ by a required command id before the optional parameters.";

    private readonly IEventStore _store;
    private readonly ISnapshotStore? _snapshots;
    private readonly EventTypeRegistry _registry;
    private readonly RepositoryOptions _options;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;

    // The store's one-round-trip snapshot read; dropped once it says it cannot read our snapshot store.
    private ISnapshotTailReader? _tailReader;

    // The store's narrow read for replays, when it offers one.
    private readonly IStreamReplayReader? _replayReader;

    /// <summary>
    /// Creates a repository. Resolved from a container under a key (<c>AddKeyedEventSourcing</c>), it takes the
    /// store, registry, snapshot store and options registered under the same key.
    /// </summary>
    /// <param name="store">The event store.</param>
    /// <param name="registry">The registry (its JSON options serialize snapshots).</param>
    /// <param name="snapshots">The snapshot store; null disables snapshots.</param>
    /// <param name="options">Snapshot policy and retries; defaults when null.</param>
    /// <param name="logger">Where ignored snapshots and failed snapshot writes are reported.</param>
    /// <param name="timeProvider">The clock for snapshot timestamps; the system clock when null.</param>
    public AggregateRepository([FromKeyedServices] IEventStore store, [FromKeyedServices] EventTypeRegistry registry, [FromKeyedServices] ISnapshotStore? snapshots = null, [FromKeyedServices] RepositoryOptions? options = null, ILogger<AggregateRepository<TAggregate>>? logger = null, TimeProvider? timeProvider = null)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(registry);
        _store = store;
        _registry = registry;
        _snapshots = snapshots;
        _options = options ?? new RepositoryOptions();
        ArgumentOutOfRangeException.ThrowIfNegative(_options.MaxConcurrencyRetries);
        ArgumentOutOfRangeException.ThrowIfLessThan(_options.RetryDelay, TimeSpan.Zero);
        ArgumentOutOfRangeException.ThrowIfLessThan(_options.MaxRetryDelay, TimeSpan.Zero);
        _logger = (ILogger?)logger ?? NullLogger.Instance;
        _time = timeProvider ?? TimeProvider.System;
        _tailReader = snapshots is null ? null : store as ISnapshotTailReader;
        _replayReader = store as IStreamReplayReader;
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
    [SuppressMessage("ApiDesign", "RS0026:Do not add multiple public overloads with optional parameters", Justification = OverloadsByCommandId)]
    public Task<AppendResult?> SaveAsync(StreamId streamId, TAggregate aggregate, EventMetadata? metadata = null, CancellationToken cancellationToken = default) =>
        SaveCoreAsync(streamId, aggregate, commandId: null, metadata, cancellationToken);

    /// <summary>
    /// Saves the events a command raised, with ids derived from the command id
    /// (<see cref="CommandIds.EventId"/>: the command id, the stream and each event's index), expecting the
    /// stream at the version the aggregate was loaded at. Saving the same command's events again (a retry
    /// after a lost reply) is recognised by the store as a repeat: nothing is written and the result has
    /// <see cref="AppendResult.AlreadyAppended"/> set; reload the aggregate then for the stream's state.
    /// </summary>
    /// <param name="streamId">The aggregate's stream.</param>
    /// <param name="aggregate">The aggregate, holding only the command's events as uncommitted events.</param>
    /// <param name="commandId">The command's id, e.g. from <see cref="CommandIds.FromKey"/>; the same for every attempt of one command.</param>
    /// <param name="metadata">Metadata for every event saved (correlation, causation, user).</param>
    /// <param name="cancellationToken">Cancels the save.</param>
    /// <returns>The append result, or null when there was nothing to save.</returns>
    /// <exception cref="ArgumentException"><paramref name="commandId"/> is <see cref="Guid.Empty"/>.</exception>
    /// <exception cref="WrongExpectedVersionException">Another writer changed the stream since the load.</exception>
    /// <exception cref="DuplicateEventIdException">The stream holds some of the command's events, but not as this batch (the command raised different events before).</exception>
    [SuppressMessage("ApiDesign", "RS0026:Do not add multiple public overloads with optional parameters", Justification = OverloadsByCommandId)]
    public Task<AppendResult?> SaveAsync(StreamId streamId, TAggregate aggregate, Guid commandId, EventMetadata? metadata = null, CancellationToken cancellationToken = default)
    {
        EnsureCommandId(commandId);
        return SaveCoreAsync(streamId, aggregate, commandId, metadata, cancellationToken);
    }

    private async Task<AppendResult?> SaveCoreAsync(StreamId streamId, TAggregate aggregate, Guid? commandId, EventMetadata? metadata, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(aggregate);
        if (aggregate.UncommittedEvents.Count == 0)
        {
            return null;
        }

        var before = aggregate.PersistedVersion;
        var events = commandId is { } id ? aggregate.TakeUncommitted(metadata, id, streamId) : aggregate.TakeUncommitted(metadata);
        var result = await _store.AppendAsync(streamId, ExpectedVersion.Exactly(before), events, cancellationToken).ConfigureAwait(false);
        aggregate.MarkCommitted(result.NextExpectedVersion);

        // A repeat wrote nothing and the aggregate's state need not match the stream there: no snapshot of it.
        if (!result.AlreadyAppended && aggregate is ISnapshotSupport snapshot && _snapshots is not null && _options.Snapshots.ShouldTake(before, result.NextExpectedVersion))
        {
            var pending = TrySnapshotAsync(streamId, aggregate, snapshot, _options.WriteSnapshotsInBackground ? CancellationToken.None : cancellationToken);
            if (!_options.WriteSnapshotsInBackground)
            {
                await pending.ConfigureAwait(false);
            }
        }

        return result;
    }

    private static string AggregateType => typeof(TAggregate).Name;

    private static void EnsureCommandId(Guid commandId)
    {
        if (commandId == Guid.Empty)
        {
            throw new ArgumentException("A command id must not be Guid.Empty.", nameof(commandId));
        }
    }

    private async Task<TAggregate> LoadCoreAsync(StreamId streamId, long toVersion, DateTimeOffset? asOf, CancellationToken cancellationToken) =>
        (await LoadCoreAsync(streamId, toVersion, asOf, cancellationToken, watch: Guid.Empty).ConfigureAwait(false)).Aggregate;

    /// <summary>Loads the aggregate; also says where the replay started and whether it met the event <paramref name="watch"/>.</summary>
    private Task<Loaded> LoadCoreAsync(StreamId streamId, long toVersion, DateTimeOffset? asOf, CancellationToken cancellationToken, Guid watch) =>
        RepositoryInstruments.LoadObserved
            ? LoadObservedAsync(streamId, toVersion, asOf, cancellationToken, watch)
            : LoadUninstrumentedAsync(streamId, toVersion, asOf, cancellationToken, watch);

    /// <summary>The load with its activity and metrics; only taken while someone listens.</summary>
    private async Task<Loaded> LoadObservedAsync(StreamId streamId, long toVersion, DateTimeOffset? asOf, CancellationToken cancellationToken, Guid watch)
    {
        streamId.EnsureValid();
        using var activity = RepositoryInstruments.Start(RepositoryInstruments.LoadActivity, streamId, AggregateType);
        var started = Stopwatch.GetTimestamp();
        try
        {
            var loaded = await LoadUninstrumentedAsync(streamId, toVersion, asOf, cancellationToken, watch).ConfigureAwait(false);
            var replayed = loaded.Aggregate.Version - loaded.ReplayedFrom + 1;
            var fromSnapshot = loaded.ReplayedFrom > 1;
            var tags = new TagList { { RepositoryInstruments.AggregateTypeTag, AggregateType }, { RepositoryInstruments.FromSnapshotTag, RepositoryInstruments.Box(fromSnapshot) } };
            RepositoryInstruments.LoadDuration.Record(Stopwatch.GetElapsedTime(started).TotalSeconds, tags);
            RepositoryInstruments.LoadEvents.Record(replayed, tags);
            if (activity is not null)
            {
                activity.SetTag(StoreInstruments.Tags.EventCount, replayed);
                activity.SetTag(RepositoryInstruments.FromSnapshotTag, RepositoryInstruments.Box(fromSnapshot));
                activity.SetTag(StoreInstruments.Tags.StreamVersion, loaded.Aggregate.Version);
            }

            return loaded;
        }
        catch (Exception ex)
        {
            RepositoryInstruments.Fail(activity, ex);
            throw;
        }
    }

    private async Task<Loaded> LoadUninstrumentedAsync(StreamId streamId, long toVersion, DateTimeOffset? asOf, CancellationToken cancellationToken, Guid watch)
    {
        streamId.EnsureValid();
        var aggregate = new TAggregate();
        var from = 1L;
        var replaceSnapshot = false;

        // Events read together with the snapshot (one round trip where the store offers it), from version `from` on.
        SnapshotTail? tail = null;
        if (aggregate is ISnapshotSupport support && _snapshots is not null)
        {
            tail = asOf is null && _tailReader is { } reader
                ? await LoadSnapshotTailAsync(reader, streamId, toVersion, cancellationToken).ConfigureAwait(false)
                : null;
            var snapshot = tail is null ? await LoadSnapshotAsync(streamId, cancellationToken).ConfigureAwait(false) : tail.Snapshot;
            if (snapshot is not null && snapshot.Version <= toVersion
                && (asOf is null || await EventTimeAsync(streamId, snapshot.Version, cancellationToken).ConfigureAwait(false) <= asOf))
            {
                if (TryRestore(streamId, aggregate, support, snapshot))
                {
                    from = snapshot.Version + 1;
                    RepositoryInstruments.SnapshotHits.Add(1, new KeyValuePair<string, object?>(RepositoryInstruments.AggregateTypeTag, AggregateType));
                }
                else
                {
                    // A failed restore may have half-applied; start again from a clean aggregate (the events
                    // read after the snapshot are of no use then).
                    aggregate = new TAggregate();
                    replaceSnapshot = !_options.Snapshots.IsNever;
                    tail = null;
                }
            }
        }

        if (aggregate is ISnapshotSupport && _snapshots is not null && from == 1)
        {
            RepositoryInstruments.SnapshotMisses.Add(1, new KeyValuePair<string, object?>(RepositoryInstruments.AggregateTypeTag, AggregateType));
        }

        var saw = false;
        var next = from;
        if (tail is not null)
        {
            foreach (var e in tail.Events)
            {
                if (e.StreamVersion != next)
                {
                    throw new InvalidOperationException($"The store's snapshot read of stream '{streamId.Value}' returned version {e.StreamVersion} where {next} was due.");
                }

                saw |= e.EventId == watch;
                aggregate.Replay(e.Event, e.StreamVersion);
                next++;
            }
        }

        if (tail is not { IsComplete: true } && next <= toVersion)
        {
            var maxCount = toVersion == long.MaxValue ? long.MaxValue : toVersion - next + 1;
            if (asOf is null && _replayReader is { } replay)
            {
                // Only what the replay needs of each event: no metadata, timestamp or position read.
                await foreach (var e in replay.ReadReplayAsync(streamId, next, maxCount, cancellationToken).ConfigureAwait(false))
                {
                    saw |= e.EventId == watch;
                    aggregate.Replay(e.Event, e.StreamVersion);
                }
            }
            else
            {
                await foreach (var e in _store.ReadStreamAsync(streamId, next, maxCount, cancellationToken).ConfigureAwait(false))
                {
                    if (asOf is { } limit && e.Timestamp > limit)
                    {
                        break;
                    }

                    saw |= e.EventId == watch;
                    aggregate.Replay(e.Event, e.StreamVersion);
                }
            }
        }

        if (replaceSnapshot && aggregate.Version > 0 && asOf is null && toVersion == long.MaxValue)
        {
            await TrySnapshotAsync(streamId, aggregate, (ISnapshotSupport)aggregate, cancellationToken).ConfigureAwait(false);
        }

        return new Loaded(aggregate, from, saw);
    }

    private async Task<DateTimeOffset> EventTimeAsync(StreamId streamId, long version, CancellationToken cancellationToken)
    {
        await foreach (var e in _store.ReadStreamAsync(streamId, version, 1, cancellationToken).ConfigureAwait(false))
        {
            return e.Timestamp;
        }

        return DateTimeOffset.MaxValue;
    }

    /// <summary>A loaded aggregate, the version its replay started at, and whether the replay met the watched event.</summary>
    private readonly record struct Loaded(TAggregate Aggregate, long ReplayedFrom, bool SawWatched);
}
