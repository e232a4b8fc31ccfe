namespace EventSourcing;

/// <summary>
/// What travels with an event besides the event itself: who caused it and why. Stored with the event
/// and returned on every read.
/// </summary>
public sealed record EventMetadata
{
    private static readonly IReadOnlyDictionary<string, string> NoHeaders = System.Collections.ObjectModel.ReadOnlyDictionary<string, string>.Empty;

    /// <summary>Metadata with nothing set.</summary>
    public static EventMetadata Empty { get; } = new();

    /// <summary>The id shared by everything done for one request or workflow.</summary>
    public string? CorrelationId { get; init; }

    /// <summary>The id of the message or event that caused this one.</summary>
    public string? CausationId { get; init; }

    /// <summary>Free-form headers, e.g. the user who issued the command.</summary>
    public IReadOnlyDictionary<string, string> Headers { get; init; } = NoHeaders;

    /// <summary>True when nothing is set.</summary>
    public bool IsEmpty => CorrelationId is null && CausationId is null && Headers.Count == 0;

    /// <inheritdoc />
    public bool Equals(EventMetadata? other)
    {
        if (other is null)
        {
            return false;
        }

        if (CorrelationId != other.CorrelationId || CausationId != other.CausationId || Headers.Count != other.Headers.Count)
        {
            return false;
        }

        foreach (var (key, value) in Headers)
        {
            if (!other.Headers.TryGetValue(key, out var otherValue) || otherValue != value)
            {
                return false;
            }
        }

        return true;
    }

    /// <inheritdoc />
    public override int GetHashCode() => HashCode.Combine(CorrelationId, CausationId, Headers.Count);
}
