namespace EventSourcing.Serialization;

/// <summary>What a reader does with a stored event whose type is unknown or whose payload cannot be read.</summary>
public enum UnreadableEventPolicy
{
    /// <summary>Throw <see cref="UnknownEventTypeException"/> or <see cref="EventDeserializationException"/> (the default).</summary>
    Throw,

    /// <summary>
    /// Skip the event, but never silently: the reader returns it as an <see cref="UnreadableEvent"/>
    /// (with the id, type and raw payload) so the caller can log or dead-letter it.
    /// </summary>
    ReturnUnreadable,
}
