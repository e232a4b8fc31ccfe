namespace EventSourcing.Serialization;

/// <summary>
/// Stands in for a stored event that could not be read, under <see cref="UnreadableEventPolicy.ReturnUnreadable"/>.
/// Aggregates and projections see it as the envelope's event; the error says why.
/// </summary>
/// <param name="StoredType">The stored type name.</param>
/// <param name="Payload">The raw stored payload.</param>
/// <param name="Error">Why it could not be read.</param>
public sealed record UnreadableEvent(string StoredType, ReadOnlyMemory<byte> Payload, EventStoreException Error);
