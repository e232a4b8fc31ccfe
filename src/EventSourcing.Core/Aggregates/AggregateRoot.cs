namespace EventSourcing.Aggregates;

/// <summary>
/// The base of an event-sourced aggregate: commands check the rules and <see cref="Raise"/> events;
/// <see cref="Apply"/> folds each event into the state, both when raised and when replayed.
/// </summary>
public abstract class AggregateRoot
{
    private readonly List<EventData> _uncommitted = [];

    /// <summary>The version of the last event applied, raised ones included; 0 for a new aggregate.</summary>
    public long Version { get; private set; }

    /// <summary>The version the store holds: the version loaded or last saved.</summary>
    public long PersistedVersion { get; private set; }

    /// <summary>The events raised since the aggregate was loaded or saved, in order.</summary>
    public IReadOnlyList<EventData> UncommittedEvents => _uncommitted;

    /// <summary>
    /// Applies an event to the state and records it for saving. Check every rule before raising: if
    /// <see cref="Apply"/> throws, the event is not recorded.
    /// </summary>
    /// <param name="event">The event.</param>
    /// <exception cref="ArgumentNullException"><paramref name="event"/> is null.</exception>
    protected void Raise(object @event)
    {
        ArgumentNullException.ThrowIfNull(@event);
        Apply(@event);
        _uncommitted.Add(new EventData(@event));
        Version++;
    }

    /// <summary>Folds one event into the state. Must be deterministic and must not raise events.</summary>
    /// <param name="event">The event.</param>
    protected abstract void Apply(object @event);

    internal void Replay(object @event, long version)
    {
        Apply(@event);
        Version = PersistedVersion = version;
    }

    internal void RestoreVersion(long version) => Version = PersistedVersion = version;

    internal List<EventData> TakeUncommitted(EventMetadata? metadata)
    {
        if (metadata is null || metadata.IsEmpty)
        {
            return _uncommitted;
        }

        var withMetadata = new List<EventData>(_uncommitted.Count);
        foreach (var e in _uncommitted)
        {
            withMetadata.Add(new EventData(e.Event, metadata, e.EventId));
        }

        return withMetadata;
    }

    /// <summary>The uncommitted events with ids derived from the command id (see <see cref="CommandIds.EventId"/>).</summary>
    internal List<EventData> TakeUncommitted(EventMetadata? metadata, Guid commandId, StreamId streamId)
    {
        var derived = new List<EventData>(_uncommitted.Count);
        for (var i = 0; i < _uncommitted.Count; i++)
        {
            var e = _uncommitted[i];
            derived.Add(new EventData(e.Event, metadata is null || metadata.IsEmpty ? e.Metadata : metadata, CommandIds.EventId(commandId, streamId, i)));
        }

        return derived;
    }

    internal void MarkCommitted(long version)
    {
        _uncommitted.Clear();
        Version = PersistedVersion = version;
    }
}
