namespace EventSourcing.Storage;

/// <summary>The input checks every backend makes before it writes anything.</summary>
internal static class AppendGuard
{
    public static void Validate(StreamId streamId, IReadOnlyList<EventData> events)
    {
        streamId.EnsureValid();
        ArgumentNullException.ThrowIfNull(events);
        if (events.Count == 0)
        {
            throw new ArgumentException("An append needs at least one event.", nameof(events));
        }

        HashSet<Guid>? ids = events.Count > 1 ? new HashSet<Guid>(events.Count) : null;
        for (var i = 0; i < events.Count; i++)
        {
            var e = events[i] ?? throw new ArgumentException($"events[{i}] is null.", nameof(events));
            if (ids is not null && !ids.Add(e.EventId))
            {
                throw new ArgumentException($"Event id {e.EventId} appears twice in one append.", nameof(events));
            }
        }
    }

    public static void ValidateRead(StreamId streamId, long fromVersion, long maxCount)
    {
        streamId.EnsureValid();
        ArgumentOutOfRangeException.ThrowIfLessThan(fromVersion, 1);
        ArgumentOutOfRangeException.ThrowIfNegative(maxCount);
    }

    /// <summary>True when the stream's current version satisfies the expectation.</summary>
    public static bool Satisfies(ExpectedVersion expected, long current) => expected.Value switch
    {
        -1 => true,
        -2 => current > 0,
        _ => current == expected.Value,
    };
}
