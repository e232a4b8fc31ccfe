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

        ThrowIfAmbientTransaction();
    }

    /// <summary>
    /// Appends commit on their own, never as part of a caller's <see cref="System.Transactions.TransactionScope"/>:
    /// an append inside one would look atomic with the caller's work and is not, so it is refused.
    /// </summary>
    /// <exception cref="InvalidOperationException">An ambient transaction is active.</exception>
    public static void ThrowIfAmbientTransaction()
    {
        if (System.Transactions.Transaction.Current is not null)
        {
            throw new InvalidOperationException(
                "An append is not allowed inside an ambient transaction (TransactionScope): the event store never enlists, its appends commit on their own. "
                + "Append outside the scope, or wrap the call in new TransactionScope(TransactionScopeOption.Suppress, TransactionScopeAsyncFlowOption.Enabled). Nothing was written.");
        }
    }

    /// <summary>
    /// True when an exact expectation leaves no room for <paramref name="count"/> more events below
    /// <see cref="long.MaxValue"/>: such an append can never succeed and is a concurrency conflict,
    /// not an arithmetic overflow.
    /// </summary>
    public static bool Overflows(ExpectedVersion expected, int count) => expected.IsExact && expected.Value > long.MaxValue - count;

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
