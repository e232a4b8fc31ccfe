using System.Runtime.CompilerServices;

namespace EventSourcing.Storage;

/// <summary>Conveniences over <see cref="IEventStore"/>.</summary>
public static class EventStoreExtensions
{
    /// <summary>Appends one event.</summary>
    /// <param name="store">The store.</param>
    /// <param name="streamId">The stream.</param>
    /// <param name="expectedVersion">The version the stream must be at.</param>
    /// <param name="event">The event.</param>
    /// <param name="metadata">Its metadata.</param>
    /// <param name="cancellationToken">Cancels the append.</param>
    /// <returns>The append result.</returns>
    public static ValueTask<AppendResult> AppendAsync(this IEventStore store, StreamId streamId, ExpectedVersion expectedVersion, object @event, EventMetadata? metadata = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(store);
        return store.AppendAsync(streamId, expectedVersion, [new EventData(@event, metadata)], cancellationToken);
    }

    /// <summary>Reads the events of a stream appended within a time range (inclusive), in version order.</summary>
    /// <param name="store">The store.</param>
    /// <param name="streamId">The stream.</param>
    /// <param name="from">The earliest timestamp.</param>
    /// <param name="to">The latest timestamp.</param>
    /// <param name="cancellationToken">Cancels the read.</param>
    /// <returns>The events.</returns>
    /// <exception cref="ArgumentException"><paramref name="to"/> is before <paramref name="from"/>.</exception>
    public static IAsyncEnumerable<EventEnvelope> ReadStreamBetweenAsync(this IEventStore store, StreamId streamId, DateTimeOffset from, DateTimeOffset to, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(store);
        if (to < from)
        {
            throw new ArgumentException("The end of the range is before its start.", nameof(to));
        }

        return Filter(store, streamId, from, to, cancellationToken);

        static async IAsyncEnumerable<EventEnvelope> Filter(IEventStore store, StreamId streamId, DateTimeOffset from, DateTimeOffset to, [EnumeratorCancellation] CancellationToken cancellationToken)
        {
            await foreach (var e in store.ReadStreamAsync(streamId, 1, long.MaxValue, cancellationToken).ConfigureAwait(false))
            {
                if (e.Timestamp > to)
                {
                    yield break;
                }

                if (e.Timestamp >= from)
                {
                    yield return e;
                }
            }
        }
    }
}
