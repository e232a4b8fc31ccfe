using System.Collections.Concurrent;
using System.Diagnostics;
using System.Runtime.CompilerServices;
using EventSourcing.Projections;
using EventSourcing.Serialization;
using EventSourcing.Storage;

namespace EventSourcing.InMemory;

/// <summary>
/// The embedded event store: thread-safe, in process, with the same semantics as the durable stores
/// (atomic multi-event appends, all expected-version modes, idempotent re-append, one global order).
/// Like PostgreSQL, it serializes each event when it is appended (what the serializer refuses is refused)
/// and reads it back on every read, so changing an appended or a read object never changes history.
/// Nothing survives the process.
/// </summary>
public sealed partial class InMemoryEventStore : IEventStore
{
    private readonly ConcurrentDictionary<string, InMemoryStream> _streams = new(StringComparer.Ordinal);
    private readonly AppendOnlyList<StoredEvent> _all = new(1024);
    private readonly SemaphoreSlim _writeGate = new(1, 1);
    private readonly EventTypeRegistry _registry;
    private readonly TimeProvider _time;
    private long _sequence;
    private InlineProjectionSet _inline = InlineProjectionSet.None;

    /// <summary>Creates an empty store.</summary>
    /// <param name="registry">The event types appends may use.</param>
    /// <param name="timeProvider">The clock for event timestamps; the system clock when null.</param>
    public InMemoryEventStore(EventTypeRegistry registry, TimeProvider? timeProvider = null)
    {
        ArgumentNullException.ThrowIfNull(registry);
        _registry = registry;
        _time = timeProvider ?? TimeProvider.System;
    }

    /// <summary>The documents of views, written with the append (inline) or the checkpoint (async).</summary>
    internal InMemoryDocumentStore Documents { get; } = new();

    /// <summary>Woken after each commit, outside the write lock.</summary>
    internal CommitNotifier? Notifier { get; set; }

    /// <summary>
    /// Projections that run inside each append, before it becomes visible: one that throws fails the
    /// append with nothing stored. None by default. Set it at construction (<c>AddEventSourcing</c> sets
    /// the inline projections registered on the builder).
    /// </summary>
    /// <exception cref="ArgumentException">A projection is null, unnamed, handles no event type, or two share a name.</exception>
    public IReadOnlyList<IProjection> InlineProjections
    {
        get;
        init
        {
            UseInlineProjections(new InlineProjectionSet(value));
            field = [.. value];
        }
    } = [];

    /// <summary>Projections run inside each append, before it becomes visible; one that throws fails the append.</summary>
    internal void UseInlineProjections(InlineProjectionSet projections) => _inline = projections;

    /// <inheritdoc />
    public ValueTask<AppendResult> AppendAsync(StreamId streamId, ExpectedVersion expectedVersion, IReadOnlyList<EventData> events, CancellationToken cancellationToken = default) =>
        CoreInstruments.Memory.IsObserved
            ? AppendObservedAsync(streamId, expectedVersion, events, cancellationToken)
            : AppendCoreAsync(streamId, expectedVersion, events, cancellationToken);

    /// <summary>The append with its activity and metrics; only taken while someone listens.</summary>
    private async ValueTask<AppendResult> AppendObservedAsync(StreamId streamId, ExpectedVersion expectedVersion, IReadOnlyList<EventData> events, CancellationToken cancellationToken)
    {
        var count = events?.Count ?? 0;
        using var activity = CoreInstruments.Memory.StartAppend(streamId, expectedVersion, count);
        var started = Stopwatch.GetTimestamp();
        try
        {
            var result = await AppendCoreAsync(streamId, expectedVersion, events!, cancellationToken).ConfigureAwait(false);
            CoreInstruments.Memory.Succeeded(activity, started, count, result);
            return result;
        }
        catch (Exception ex)
        {
            CoreInstruments.Memory.Failed(activity, started, count, ex);
            throw;
        }
    }

    private ValueTask<AppendResult> AppendCoreAsync(StreamId streamId, ExpectedVersion expectedVersion, IReadOnlyList<EventData> events, CancellationToken cancellationToken)
    {
        AppendGuard.Validate(streamId, expectedVersion, events);
        cancellationToken.ThrowIfCancellationRequested();

        // Serialized outside the lock, with the registry PostgreSQL uses: the same inputs are refused.
        var batch = new PendingEvent[events.Count];
        for (var i = 0; i < batch.Length; i++)
        {
            var e = events[i];
            var data = _registry.SerializeWithEntry(e.Event, out var entry);
            batch[i] = new PendingEvent(e.EventId, entry, data, CopyOf(e.Metadata));
        }

        if (!_inline.IsEmpty)
        {
            return AppendWithInlineProjectionsAsync(streamId, expectedVersion, batch, cancellationToken);
        }

        AppendResult result;
        _writeGate.Wait(cancellationToken);
        try
        {
            result = Stage(streamId, expectedVersion, batch, out var stream, out var timestamp);
            if (!result.AlreadyAppended)
            {
                Publish(stream!, batch.Length, timestamp);
            }
        }
        finally
        {
            _writeGate.Release();
        }

        if (!result.AlreadyAppended)
        {
            Notifier?.Notify();
        }

        return ValueTask.FromResult(result);
    }

