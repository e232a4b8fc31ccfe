using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using EventSourcing.Projections;
using EventSourcing.Serialization;
using EventSourcing.Storage;

namespace EventSourcing.InMemory;

/// <summary>
/// The embedded event store: thread-safe, in process, with the same semantics as the durable stores
/// (atomic multi-event appends, all expected-version modes, idempotent re-append, one global order).
/// Events are kept as the objects appended, so events should be immutable (records). Nothing survives
/// the process.
/// </summary>
public sealed partial class InMemoryEventStore : IEventStore
{
    private readonly ConcurrentDictionary<string, AppendOnlyList<EventEnvelope>> _streams = new(StringComparer.Ordinal);
    private readonly AppendOnlyList<EventEnvelope> _all = new(1024);
    private readonly SemaphoreSlim _writeGate = new(1, 1);
    private readonly EventTypeRegistry _registry;
    private readonly TimeProvider _time;
    private long _sequence;
    private InlineProjectionSet _inline = InlineProjectionSet.None;
    private ProjectionContext[] _inlineContexts = [];

    /// <summary>Creates an empty store.</summary>
    /// <param name="registry">The event types appends may use.</param>
    /// <param name="timeProvider">The clock for event timestamps; the system clock when null.</param>
    public InMemoryEventStore(EventTypeRegistry registry, TimeProvider? timeProvider = null)
    {
        ArgumentNullException.ThrowIfNull(registry);
        _registry = registry;
        _time = timeProvider ?? TimeProvider.System;
    }

    /// <summary>Woken after each commit, outside the write lock.</summary>
    internal CommitNotifier? Notifier { get; set; }

    /// <summary>Projections run inside each append, before it becomes visible; one that throws fails the append.</summary>
    internal void UseInlineProjections(IEnumerable<IProjection> projections)
    {
        _inline = new InlineProjectionSet(projections, nameof(projections));
        _inlineContexts = _inline.CreateContexts(name => new ProjectionContext(name, isRebuild: false));
    }

