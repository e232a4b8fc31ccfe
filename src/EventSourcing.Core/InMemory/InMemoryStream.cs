namespace EventSourcing.InMemory;

/// <summary>
/// One stream of the in-memory store: its events, an index from event id to position (an id is stored
/// at most once per stream) and the timestamp of its last event (timestamps never go backwards).
/// The store's single writer changes it under the write gate; readers read published events without locks
/// and the id index under its own small lock.
/// </summary>
internal sealed class InMemoryStream
{
    private readonly Dictionary<Guid, int> _ids = [];
    private readonly Lock _idsGate = new();

    public AppendOnlyList<StoredEvent> Events { get; } = new();

    /// <summary>The timestamp of the last published event; writer only.</summary>
    public DateTimeOffset LastTimestamp { get; private set; } = DateTimeOffset.MinValue;

    /// <summary>Writer only (the writer is the only one that changes the index, so it reads it without the lock).</summary>
    public bool TryFindForWriter(Guid eventId, out int index) => _ids.TryGetValue(eventId, out index);

    /// <summary>The published event with this id, or null; any thread.</summary>
    public StoredEvent? Find(Guid eventId)
    {
        int index;
        lock (_idsGate)
        {
            if (!_ids.TryGetValue(eventId, out index))
            {
                return null;
            }
        }

        // Indexed just before publication: not visible until the count says so.
        var (items, count) = Events.View();
        return index < count ? items[index] : null;
    }

    /// <summary>Writer only: makes the <paramref name="added"/> staged events visible.</summary>
    public void Publish(int added, DateTimeOffset lastTimestamp)
    {
        var first = Events.Count;
        lock (_idsGate)
        {
            for (var i = first; i < first + added; i++)
            {
                _ids.Add(Events[i].EventId, i);
            }
        }

        LastTimestamp = lastTimestamp;
        Events.Publish(added);
    }
}