    private async ValueTask<AppendResult> AppendWithInlineProjectionsAsync(StreamId streamId, ExpectedVersion expectedVersion, PendingEvent[] batch, CancellationToken cancellationToken)
    {
        AppendResult result;
        await _writeGate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            result = Stage(streamId, expectedVersion, batch, out var stream, out var timestamp);
            if (!result.AlreadyAppended)
            {
                // Staged events are invisible until published: a projection that throws (or a
                // cancellation) leaves the store as it was. Projections get what readers will get.
                var staged = new EventEnvelope[batch.Length];
                var (items, first) = (stream!.Events, stream.Events.Count);
                for (var i = 0; i < staged.Length; i++)
                {
                    staged[i] = items[first + i].ToEnvelope(_registry);
                }

                var documents = Documents.BeginSession();
                await _inline.RunAsync(staged, _inline.CreateContexts(name => new ProjectionContext(name, isRebuild: false) { Documents = documents }), cancellationToken).ConfigureAwait(false);
                documents.Commit();
                Publish(stream, batch.Length, timestamp);
            }
        }
        finally
        {
            _writeGate.Release();
        }

        if (!result.AlreadyAppended)
        {
            Notifier?.Notify();
        }

        return result;
    }

    /// <summary>
    /// Applies the event-id rule, then the expectation, and stages the events (invisible to readers until
    /// <see cref="Publish"/>). Writer gate held.
    /// </summary>
    private AppendResult Stage(StreamId streamId, ExpectedVersion expectedVersion, PendingEvent[] batch, out InMemoryStream? stream, out DateTimeOffset timestamp)
    {
        stream = _streams.GetValueOrDefault(streamId.Value);
        timestamp = default;
        var current = stream?.Events.Count ?? 0;
        if (stream is not null && FindRepeat(streamId, stream, batch) is { } repeat)
        {
            return repeat;
        }

        if (AppendGuard.Overflows(expectedVersion, batch.Length) || !AppendGuard.Satisfies(expectedVersion, current))
        {
            throw new WrongExpectedVersionException(streamId, expectedVersion, current);
        }

        stream ??= _streams.GetOrAdd(streamId.Value, static _ => new InMemoryStream());

        // Microseconds, as PostgreSQL stores them; never before the stream's previous event.
        var now = _time.GetUtcNow().ToUniversalTime();
        now = new DateTimeOffset(now.Ticks - (now.Ticks % 10), TimeSpan.Zero);
        timestamp = now > stream.LastTimestamp ? now : stream.LastTimestamp;
        for (var i = 0; i < batch.Length; i++)
        {
            var e = batch[i];
            var stored = new StoredEvent(e.EventId, streamId, current + i + 1, GlobalPosition.FromParts(0, _sequence + i + 1), e.Entry, EventTypeRegistry.ReadName(e.Entry), e.Data, e.Metadata, timestamp);
            stream.Events.Stage(i, stored);
            _all.Stage(i, stored);
        }

        return new AppendResult(streamId, current + batch.Length, GlobalPosition.FromParts(0, _sequence + batch.Length), AlreadyAppended: false);
    }

    /// <summary>
    /// The event-id rule (<see cref="StoredBatch"/>): a repeat of a stored batch, null when none of the
    /// batch's ids is stored; throws <see cref="DuplicateEventIdException"/> otherwise.
    /// </summary>
    private static AppendResult? FindRepeat(StreamId streamId, InMemoryStream stream, PendingEvent[] batch)
    {
        long[]? versions = null;
        for (var i = 0; i < batch.Length; i++)
        {
            if (stream.TryFindForWriter(batch[i].EventId, out var index))
            {
                versions ??= new long[batch.Length];
                versions[i] = index + 1L;
            }
        }

        if (versions is null)
        {
            return null;
        }

        var ids = new Guid[batch.Length];
        for (var i = 0; i < ids.Length; i++)
        {
            ids[i] = batch[i].EventId;
        }

        var last = stream.Events[(int)StoredBatch.RepeatEnd(streamId, ids, versions)!.Value - 1];
        return new AppendResult(streamId, last.Version, last.Position, AlreadyAppended: true);
    }

    private void Publish(InMemoryStream stream, int count, DateTimeOffset timestamp)
    {
        _sequence += count;
        _all.Publish(count);
        stream.Publish(count, timestamp);
    }

    /// <summary>
    /// The metadata readers will get: what reading back its serialized form gives (lone surrogates refused,
    /// the current trace added), copied without the JSON, with read-only headers, so it can be shared by
    /// every read and the appender's dictionary is not kept.
    /// </summary>
    private static EventMetadata CopyOf(EventMetadata metadata) => MetadataJson.Stored(metadata);

    /// <inheritdoc />
    public IAsyncEnumerable<EventEnvelope> ReadStreamAsync(StreamId streamId, long fromVersion = 1, long maxCount = long.MaxValue, CancellationToken cancellationToken = default)
    {
        var (items, start, end) = Slice(streamId, fromVersion, maxCount);
        return items.Length == 0 ? ViewEnumerable.Empty : ViewEnumerable.Envelopes(items, start, end, _registry, cancellationToken);
    }

    /// <summary>The published events of a stream from a version on, at most <paramref name="maxCount"/> (validated).</summary>
    private (StoredEvent[] Items, int Start, int End) Slice(StreamId streamId, long fromVersion, long maxCount)
    {
        AppendGuard.ValidateRead(streamId, fromVersion, maxCount);
        if (!_streams.TryGetValue(streamId.Value, out var stream))
        {
            return ([], 0, 0);
        }

        var (items, count) = stream.Events.View();
        var start = (int)Math.Min(fromVersion - 1, count);
        var end = (int)Math.Min(count, start + Math.Min(maxCount, int.MaxValue));
        return (items, start, end);
    }

    /// <inheritdoc />
    public IAsyncEnumerable<EventEnvelope> ReadStreamBackwardsAsync(StreamId streamId, long fromVersion = long.MaxValue, long maxCount = long.MaxValue, CancellationToken cancellationToken = default)
    {
        AppendGuard.ValidateRead(streamId, fromVersion, maxCount);
        if (!_streams.TryGetValue(streamId.Value, out var stream))
        {
            return ViewEnumerable.Empty;
        }

        var (items, count) = stream.Events.View();
        var end = (int)Math.Min(fromVersion, count);
        var start = (int)Math.Max(0, end - Math.Min(maxCount, int.MaxValue));
        return ViewEnumerable.Envelopes(items, start, end, _registry, cancellationToken, backwards: true);
    }

    /// <inheritdoc />
    public IAsyncEnumerable<EventEnvelope> ReadAllAsync(GlobalPosition after, long maxCount = long.MaxValue, IReadOnlyCollection<string>? eventTypes = null, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(maxCount);
        var (items, count) = _all.View();

        // Positions are (0, n) with n = index + 1; anything with a transaction id belongs to another store.
        var (major, minor) = after.ToParts();
        var start = major != 0 ? count : (int)Math.Clamp(minor, 0, count);
        if (eventTypes is not null)
        {
            // Stored events know the name readers see (after upcasting), so aliases need no expansion here.
            return Filter(items, start, count, maxCount, new HashSet<string>(eventTypes, StringComparer.Ordinal), _registry, cancellationToken);
        }

        var end = (int)Math.Min(count, (long)start + maxCount);
        return ViewEnumerable.Envelopes(items, start, end, _registry, cancellationToken);
    }

    /// <summary>Counts the events of these registered type names (all events when null).</summary>
    internal long CountEvents(IReadOnlyCollection<string>? eventTypes)
    {
        var (items, count) = _all.View();
        if (eventTypes is null)
        {
            return count;
        }

        var types = new HashSet<string>(eventTypes, StringComparer.Ordinal);
        long matching = 0;
        for (var i = 0; i < count; i++)
        {
            if (types.Contains(items[i].ReadName))
            {
                matching++;
            }
        }

        return matching;
    }

    private static async IAsyncEnumerable<EventEnvelope> Filter(StoredEvent[] items, int start, int count, long maxCount, HashSet<string> types, EventTypeRegistry registry, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var returned = 0;
        for (var i = start; i < count && returned < maxCount; i++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (types.Contains(items[i].ReadName))
            {
                returned++;
                yield return items[i].ToEnvelope(registry);
            }
        }

        await Task.CompletedTask.ConfigureAwait(false);
    }

    /// <inheritdoc />
    public ValueTask<GlobalPosition> GetHeadPositionAsync(CancellationToken cancellationToken = default)
    {
        var (items, count) = _all.View();
        return ValueTask.FromResult(count == 0 ? GlobalPosition.Start : items[count - 1].Position);
    }

    /// <inheritdoc />
    public ValueTask<EventEnvelope?> ReadEventAsync(StreamId streamId, Guid eventId, CancellationToken cancellationToken = default)
    {
        streamId.EnsureValid();
        cancellationToken.ThrowIfCancellationRequested();
        var stored = _streams.TryGetValue(streamId.Value, out var stream) ? stream.Find(eventId) : null;
        return ValueTask.FromResult(stored?.ToEnvelope(_registry));
    }

    /// <inheritdoc />
    public ValueTask<long> GetStreamVersionAsync(StreamId streamId, CancellationToken cancellationToken = default)
    {
        streamId.EnsureValid();
        return ValueTask.FromResult(_streams.TryGetValue(streamId.Value, out var stream) ? (long)stream.Events.Count : 0L);
    }

    /// <summary>An event of an append, serialized, before it has a version.</summary>
    private readonly record struct PendingEvent(Guid EventId, EventTypeEntry Entry, byte[] Data, EventMetadata Metadata);
}
