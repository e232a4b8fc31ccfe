namespace EventSourcing.Storage;

/// <summary>
/// An event store: streams of events with optimistic concurrency, and one global log of all events
/// in a total, stable order. Every backend runs the same conformance suite against this contract.
/// </summary>
public interface IEventStore
{
    /// <summary>
    /// Appends events to a stream atomically: all of them, at consecutive versions, or none.
    /// An event id is stored at most once per stream: re-appending a batch whose ids the stream already
    /// holds (the same ids, in the same order, at consecutive versions, wherever they landed) writes
    /// nothing and returns a result with <see cref="AppendResult.AlreadyAppended"/> set, whatever the
    /// expected version; this is how a retry after a lost reply stays safe.
    /// </summary>
    /// <param name="streamId">The stream.</param>
    /// <param name="expectedVersion">The version the stream must be at.</param>
    /// <param name="events">The events, at least one.</param>
    /// <param name="cancellationToken">Cancels the append; a cancelled append writes nothing or everything.</param>
    /// <returns>The stream's new version and the last event's global position.</returns>
    /// <exception cref="ArgumentException">The stream id is default, the list is empty or holds null.</exception>
    /// <exception cref="WrongExpectedVersionException">The stream is not at <paramref name="expectedVersion"/>.</exception>
    /// <exception cref="UnknownEventTypeException">An event's CLR type is not registered.</exception>
    /// <exception cref="DuplicateEventIdException">Some of the ids are stored in the stream, but not as this batch.</exception>
    ValueTask<AppendResult> AppendAsync(StreamId streamId, ExpectedVersion expectedVersion, IReadOnlyList<EventData> events, CancellationToken cancellationToken = default);

    /// <summary>Reads a stream forward, starting at a version.</summary>
    /// <param name="streamId">The stream.</param>
    /// <param name="fromVersion">The first version to return (1 = from the start).</param>
    /// <param name="maxCount">The most events to return.</param>
    /// <param name="cancellationToken">Cancels the read.</param>
    /// <returns>The events in version order; none when the stream does not exist.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="fromVersion"/> is below 1 or <paramref name="maxCount"/> below 0.</exception>
    /// <exception cref="UnknownEventTypeException">A stored event's type is not registered.</exception>
    /// <exception cref="EventDeserializationException">A stored event cannot be deserialized.</exception>
    IAsyncEnumerable<EventEnvelope> ReadStreamAsync(StreamId streamId, long fromVersion = 1, long maxCount = long.MaxValue, CancellationToken cancellationToken = default);

    /// <summary>
    /// Reads a stream backwards: its events at or below a version, newest first. The usual use is the
    /// last few events of a stream (<c>ReadStreamBackwardsAsync(id, maxCount: 10)</c>).
    /// </summary>
    /// <param name="streamId">The stream.</param>
    /// <param name="fromVersion">The first (highest) version to return; <see cref="long.MaxValue"/> (the default) starts at the stream's last event.</param>
    /// <param name="maxCount">The most events to return.</param>
    /// <param name="cancellationToken">Cancels the read.</param>
    /// <returns>The events in descending version order; none when the stream does not exist.</returns>
    /// <exception cref="ArgumentException">The stream id is default.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="fromVersion"/> is below 1 or <paramref name="maxCount"/> below 0.</exception>
    /// <exception cref="UnknownEventTypeException">A stored event's type is not registered.</exception>
    /// <exception cref="EventDeserializationException">A stored event cannot be deserialized.</exception>
    IAsyncEnumerable<EventEnvelope> ReadStreamBackwardsAsync(StreamId streamId, long fromVersion = long.MaxValue, long maxCount = long.MaxValue, CancellationToken cancellationToken = default);

    /// <summary>
    /// Reads the global log forward from just after a position. The order is total and stable, and an
    /// event is never returned after a later position was returned by an earlier read, so a reader that
    /// resumes from the last position it saw misses nothing.
    /// </summary>
    /// <param name="after">Read events after this position; <see cref="GlobalPosition.Start"/> reads from the beginning.</param>
    /// <param name="maxCount">The most events to return.</param>
    /// <param name="eventTypes">
    /// When given, only events of these registered type names (including events stored under their
    /// aliases or under older names upcast into them); the store filters before deserializing.
    /// </param>
    /// <param name="cancellationToken">Cancels the read.</param>
    /// <returns>The events in global order.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="maxCount"/> is below 0.</exception>
    IAsyncEnumerable<EventEnvelope> ReadAllAsync(GlobalPosition after, long maxCount = long.MaxValue, IReadOnlyCollection<string>? eventTypes = null, CancellationToken cancellationToken = default);

    /// <summary>
    /// Gets the position of the last event a global-log reader can see now (<see cref="GlobalPosition.Start"/>
    /// when there is none). Every event at or before it is visible to reads that start after this call.
    /// </summary>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The head of the readable log.</returns>
    /// <remarks>
    /// The readable head may lag appends already acknowledged: on PostgreSQL a global-log reader does not
    /// pass a transaction still open anywhere in the cluster. To wait until an append is projected, wait
    /// for its <see cref="AppendResult.Position"/>, not for the head read after it.
    /// </remarks>
    ValueTask<GlobalPosition> GetHeadPositionAsync(CancellationToken cancellationToken = default);

    /// <summary>Reads one event of a stream by its id.</summary>
    /// <param name="streamId">The stream.</param>
    /// <param name="eventId">The event id.</param>
    /// <param name="cancellationToken">Cancels the read.</param>
    /// <returns>The event, or null when the stream holds no event with that id.</returns>
    /// <exception cref="UnknownEventTypeException">The stored event's type is not registered.</exception>
    /// <exception cref="EventDeserializationException">The stored event cannot be deserialized.</exception>
    ValueTask<EventEnvelope?> ReadEventAsync(StreamId streamId, Guid eventId, CancellationToken cancellationToken = default);

    /// <summary>
    /// Gets a stream's current version without reading its events: the version of its last event, or 0
    /// when it does not exist (so <c>&gt; 0</c> answers "does it exist?").
    /// </summary>
    /// <param name="streamId">The stream.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The version; 0 means no stream.</returns>
    ValueTask<long> GetStreamVersionAsync(StreamId streamId, CancellationToken cancellationToken = default);
}