    /// <inheritdoc />
    public ValueTask<AppendResult> AppendAsync(StreamId streamId, ExpectedVersion expectedVersion, IReadOnlyList<EventData> events, CancellationToken cancellationToken = default)
    {
        AppendGuard.Validate(streamId, events);
        cancellationToken.ThrowIfCancellationRequested();
        var names = new string[events.Count];
        List<EventData>? upcast = null;
        for (var i = 0; i < names.Length; i++)
        {
            var entry = _registry.Resolve(events[i].Event.GetType());
            names[i] = entry.Name;
            if (entry.TypedUpcast is not null)
            {
                // This store keeps objects, not payloads, and the registry is frozen by now: upcasting once
                // here reads exactly like a durable store that upcasts on every read.
                upcast ??= [.. events];
                upcast[i] = new EventData(_registry.UpcastObject(entry, events[i].Event, out names[i]), events[i].Metadata, events[i].EventId);
            }
        }

        events = upcast ?? events;

        if (!_inline.IsEmpty)
        {
            return AppendWithInlineProjectionsAsync(streamId, expectedVersion, events, names, cancellationToken);
        }

        AppendResult result;
        _writeGate.Wait(cancellationToken);
        try
        {
            result = Stage(streamId, expectedVersion, events, names, staged: null, out var stream);
            if (!result.AlreadyAppended)
            {
                Publish(stream!, events.Count);
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

    private async ValueTask<AppendResult> AppendWithInlineProjectionsAsync(StreamId streamId, ExpectedVersion expectedVersion, IReadOnlyList<EventData> events, string[] names, CancellationToken cancellationToken)
    {
        AppendResult result;
        await _writeGate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var staged = new EventEnvelope[events.Count];
            result = Stage(streamId, expectedVersion, events, names, staged, out var stream);
            if (!result.AlreadyAppended)
            {
                // Staged events are invisible until published: a projection that throws (or a
                // cancellation) leaves the store as it was.
                await _inline.RunAsync(staged, _inlineContexts, cancellationToken).ConfigureAwait(false);

                Publish(stream!, events.Count);
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

    /// <summary>Checks the expectation and stages the events (invisible to readers until <see cref="Publish"/>). Writer gate held.</summary>
    private AppendResult Stage(StreamId streamId, ExpectedVersion expectedVersion, IReadOnlyList<EventData> events, string[] names, EventEnvelope[]? staged, out AppendOnlyList<EventEnvelope>? stream)
    {
        stream = _streams.GetValueOrDefault(streamId.Value);
        var current = stream?.Count ?? 0;
        if (TryIdempotent(stream, current, expectedVersion, events, out var repeat))
        {
            return repeat!;
        }

        if (!AppendGuard.Satisfies(expectedVersion, current))
        {
            throw new WrongExpectedVersionException(streamId, expectedVersion, current);
        }

        stream ??= _streams.GetOrAdd(streamId.Value, static _ => new AppendOnlyList<EventEnvelope>());
        var now = _time.GetUtcNow();
        EventEnvelope? last = null;
        for (var i = 0; i < events.Count; i++)
        {
            var e = events[i];
            last = new EventEnvelope(e.EventId, streamId, current + i + 1, new GlobalPosition(0, _sequence + i + 1), names[i], e.Event, e.Metadata, now);
            stream.Stage(i, last);
            _all.Stage(i, last);
            staged?[i] = last;
        }

        return new AppendResult(streamId, current + events.Count, last!.Position, AlreadyAppended: false);
    }

    private void Publish(AppendOnlyList<EventEnvelope> stream, int count)
    {
        _sequence += count;
        _all.Publish(count);
        stream.Publish(count);
    }

    /// <inheritdoc />
    public IAsyncEnumerable<EventEnvelope> ReadStreamAsync(StreamId streamId, long fromVersion = 1, long maxCount = long.MaxValue, CancellationToken cancellationToken = default)
    {
        AppendGuard.ValidateRead(streamId, fromVersion, maxCount);
        if (!_streams.TryGetValue(streamId.Value, out var stream))
        {
            return ViewEnumerable.Empty;
        }

        var (items, count) = stream.View();
        var start = (int)Math.Min(fromVersion - 1, count);
        var end = (int)Math.Min(count, start + Math.Min(maxCount, int.MaxValue));
        return new ViewEnumerable(items, start, end, cancellationToken);
    }

    /// <inheritdoc />
    public IAsyncEnumerable<EventEnvelope> ReadAllAsync(GlobalPosition after, int maxCount = int.MaxValue, IReadOnlyCollection<string>? eventTypes = null, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(maxCount);
        var (items, count) = _all.View();

        // Positions are (0, n) with n = index + 1; anything with a transaction id belongs to another store.
        var start = after.TransactionId != 0 ? count : (int)Math.Clamp(after.Sequence, 0, count);
        if (eventTypes is not null)
        {
            // Envelopes already carry the current (upcast) type name, so aliases need no expansion here.
            return Filter(items, start, count, maxCount, new HashSet<string>(eventTypes, StringComparer.Ordinal), cancellationToken);
        }

        var end = (int)Math.Min(count, (long)start + maxCount);
        return new ViewEnumerable(items, start, end, cancellationToken);
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
            if (types.Contains(items[i].EventType))
            {
                matching++;
            }
        }

        return matching;
    }

    private static async IAsyncEnumerable<EventEnvelope> Filter(EventEnvelope[] items, int start, int count, int maxCount, HashSet<string> types, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var returned = 0;
        for (var i = start; i < count && returned < maxCount; i++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (types.Contains(items[i].EventType))
            {
                returned++;
                yield return items[i];
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
        if (_streams.TryGetValue(streamId.Value, out var stream))
        {
            var (items, count) = stream.View();
            for (var i = 0; i < count; i++)
            {
                if (items[i].EventId == eventId)
                {
                    return ValueTask.FromResult<EventEnvelope?>(items[i]);
                }
            }
        }

        return ValueTask.FromResult<EventEnvelope?>(null);
    }

    /// <inheritdoc />
    public ValueTask<long> GetStreamVersionAsync(StreamId streamId, CancellationToken cancellationToken = default)
    {
        streamId.EnsureValid();
        return ValueTask.FromResult(_streams.TryGetValue(streamId.Value, out var stream) ? (long)stream.Count : 0L);
    }

    /// <summary>
    /// The idempotency rule both backends share: for an exact expectation, the versions after it already
    /// hold exactly these ids; for Any/StreamExists, the stream's last events are exactly these ids.
    /// </summary>
    private static bool TryIdempotent(AppendOnlyList<EventEnvelope>? stream, long current, ExpectedVersion expected, IReadOnlyList<EventData> events, out AppendResult? result)
    {
        result = null;
        var first = expected.IsExact ? expected.Value : current - events.Count;
        if (stream is null || first < 0 || first + events.Count > current || (expected.IsExact && current == expected.Value))
        {
            return false;
        }

        for (var i = 0; i < events.Count; i++)
        {
            if (stream[(int)first + i].EventId != events[i].EventId)
            {
                return false;
            }
        }

        var last = stream[(int)first + events.Count - 1];
        result = new AppendResult(last.StreamId, last.StreamVersion, last.Position, AlreadyAppended: true);
        return true;
    }
}
