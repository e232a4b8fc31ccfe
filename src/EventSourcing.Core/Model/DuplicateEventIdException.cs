namespace EventSourcing;

/// <summary>
/// An append carried an event id that the stream already holds, but not as the same batch (the same
/// ids, in the same order, at consecutive versions): some of the ids are stored and some are not, or
/// they are stored in another order. Nothing was written. An event id is stored at most once per stream.
/// </summary>
public sealed class DuplicateEventIdException : EventStoreException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="streamId">The stream.</param>
    /// <param name="eventId">An id of the append that the stream already holds.</param>
    /// <param name="storedVersion">The version at which the stream holds that id.</param>
    public DuplicateEventIdException(StreamId streamId, Guid eventId, long storedVersion)
        : base($"Event id {eventId} is already stored in stream '{streamId}' (at version {storedVersion.ToString(System.Globalization.CultureInfo.InvariantCulture)}), but the append is not a repeat of the batch that stored it. Nothing was written.")
    {
        StreamId = streamId;
        EventId = eventId;
        StoredVersion = storedVersion;
    }

    /// <summary>The stream.</summary>
    public StreamId StreamId { get; }

    /// <summary>An id of the append that the stream already holds.</summary>
    public Guid EventId { get; }

    /// <summary>The version at which the stream holds <see cref="EventId"/>.</summary>
    public long StoredVersion { get; }
}
