namespace EventSourcing.Aggregates;

/// <summary>
/// The outcome of <see cref="AggregateRepository{TAggregate}.ExecuteAsync(StreamId, Guid, Action{TAggregate}, EventMetadata?, CancellationToken)"/>.
/// </summary>
/// <typeparam name="TAggregate">The aggregate type.</typeparam>
public sealed class CommandResult<TAggregate>
    where TAggregate : AggregateRoot
{
    internal CommandResult(TAggregate aggregate, bool alreadyApplied)
    {
        Aggregate = aggregate;
        AlreadyApplied = alreadyApplied;
    }

    /// <summary>
    /// The aggregate after the command: its state once the command's events were saved, or, when
    /// <see cref="AlreadyApplied"/> is true, its current state (which includes the command's events).
    /// </summary>
    public TAggregate Aggregate { get; }

    /// <summary>
    /// True when the stream already held the command's events (a re-run after a lost reply, or a
    /// duplicate that ran at the same time), so the command was not run again and nothing was written.
    /// </summary>
    public bool AlreadyApplied { get; }
}
