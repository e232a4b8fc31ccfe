namespace EventSourcing.Storage;

/// <summary>
/// An optional capability of an event store (backend SPI): reads a stream for an aggregate's replay,
/// fetching only what a replay needs of each event (its version, id and payload) and none of the
/// envelope's other fields (metadata, timestamp, global position). <see cref="Aggregates.AggregateRepository{TAggregate}"/>
/// uses it for every load that does not need those fields; otherwise it reads <see cref="IEventStore.ReadStreamAsync"/>.
/// </summary>
public interface IStreamReplayReader
{
    /// <summary>
    /// Reads a stream forward from a version, as <see cref="IEventStore.ReadStreamAsync"/> does (same events,
    /// same order, the same errors for an unknown type or an unreadable payload), each event as a
    /// <see cref="ReplayEvent"/>. What it does not read cannot fail it: a backend that leaves metadata
    /// unread replays an event whose stored metadata a full read would refuse.
    /// </summary>
    /// <param name="streamId">The stream.</param>
    /// <param name="fromVersion">The first version to return (1 = from the start).</param>
    /// <param name="maxCount">The most events to return.</param>
    /// <param name="cancellationToken">Cancels the read.</param>
    /// <returns>The events in version order; none when the stream does not exist.</returns>
    /// <exception cref="ArgumentException">The stream id is default.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="fromVersion"/> is below 1 or <paramref name="maxCount"/> below 0.</exception>
    /// <exception cref="UnknownEventTypeException">A stored event's type is not registered.</exception>
    /// <exception cref="EventDeserializationException">A stored event cannot be deserialized.</exception>
    IAsyncEnumerable<ReplayEvent> ReadReplayAsync(StreamId streamId, long fromVersion = 1, long maxCount = long.MaxValue, CancellationToken cancellationToken = default);
}

/// <summary>What an aggregate's replay reads of a stored event (see <see cref="IStreamReplayReader"/>).</summary>
/// <param name="StreamVersion">The event's version in its stream.</param>
/// <param name="EventId">The event's id.</param>
/// <param name="Event">The deserialized (and upcast) event, as <see cref="EventEnvelope.Event"/> would hold it.</param>
public readonly record struct ReplayEvent(long StreamVersion, Guid EventId, object Event)
{
    /// <summary>The replay part of an envelope.</summary>
    /// <param name="envelope">The envelope.</param>
    /// <returns>Its version, id and event.</returns>
    public static ReplayEvent From(EventEnvelope envelope)
    {
        ArgumentNullException.ThrowIfNull(envelope);
        return new ReplayEvent(envelope.StreamVersion, envelope.EventId, envelope.Event);
    }
}
