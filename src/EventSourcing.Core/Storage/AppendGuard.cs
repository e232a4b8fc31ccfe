namespace EventSourcing.Storage;

/// <summary>The input checks every backend makes before it writes or reads anything (backend SPI).</summary>
public static class AppendGuard
{
    /// <summary>Validates an append's input: a valid stream id, at least one event, none null, no id twice, no ambient transaction.</summary>
    /// <param name="streamId">The stream.</param>
    /// <param name="expectedVersion">The expectation.</param>
    /// <param name="events">The events.</param>
    /// <exception cref="ArgumentException">The input is invalid (nothing may be written).</exception>
    /// <exception cref="InvalidOperationException">An ambient transaction is active.</exception>
    public static void Validate(StreamId streamId, ExpectedVersion expectedVersion, IReadOnlyList<EventData> events)
    {
        if (expectedVersion.IsDefault)
        {
            throw new ArgumentException("default(ExpectedVersion) is not an expectation: use ExpectedVersion.Any, NoStream, StreamExists or Exactly(n).", nameof(expectedVersion));
        }

        Validate(streamId, events);
    }

    internal static void Validate(StreamId streamId, IReadOnlyList<EventData> events)
    {
        streamId.EnsureValid();
        ArgumentNullException.ThrowIfNull(events);
        if (events.Count == 0)
        {
            throw new ArgumentException("An append needs at least one event.", nameof(events));
        }

        var ids = events.Count > 1 ? new HashSet<Guid>(events.Count) : null;
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
    /// <param name="expected">The expectation.</param>
    /// <param name="count">The number of events appended.</param>
    /// <returns>True when the append must fail as a conflict.</returns>
    public static bool Overflows(ExpectedVersion expected, int count) => expected.IsExact && expected.Value > long.MaxValue - count;

    /// <summary>Validates a stream id: <c>default(StreamId)</c> is refused.</summary>
    /// <param name="streamId">The stream id.</param>
    /// <exception cref="ArgumentException">The id is <c>default(StreamId)</c>.</exception>
    public static void ValidateStreamId(StreamId streamId) => streamId.EnsureValid();

    /// <summary>Validates a forward stream read's input.</summary>
    /// <param name="streamId">The stream.</param>
    /// <param name="fromVersion">The first version (at least 1).</param>
    /// <param name="maxCount">The most events (at least 0).</param>
    /// <exception cref="ArgumentException">The stream id is default.</exception>
    /// <exception cref="ArgumentOutOfRangeException">A number is out of range.</exception>
    public static void ValidateRead(StreamId streamId, long fromVersion, long maxCount)
    {
        streamId.EnsureValid();
        ArgumentOutOfRangeException.ThrowIfLessThan(fromVersion, 1);
        ArgumentOutOfRangeException.ThrowIfNegative(maxCount);
    }

    /// <summary>True when the stream's current version satisfies the expectation.</summary>
    /// <param name="expected">The expectation.</param>
    /// <param name="current">The stream's version (0 when it does not exist).</param>
    /// <returns>True when the append may go ahead.</returns>
    public static bool Satisfies(ExpectedVersion expected, long current) => expected.Value switch
    {
        -1 => true,
        -2 => current > 0,
        _ => current == expected.Value,
    };
}
