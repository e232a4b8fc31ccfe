using System.Runtime.CompilerServices;
using EventSourcing;
using EventSourcing.Storage;

namespace BankAccount;

/// <summary>
/// Passes everything to an inner store and counts the events read from streams, so the tour can show
/// how much of a stream a load really replays (less when a snapshot covers the start).
/// </summary>
/// <param name="inner">The store that does the work.</param>
public sealed class ReadCountingEventStore(IEventStore inner) : IEventStore
{
    /// <summary>Events read from streams since the last <see cref="Reset"/>.</summary>
    public long EventsRead { get; private set; }

    /// <summary>Sets <see cref="EventsRead"/> back to 0.</summary>
    public void Reset() => EventsRead = 0;

    /// <inheritdoc />
    public ValueTask<AppendResult> AppendAsync(StreamId streamId, ExpectedVersion expectedVersion, IReadOnlyList<EventData> events, CancellationToken cancellationToken = default) =>
        inner.AppendAsync(streamId, expectedVersion, events, cancellationToken);

    /// <inheritdoc />
    public async IAsyncEnumerable<EventEnvelope> ReadStreamAsync(StreamId streamId, long fromVersion = 1, long maxCount = long.MaxValue, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        await foreach (var e in inner.ReadStreamAsync(streamId, fromVersion, maxCount, cancellationToken))
        {
            EventsRead++;
            yield return e;
        }
    }

    /// <inheritdoc />
    public async IAsyncEnumerable<EventEnvelope> ReadStreamBackwardsAsync(StreamId streamId, long fromVersion = long.MaxValue, long maxCount = long.MaxValue, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        await foreach (var e in inner.ReadStreamBackwardsAsync(streamId, fromVersion, maxCount, cancellationToken))
        {
            EventsRead++;
            yield return e;
        }
    }

    /// <inheritdoc />
    public ValueTask<EventEnvelope?> ReadEventAsync(StreamId streamId, Guid eventId, CancellationToken cancellationToken = default) =>
        inner.ReadEventAsync(streamId, eventId, cancellationToken);

    /// <inheritdoc />
    public ValueTask<GlobalPosition> GetHeadPositionAsync(CancellationToken cancellationToken = default) =>
        inner.GetHeadPositionAsync(cancellationToken);

    /// <inheritdoc />
    public IAsyncEnumerable<EventEnvelope> ReadAllAsync(GlobalPosition after, long maxCount = long.MaxValue, IReadOnlyCollection<string>? eventTypes = null, CancellationToken cancellationToken = default) =>
        inner.ReadAllAsync(after, maxCount, eventTypes, cancellationToken);

    /// <inheritdoc />
    public ValueTask<long> GetStreamVersionAsync(StreamId streamId, CancellationToken cancellationToken = default) =>
        inner.GetStreamVersionAsync(streamId, cancellationToken);
}
